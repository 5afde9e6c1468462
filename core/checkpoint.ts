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
import { z } from 'zod';
import { isSafeName, SAFE_NAME } from '../base/safeName.js';
import { decode, encode } from './tensors.js';
import { writeFileAtomic, writeFolderAtomic } from './atomicWrite.js';
import type { Optimizer, OptimizerSlot } from './optim.js';
import { checkData, optimizerSlotsSchema, readJsonFile, StateFileError } from './stateFile.js';
import { errorMessage } from '../base/plainData.js';

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

/** A model's or optimizer's name becomes a folder or file name in the checkpoint: base/safeName.ts's rule (so never `..`). */
function checkName(kind: string, name: string): void {
  if (!isSafeName(name)) throw new Error(`checkpoint ${kind} name '${name}': ${SAFE_NAME.rule}`);
}

/** Decodes a msgpack file (core/tensors.ts `decode`): its value, unchecked (`unknown`: the reader checks it, core/stateFile.ts `checkData`), or an error naming the file. */
export async function readMsgpackFile(file: string): Promise<unknown> {
  const bytes = await fs.readFile(file);
  try {
    return decode(bytes);
  } catch (e) {
    throw new StateFileError(file, `not a readable msgpack file (${errorMessage(e)})`);
  }
}

/**
 * Writes the checkpoint folder root/`name` atomically and rotates: `fill` writes it under a
 * temporary name (removed if `fill` throws), which is renamed into place (replacing a folder of
 * that name: core/atomicWrite.ts writeFolderAtomic); then `pointer.file` (a LATEST) gets `pointer.text` by write-temp-then-rename, so a crash
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
  const final = await writeFolderAtomic(path.join(root, name), fill);
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

/**
 * Writes model.json + weights.bin into `dir` (which must exist), each atomically
 * (core/atomicWrite.ts): a generative run saves its models straight into its output folder, where a
 * crash must not leave a half-written file under either name; weights.bin first, so a model.json
 * is never there before the weights it names.
 */
export async function saveModelFiles(model: tf.LayersModel, dir: string): Promise<void> {
  const { json, weights } = await modelArtifacts(model);
  await writeFileAtomic(path.join(dir, 'weights.bin'), weights);
  await writeFileAtomic(path.join(dir, 'model.json'), json);
}

/** A weights file of a model.json: a name in the model's own folder. */
const weightsPath = z.string().regex(/^(?!\.\.?$)[^/\\]+$/, 'a file name in the model folder');
/** What readModelFiles reads of a model.json (tfjs's layers format; tfjs checks the topology itself when it builds the model). */
const modelJsonSchema = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z.array(
    z.object({
      paths: z.array(weightsPath),
      // other fields of an entry (a quantization, a group) are kept for tfjs's decodeWeights
      weights: z.array(z.looseObject({ name: z.string(), shape: z.array(z.number().int().nonnegative()), dtype: z.enum(['float32', 'int32', 'bool', 'string', 'complex64']) })),
    }),
  ),
});

