/**
 * Checkpoints: model weights in the tfjs layers format (model.json + weights.bin, which a browser
 * loads with `tf.loadLayersModel(url)`), optimiser slots, and arbitrary state (counters, buffers,
 * RNG states; anything msgpack encodes, typed arrays included).
 *
 * Layout under a checkpoint root:
 *   root/ckpt-000000123/meta.json                 step, time, names, user meta (readable)
 *   root/ckpt-000000123/state.msgpack             user state
 *   root/ckpt-000000123/models/<name>/model.json  tfjs LayersModel artifacts
 *   root/ckpt-000000123/models/<name>/weights.bin
 *   root/ckpt-000000123/optimizers/<name>.msgpack
 *   root/LATEST                                   the name of the newest complete checkpoint
 *
 * Atomicity: a checkpoint is written into a temporary directory and renamed into place, then LATEST
 * is replaced by write-temp-then-rename. A crash at any point leaves LATEST naming a complete
 * checkpoint (or no LATEST at all), never a half-written one.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { decode, encode, type TensorData } from './tensors.js';
import type { Optimizer } from './optim.js';

export interface CheckpointContent {
  models?: Record<string, tf.LayersModel>;
  optimizers?: Record<string, Optimizer>;
  /** Anything msgpack can encode (typed arrays round-trip exactly). */
  state?: unknown;
  /** Small JSON-able facts shown in meta.json (step, spec, backend …). */
  meta?: Record<string, unknown>;
}

export interface SaveOptions {
  /** Step number in the directory name (default: one more than the newest). */
  step?: number;
  /** How many checkpoints to keep (oldest removed after a successful save; default 3). */
  keep?: number;
}

const NAME_RE = /^ckpt-(\d{9,})$/;
const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

function checkName(kind: string, name: string): void {
  if (!SAFE_NAME.test(name)) throw new Error(`checkpoint ${kind} name '${name}' must match ${SAFE_NAME}`);
}

