import { readFileSync } from 'node:fs';

/** package.json, two levels above dist/core/. */
const file = new URL('../../package.json', import.meta.url);
const pkg: unknown = JSON.parse(readFileSync(file, 'utf8'));
if (pkg === null || typeof pkg !== 'object' || !('version' in pkg) || typeof pkg.version !== 'string') throw new Error(`${file.pathname}: no "version" string`);

/** The package version, read from package.json. */
export const version: string = pkg.version;