async function readModelFiles(dir: string): Promise<{ topology: tf.io.ModelArtifacts['modelTopology']; specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const file = path.join(dir, 'model.json');
  const manifest = checkData(modelJsonSchema, readJsonFile(file), file);
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

/**
 * Reads and checks the weights in `dir` for `model` (same architecture: as many weights, each of
 * the model's shape, by position) without touching the model: the tensors to set, which the caller
 * owns. A loader of several models reads them all first, so a bad one leaves every model as it was.
 */
async function readWeightsFor(model: tf.LayersModel, dir: string): Promise<tf.Tensor[]> {
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
  return values;
}

/** Loads weights from a directory into an existing model of the same architecture (by position, shapes checked; a refused file leaves the model as it was). */
export async function loadWeightsInto(model: tf.LayersModel, dir: string): Promise<void> {
  const values = await readWeightsFor(model, dir);
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

/** The folder of a checkpoint's models (`models/<name>/`, the module doc's layout). */
const MODELS_DIR = 'models';

/**
 * Where model `name` of checkpoint `ckpt` lies (`<ckpt>/models/<name>/`, tfjs layers format): for
 * saving and loading here, `nnlab eval` and a run's result.json, which names it relative to the run
 * directory (so `ckpt` may be relative).
 */
export function modelDir(ckpt: string, name: string): string {
  return path.join(ckpt, MODELS_DIR, name);
}

/** Saves a checkpoint under `root` atomically (commitCheckpointFolder), keeping the newest `keep` (3); returns its directory. */
export async function saveCheckpoint(root: string, content: CheckpointContent, opts: SaveOptions = {}): Promise<string> {
  const existing = await listCheckpoints(root);
  const lastStep = existing.length > 0 ? Number(NAME_RE.exec(existing[existing.length - 1]!)![1]) : -1;
  const step = opts.step ?? lastStep + 1;
  if (!Number.isSafeInteger(step) || step < 0) throw new Error(`checkpoint step must be a non-negative integer, got ${step}`);
  const name = `ckpt-${String(step).padStart(9, '0')}`;
  const fill = async (tmp: string): Promise<void> => {
    await fs.mkdir(path.join(tmp, MODELS_DIR), { recursive: true });
    await fs.mkdir(path.join(tmp, 'optimizers'));
    for (const [mName, model] of Object.entries(content.models ?? {})) {
      checkName('model', mName);
      const dir = modelDir(tmp, mName);
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

/** What loadCheckpoint returns: the checkpoint's directory, its state and its meta.json. */
export interface LoadedCheckpoint<S> {
  dir: string;
  state: S;
  meta: Record<string, unknown>;
}

/** A saved optimiser (what saveCheckpoint writes to optimizers/<name>.msgpack). */
const savedOptimizerSchema = z.object({ slots: optimizerSlotsSchema });
const metaSchema = z.record(z.string(), z.unknown());

/**
 * Loads a checkpoint (a checkpoint directory, or a root whose LATEST is followed) into the given
 * models and optimisers; returns the saved state and meta. The state is `unknown` unless `state`
 * (a schema of what the caller saved) is given: then it is checked against it, and a state that
 * fails is refused with an error naming state.msgpack and the field. Every file is read and
 * checked before any model or optimiser is written to.
 */
export async function loadCheckpoint(dirOrRoot: string, targets?: LoadTargets): Promise<LoadedCheckpoint<unknown>>;
export async function loadCheckpoint<S>(dirOrRoot: string, targets: LoadTargets & { state: z.ZodType<S> }): Promise<LoadedCheckpoint<S>>;
export async function loadCheckpoint(dirOrRoot: string, targets: LoadTargets & { state?: z.ZodType } = {}): Promise<LoadedCheckpoint<unknown>> {
  let dir = dirOrRoot;
  if (!NAME_RE.test(path.basename(dir))) {
    const latest = await latestCheckpoint(dir);
    if (latest === undefined) throw new Error(`no checkpoint found under ${dirOrRoot} (no LATEST file)`);
    dir = latest;
  }
  const metaFile = path.join(dir, 'meta.json');
  const meta = checkData(metaSchema, readJsonFile(metaFile), metaFile);
  const stateFile = path.join(dir, 'state.msgpack');
  const raw = await readMsgpackFile(stateFile);
  const state = targets.state === undefined ? raw : checkData(targets.state, raw, stateFile);
  const slots = new Map<Optimizer, OptimizerSlot[]>();
  for (const [name, opt] of Object.entries(targets.optimizers ?? {})) {
    const file = path.join(dir, 'optimizers', `${name}.msgpack`);
    slots.set(opt, checkData(savedOptimizerSchema, await readMsgpackFile(file), file).slots);
  }
  // every model's weights are read and checked before the first is set: a bad second model (DQN's
  // target network) must not leave the first overwritten
  const weights: [tf.LayersModel, tf.Tensor[]][] = [];
  try {
    for (const [name, model] of Object.entries(targets.models ?? {})) {
      const values = await readWeightsFor(model, modelDir(dir, name)).catch((e: unknown) => {
        throw new Error(`loading model '${name}': ${errorMessage(e)}`);
      });
      weights.push([model, values]);
    }
  } catch (e) {
    for (const [, values] of weights) tf.dispose(values);
    throw e;
  }
  for (const [model, values] of weights) {
    model.setWeights(values);
    tf.dispose(values);
  }
  for (const [opt, saved] of slots) await opt.setState(saved);
  return { dir, state, meta };
}