/** Writes a file atomically: temp file in the same directory, fsync, rename. */
export async function writeFileAtomic(file: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const handle = await fs.open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

/**
 * Writes the checkpoint folder root/`name` atomically and rotates: `fill` writes it under a
 * temporary name (removed if `fill` throws), which is renamed into place (replacing a folder of
 * that name); then `pointer.file` (a LATEST) gets `pointer.text` by write-temp-then-rename, so a crash
 * at any point leaves the pointer naming a complete folder. Of the folders matching `rotated`, all
 * but the newest `keep` (name order) are removed, never the one just written. Returns its path.
 */
export async function commitCheckpointFolder(
  root: string,
  name: string,
  fill: (tmp: string) => Promise<void>,
  pointer: { file: string; text: string },
  keep: number,
  rotated: RegExp,
): Promise<string> {
  await fs.mkdir(root, { recursive: true });
  const tmp = path.join(root, `.tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  const final = path.join(root, name);
  try {
    await fill(tmp);
    await fs.rm(final, { recursive: true, force: true });
    await fs.rename(tmp, final);
  } catch (e) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw e;
  }
  await writeFileAtomic(path.join(root, pointer.file), pointer.text);
  const all = (await fs.readdir(root)).filter((n) => rotated.test(n)).sort();
  for (const old of all.slice(0, Math.max(0, all.length - keep))) {
    if (old !== name) await fs.rm(path.join(root, old), { recursive: true, force: true });
  }
  return final;
}

/** The tfjs artifacts of a model, as `model.save` would write them to files. */
export async function modelArtifacts(model: tf.LayersModel): Promise<{ json: string; weights: Uint8Array }> {
  let json = '';
  let weights = new Uint8Array(0);
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const data = artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      weights = new Uint8Array(data);
      json = JSON.stringify({
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? 'layers-model',
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      });
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return { json, weights };
}

/** Writes model.json + weights.bin into `dir` (which must exist). */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<void> {
  const { json, weights } = await modelArtifacts(model);
  await fs.writeFile(path.join(dir, 'weights.bin'), weights);
  await fs.writeFile(path.join(dir, 'model.json'), json);
}

async function readModelFiles(dir: string): Promise<{ topology: tf.io.ModelArtifacts['modelTopology']; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const manifest = JSON.parse(await fs.readFile(path.join(dir, 'model.json'), 'utf8')) as {
    modelTopology: tf.io.ModelArtifacts['modelTopology'];
    weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  };
  const specs = manifest.weightsManifest.flatMap((g) => g.weights);
  const buffers = await Promise.all(manifest.weightsManifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(dir, p))));
  const joined = Buffer.concat(buffers);
  const data = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength) as ArrayBuffer;
  return { topology: manifest.modelTopology, specs, data };
}

/** Loads a whole model (topology and weights) from a directory holding model.json. */
export async function loadModelFiles(dir: string): Promise<tf.LayersModel> {
  const { topology, specs, data } = await readModelFiles(dir);
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: specs, weightData: data }));
}

/** Loads weights from a directory into an existing model of the same architecture (by position, shapes checked). */
export async function loadWeightsInto(model: tf.LayersModel, dir: string): Promise<void> {
  const { specs, data } = await readModelFiles(dir);
  const decoded = tf.io.decodeWeights(data, specs);
  const values = specs.map((s) => decoded[s.name]!);
  if (values.length !== model.weights.length) {
    tf.dispose(values);
    throw new Error(`checkpoint ${dir} has ${values.length} weights, model ${model.name} has ${model.weights.length}`);
  }
  model.weights.forEach((w, i) => {
    const v = values[i]!;
    if (v.shape.join() !== w.shape.join()) {
      tf.dispose(values);
      throw new Error(`checkpoint ${dir}: weight ${i} ('${specs[i]!.name}') has shape [${v.shape}], model expects [${w.shape}]`);
    }
  });
  model.setWeights(values);
  tf.dispose(values);
}

async function listCheckpoints(root: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(root);
  } catch {
    return [];
  }
  return names.filter((n) => NAME_RE.test(n)).sort();
}

/** Saves a checkpoint under `root` atomically (commitCheckpointFolder), keeping the newest `keep` (3); returns its directory. */
export async function saveCheckpoint(root: string, content: CheckpointContent, opts: SaveOptions = {}): Promise<string> {
  const existing = await listCheckpoints(root);
  const lastStep = existing.length > 0 ? Number(NAME_RE.exec(existing[existing.length - 1]!)![1]) : -1;
  const step = opts.step ?? lastStep + 1;
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint step must be a non-negative integer, got ${step}`);
  const name = `ckpt-${String(step).padStart(9, '0')}`;
  const fill = async (tmp: string): Promise<void> => {
    await fs.mkdir(path.join(tmp, 'models'), { recursive: true });
    await fs.mkdir(path.join(tmp, 'optimizers'));
    for (const [mName, model] of Object.entries(content.models ?? {})) {
      checkName('model', mName);
      const dir = path.join(tmp, 'models', mName);
      await fs.mkdir(dir);
      await saveModelFiles(model, dir);
    }
    for (const [oName, opt] of Object.entries(content.optimizers ?? {})) {
      checkName('optimizer', oName);
      await fs.writeFile(path.join(tmp, 'optimizers', `${oName}.msgpack`), encode({ spec: opt.spec, slots: await opt.getState() }));
    }
    await fs.writeFile(path.join(tmp, 'state.msgpack'), encode(content.state ?? null));
    const meta = {
      step,
      savedAt: new Date().toISOString(),
      models: Object.keys(content.models ?? {}),
      optimizers: Object.keys(content.optimizers ?? {}),
      ...(content.meta ?? {}),
    };
    await fs.writeFile(path.join(tmp, 'meta.json'), JSON.stringify(meta, null, 2));
  };
  return commitCheckpointFolder(root, name, fill, { file: 'LATEST', text: name + '\n' }, opts.keep ?? 3, NAME_RE);
}

/** The directory of the newest complete checkpoint under `root`, or undefined. */
export async function latestCheckpoint(root: string): Promise<string | undefined> {
  try {
    const name = (await fs.readFile(path.join(root, 'LATEST'), 'utf8')).trim();
    if (NAME_RE.test(name)) return path.join(root, name);
  } catch {
    // no LATEST: nothing complete was ever written
  }
  return undefined;
}

export interface LoadTargets {
  /** Models to load weights into (same architecture as saved). */
  models?: Record<string, tf.LayersModel>;
  /** Optimisers to restore slots into (same variable order as when saved). */
  optimizers?: Record<string, Optimizer>;
}

/**
 * Loads a checkpoint (a checkpoint directory, or a root whose LATEST is followed) into the given
 * models and optimisers; returns the saved state and meta.
 */
export async function loadCheckpoint<S = unknown>(
  dirOrRoot: string,
  targets: LoadTargets = {},
): Promise<{ dir: string; state: S; meta: Record<string, unknown> }> {
  let dir = dirOrRoot;
  if (!NAME_RE.test(path.basename(dir))) {
    const latest = await latestCheckpoint(dir);
    if (latest === undefined) throw new Error(`no checkpoint found under ${dirOrRoot} (no LATEST file)`);
    dir = latest;
  }
  const meta = JSON.parse(await fs.readFile(path.join(dir, 'meta.json'), 'utf8')) as Record<string, unknown>;
  for (const [name, model] of Object.entries(targets.models ?? {})) {
    await loadWeightsInto(model, path.join(dir, 'models', name)).catch((e: Error) => {
      throw new Error(`loading model '${name}': ${e.message}`);
    });
  }
  for (const [name, opt] of Object.entries(targets.optimizers ?? {})) {
    const saved = decode<{ slots: { name: string; value: TensorData }[] }>(await fs.readFile(path.join(dir, 'optimizers', `${name}.msgpack`)));
    await opt.setState(saved.slots);
  }
  const state = decode<S>(await fs.readFile(path.join(dir, 'state.msgpack')));
  return { dir, state, meta };
}
