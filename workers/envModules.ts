/**
 * Imports custom env modules named by an experiment, on any executor. On the coordinator's machine
 * the module is imported from its path; a remote worker gets its source with a sha256 content hash,
 * checks the hash, writes it under this package's `.nnlab-modules/<hash>/` and imports it from
 * there — so a remote worker can always build the env ("env not registered on remote worker"
 * cannot happen). A shipped module should import nnlab by package name (`nnlab/envs`), which
 * resolves from inside the package.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ModuleRef } from './tasks.js';

const imported = new Map<string, Promise<void>>();

export function sha256(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

const sources = new Map<string, string>();

/** A ModuleRef for a module file on this machine; its source is read now and kept for remote executors. */
export function moduleRef(file: string): ModuleRef {
  const abs = path.resolve(file);
  if (!existsSync(abs)) throw new Error(`env module '${file}' does not exist`);
  const source = readFileSync(abs, 'utf8');
  const hash = sha256(source);
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

/** Imports the module (once per hash per thread): local path if its content matches, else the shipped source. */
export function ensureModule(ref: ModuleRef): Promise<void> {
  let p = imported.get(ref.hash);
  if (p === undefined) {
    p = load(ref);
    imported.set(ref.hash, p);
    p.catch(() => imported.delete(ref.hash));
  }
  return p;
}

async function load(ref: ModuleRef): Promise<void> {
  if (!/^[0-9a-f]{64}$/.test(ref.hash)) throw new Error(`env module: bad content hash '${ref.hash}'`);
  if (!/^[\w.-]+\.(m?js)$/.test(ref.filename)) throw new Error(`env module: bad file name '${ref.filename}' (a .js or .mjs file)`);
  let file: string | undefined;
  if (existsSync(ref.path) && sha256(readFileSync(ref.path)) === ref.hash) file = ref.path;
  else {
    const cached = path.join(moduleCacheDir(), ref.hash, ref.filename);
    if (!existsSync(cached)) {
      if (ref.source === undefined) throw new Error(`env module ${ref.filename} (${ref.hash.slice(0, 12)}) is not on this machine and no source was sent`);
      if (sha256(ref.source) !== ref.hash) throw new Error(`env module ${ref.filename}: source does not match its hash ${ref.hash.slice(0, 12)}`);
      mkdirSync(path.dirname(cached), { recursive: true });
      writeFileSync(cached, ref.source);
    }
    file = cached;
  }
  await import(pathToFileURL(file).href);
}
