/**
 * Custom env modules named by an experiment, on any executor. On the coordinator's machine the
 * module is imported from its path. A remote worker runs shipped code only when its operator
 * allows it (`nnlab worker --allow-code`, or `--allow-module SHA256` for one module): it checks the
 * source against its sha256, writes it under this package's `.nnlab-modules/<hash>/` and imports
 * it from there — never from a path the coordinator names. Every import re-hashes the file first,
 * so a module edited on disk (in the cache or on the coordinator during a run) is refused, not run.
 * A shipped module should import nnlab by package name (`nnlab/envs`), which resolves from inside
 * the package.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomicSync } from '../core/atomicWrite.js';
import { sha256Hex } from '../core/sha256.js';
import { MODULE_FILENAME, SHA256_HEX, type ModuleRef } from '../protocol/tasks.js';
import type { WorkerRefusalCode } from '../protocol/messages.js';
import { errorMessage } from '../base/plainData.js';

const imported = new Map<string, Promise<void>>();

const sources = new Map<string, string>();

/** A ModuleRef for a module file on this machine; its source is read now and kept for remote executors. */
export function moduleRef(file: string): ModuleRef {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new Error(`env module '${file}' does not exist`);
  const source = readFileSync(abs, 'utf8');
  const hash = sha256Hex(source);
  sources.set(hash, source);
  return { hash, filename: path.basename(abs), path: abs };
}

/** The same ref with its source attached (for a remote executor): the source as it was when the run started. */
export function withSource(ref: ModuleRef): ModuleRef {
  const source = sources.get(ref.hash) ?? readFileSync(ref.path, 'utf8');
  return { ...ref, source };
}

/** Folder where shipped modules are cached: inside the package, so `nnlab/...` imports resolve. */
export function moduleCacheDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  return path.resolve(here, '..', '..', '.nnlab-modules');
}

/** Imports the module at `ref.path` (once per hash per thread), after checking the file still has `ref.hash`. */
export function ensureModule(ref: ModuleRef): Promise<void> {
  let p = imported.get(ref.hash);
  if (p === undefined) {
    p = load(ref);
    imported.set(ref.hash, p);
    p.catch(() => imported.delete(ref.hash));
  }
  return p;
}

/** Throws unless the ref's hash and file name follow protocol/tasks.ts's SHA256_HEX and MODULE_FILENAME. */
function checkRef(ref: ModuleRef): void {
  if (!SHA256_HEX.test(ref.hash)) throw new Error(`env module: bad content hash '${ref.hash}' (${SHA256_HEX.rule})`);
  if (!MODULE_FILENAME.test(ref.filename)) throw new Error(`env module: bad file name '${ref.filename}' (${MODULE_FILENAME.rule})`);
}

async function load(ref: ModuleRef): Promise<void> {
  checkRef(ref);
  if (!existsSync(ref.path)) throw new Error(`env module ${ref.filename}: ${ref.path} does not exist`);
  if (sha256Hex(readFileSync(ref.path)) !== ref.hash) throw new Error(`env module ${ref.path} does not match its sha256 ${ref.hash.slice(0, 12)}… (modified on disk?): not imported`);
  await import(pathToFileURL(ref.path).href);
}

/** Which shipped modules a remote worker may run: any (`--allow-code`) or these sha256 hashes (`--allow-module`). */
export interface CodePolicy {
  allowCode: boolean;
  allowModules: ReadonlySet<string>;
}

export type Installed = { ok: true; ref: ModuleRef } | { ok: false; code: WorkerRefusalCode; message: string };

/**
 * On a remote worker: puts a shipped module into this worker's cache if the policy allows it, and
 * returns a ref to the cached file (the coordinator's `path` is dropped). A cached file whose
 * content no longer has its hash is refused, not overwritten: something edited it.
 */
export function installShipped(ref: ModuleRef, policy: CodePolicy): Installed {
  try {
    checkRef(ref);
  } catch (e) {
    return { ok: false, code: 'module_unusable', message: errorMessage(e) };
  }
  const name = `env module ${ref.filename} (sha256 ${ref.hash})`;
  if (!policy.allowCode && !policy.allowModules.has(ref.hash)) {
    return { ok: false, code: 'code_not_allowed', message: `${name} is shipped code, and this worker runs without --allow-code or --allow-module ${ref.hash}` };
  }
  const cached = path.join(moduleCacheDir(), ref.hash, ref.filename);
  if (existsSync(cached)) {
    if (sha256Hex(readFileSync(cached)) !== ref.hash) return { ok: false, code: 'module_unusable', message: `${name}: the cached copy ${cached} does not match its hash (modified on disk?); remove it` };
  } else {
    if (ref.source === undefined) return { ok: false, code: 'module_unusable', message: `${name} is not in this worker's cache and no source was sent` };
    if (sha256Hex(ref.source) !== ref.hash) return { ok: false, code: 'module_unusable', message: `${name}: the source sent does not match its hash` };
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileAtomicSync(cached, ref.source); // a crash never leaves a half-written module under its hash
  }
  return { ok: true, ref: { hash: ref.hash, filename: ref.filename, path: cached } };
}
