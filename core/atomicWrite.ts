/**
 * Writing a file or a folder so that a crash never leaves a half-written one under its name: the
 * content goes to a temporary name beside it (unique: pid and random bytes, so two processes or
 * two writes in one never share it), is flushed to disk (fsync), and is renamed into place. One
 * rule for checkpoints (core/checkpoint.ts), shipped env modules (workers/envModules.ts), the
 * cached MNIST classifier (generative/lenet.ts), a generative run's grids and summary
 * (generative/train.ts, drivers/eval.ts) and a sweep's trials.json (drivers/trials.ts). No tfjs: a
 * rollout thread may use it.
 */
import { promises as fs, closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';

/** A temporary name beside `target`, hidden (leading dot) and unique to this write. */
export function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
}

/** Writes a file atomically: temp file in the same directory, fsync, rename. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = tempPathFor(file);
  try {
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}

/** writeFileAtomic for synchronous callers (a remote worker installing a module). */
export function writeFileAtomicSync(file: string, data: Uint8Array | string): void {
  const tmp = tempPathFor(file);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeFileSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * Writes the folder `dir` atomically: `fill` writes it under a temporary name beside it (it
 * creates that folder; it is removed if `fill` throws), which then replaces any folder named
 * `dir`. The parent is created when missing. Returns `dir`.
 */
export async function writeFolderAtomic(dir: string, fill: (tmp: string) => Promise<void>): Promise<string> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const tmp = tempPathFor(dir);
  try {
    await fill(tmp);
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(tmp, dir);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}
