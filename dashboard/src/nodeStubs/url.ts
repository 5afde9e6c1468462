/** `node:url` in the page's bundle (see path.ts): custom env modules are not loaded in the page. */
export function pathToFileURL(file: string): URL {
  throw new Error(`node:url.pathToFileURL(${file}) is not available in the dashboard page`);
}
