/**
 * `node:path` in the page's bundle. envs/registration.ts imports it for custom env modules
 * (`resolveModuleSpecifier`), which the page never loads; the page only makes registered envs.
 * scripts/build-dashboard.mjs and dashboard/tsconfig.json map `node:path` here.
 */
export function resolve(...segments: string[]): string {
  throw new Error(`node:path.resolve(${segments.join(', ')}) is not available in the dashboard page`);
}

export function isAbsolute(file: string): boolean {
  throw new Error(`node:path.isAbsolute(${file}) is not available in the dashboard page`);
}
