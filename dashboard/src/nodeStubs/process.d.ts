/**
 * The one Node global envs/ mentions (registration.ts, for custom env modules, which the page never
 * loads): declared for the page's type-check only. It does not exist in the browser.
 */
declare const process: { cwd(): string };
