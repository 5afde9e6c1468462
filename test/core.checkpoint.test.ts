import * as assert from 'uvu/assert';
import * as tf from '@tensorflow/tfjs';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { latestCheckpoint, loadCheckpoint, loadModelFiles, modelArtifacts, saveCheckpoint, saveModelFiles } from '../core/checkpoint.js';
import { tempPathFor, writeFileAtomic, writeFileAtomicSync, writeFolderAtomic } from '../core/atomicWrite.js';
import { buildMlp } from '../core/nn.js';
import { makeOptimizer } from '../core/optim.js';
import { Rng } from '../base/rng.js';
import { z } from 'zod';
import { rngStateSchema } from '../base/schemas.js';
import { huber } from '../core/losses.js';
import { encode, getParams, trainableVariables } from '../core/tensors.js';
import { close, TEST_BACKEND, useCpu, test } from './helpers.js';

test.before(useCpu);

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'nnlab-ckpt-'));
  dirs.push(d);
  return d;
}
test.after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

let X: tf.Tensor2D;
let Y: tf.Tensor2D;
test.before(() => {
  X = tf.tensor2d([[0.1, -0.2, 0.3, 0.4], [1, 0.5, -0.5, 0], [0, 0, 1, -1]]);
  Y = tf.tensor2d([[1, 0], [0, 1], [0.5, 0.5]]);
});
const spec = { name: 'q', inputDim: 4, hidden: [16, 16], outputDim: 2 };

function step(model: tf.LayersModel, opt: ReturnType<typeof makeOptimizer>): number {
  const loss = opt.minimize(() => huber(model.apply(X) as tf.Tensor, Y) as tf.Scalar, trainableVariables(model));
  const v = loss.dataSync()[0]!;
  loss.dispose();
  return v;
}

test('train 3 steps, save, load into a fresh model: same outputs and the same next Adam step', async () => {
  const root = tmp();
  const model = buildMlp(spec, new Rng(1));
  const opt = makeOptimizer({ name: 'adam', lr: 1e-2 });
  for (let i = 0; i < 3; i++) step(model, opt);
  const rng = new Rng(99);
  rng.uint32();
  await saveCheckpoint(root, { models: { q: model }, optimizers: { q: opt }, state: { envSteps: 3, rng: rng.getState() } }, { step: 3 });

  const fresh = buildMlp(spec, new Rng(2));
  const freshOpt = makeOptimizer({ name: 'adam', lr: 1e-2 });
  const { state, meta } = await loadCheckpoint(root, { models: { q: fresh }, optimizers: { q: freshOpt }, state: z.object({ envSteps: z.number(), rng: rngStateSchema }) });
  assert.is(state.envSteps, 3);
  assert.is(meta.step, 3);
  assert.is(Rng.fromState(state.rng).uint32(), rng.uint32());
  const out = (m: tf.LayersModel) => tf.tidy(() => [...(m.predict(X) as tf.Tensor).dataSync()]);
  assert.equal(out(fresh), out(model));

  // the next step: same loss, same parameters after it (Adam moments and t restored)
  const l1 = step(model, opt);
  const l2 = step(fresh, freshOpt);
  assert.is(l2, l1);
  const [pa, pb] = [getParams(model), getParams(fresh)];
  // Bit-exact on cpu (β^t is restored as the product training built, core/optim.ts); a GPU
  // backend's kernels round differently from run to run of the graph: float32 tolerance there.
  const tol = TEST_BACKEND === 'cpu' ? 0 : 1e-5;
  for (const k of Object.keys(pa)) close(pb[k]!.data, pa[k]!.data, tol, k);
  [model, fresh].forEach((m) => m.dispose());
  [opt, freshOpt].forEach((o) => o.dispose());
});

test('saveModelFiles writes model.json and weights.bin atomically (a new file renamed over the old one, never rewritten in place), with the bytes of modelArtifacts', async () => {
  const dir = tmp();
  const model = buildMlp(spec, new Rng(5));
  const files = ['model.json', 'weights.bin'];
  await saveModelFiles(model, dir);
  const inodes = files.map((f) => statSync(path.join(dir, f)).ino);
  await saveModelFiles(model, dir);
  files.forEach((f, i) => assert.is.not(statSync(path.join(dir, f)).ino, inodes[i], `${f} was replaced by a rename, not truncated and rewritten`));
  assert.equal(readdirSync(dir).sort(), files, 'no temporary file left');
  const { json, weights } = await modelArtifacts(model);
  assert.is(readFileSync(path.join(dir, 'model.json'), 'utf8'), json);
  assert.equal(new Uint8Array(readFileSync(path.join(dir, 'weights.bin'))), weights);
  model.dispose();
});

test('a saved model.json is a tfjs layers model a browser can load (weights manifest + bin)', async () => {
  const root = tmp();
  const model = buildMlp(spec, new Rng(3));
  const dir = await saveCheckpoint(root, { models: { policy: model } });
  const json = JSON.parse(readFileSync(path.join(dir, 'models/policy/model.json'), 'utf8'));
  assert.is(json.format, 'layers-model');
  assert.equal(json.weightsManifest[0].paths, ['weights.bin']);
  assert.is(json.weightsManifest[0].weights.length, 6);
  const loaded = await loadModelFiles(path.join(dir, 'models/policy'));
  const out = (m: tf.LayersModel) => tf.tidy(() => [...(m.predict(X) as tf.Tensor).dataSync()]);
  assert.equal(out(loaded), out(model));
  model.dispose();
  loaded.dispose();
});

test('a failed save leaves LATEST on the previous complete checkpoint and no temp files', async () => {
  const root = tmp();
  const model = buildMlp(spec, new Rng(4));
  const good = await saveCheckpoint(root, { models: { q: model }, state: { n: 1 } });
  // a state whose encoding throws makes the second save fail after the model files were written
  const failing = {
    get bad(): number {
      throw new Error('cannot encode');
    },
  };
  await saveCheckpoint(root, { models: { q: model }, state: failing }).then(
    () => assert.unreachable('save should fail'),
    (e: Error) => assert.match(e.message, /cannot encode/),
  );
  assert.is(await latestCheckpoint(root), good);
  assert.equal(readdirSync(root).sort(), ['LATEST', path.basename(good)]);
  const { state } = await loadCheckpoint(root, { state: z.object({ n: z.number() }) });
  assert.is(state.n, 1);
  model.dispose();
});

test('atomic writes (core/atomicWrite.ts): a file or folder appears whole or not at all, under a temp name unique to each write', async () => {
  const root = tmp();
  assert.is.not(tempPathFor(path.join(root, 'a')), tempPathFor(path.join(root, 'a')));
  await writeFileAtomic(path.join(root, 'f.txt'), 'one');
  writeFileAtomicSync(path.join(root, 'g.txt'), 'two');
  writeFileAtomicSync(path.join(root, 'g.txt'), Uint8Array.of(104, 105));
  const dir = path.join(root, 'sub', 'folder');
  assert.is(await writeFolderAtomic(dir, async (t) => {
    await mkdir(t);
    writeFileSync(path.join(t, 'x'), 'first');
  }), dir);
  // a fill that throws leaves the folder as it was, and no temp folder
  await writeFolderAtomic(dir, async (t) => {
    await mkdir(t);
    writeFileSync(path.join(t, 'x'), 'half');
    throw new Error('fill failed');
  }).then(
    () => assert.unreachable('should reject'),
    (e: Error) => assert.is(e.message, 'fill failed'),
  );
  assert.is(readFileSync(path.join(dir, 'x'), 'utf8'), 'first');
  await writeFolderAtomic(dir, async (t) => {
    await mkdir(t);
    writeFileSync(path.join(t, 'y'), 'second');
  });
  assert.equal(readdirSync(dir), ['y'], 'the new folder replaced the old one');
  assert.equal(readdirSync(root).sort(), ['f.txt', 'g.txt', 'sub']);
  assert.equal(readdirSync(path.join(root, 'sub')), ['folder']);
  assert.is(readFileSync(path.join(root, 'f.txt'), 'utf8'), 'one');
  assert.is(readFileSync(path.join(root, 'g.txt'), 'utf8'), 'hi');
});

test('old checkpoints are pruned to `keep`; bad names and missing checkpoints are clear errors', async () => {
  const root = tmp();
  for (let i = 0; i < 4; i++) await saveCheckpoint(root, { state: i }, { keep: 2 });
  assert.equal(readdirSync(root).filter((n) => n.startsWith('ckpt-')), ['ckpt-000000002', 'ckpt-000000003']);
  await saveCheckpoint(root, { state: 0, models: { 'a/b': buildMlp(spec, new Rng(1)) } }).then(
    () => assert.unreachable('should reject'),
    (e: Error) => assert.match(e.message, /model name 'a\/b'/),
  );
  // the rule of every name that becomes a folder (base/safeName.ts): `..` and a leading dot are refused too
  for (const name of ['..', '.hidden']) {
    await saveCheckpoint(root, { state: 0, models: { [name]: buildMlp(spec, new Rng(1)) } }).then(
      () => assert.unreachable(`'${name}' should be refused`),
      (e: Error) => assert.match(e.message, `checkpoint model name '${name}': letters, digits, _ . - only, not starting with a dot`),
    );
  }
  await saveCheckpoint(root, { state: 0, optimizers: { '..': makeOptimizer({ name: 'adam', lr: 1e-2 }) } }).then(
    () => assert.unreachable("optimizer '..' should be refused"),
    (e: Error) => assert.match(e.message, "checkpoint optimizer name '..'"),
  );
  await loadCheckpoint(tmp()).then(
    () => assert.unreachable('should reject'),
    (e: Error) => assert.match(e.message, /no checkpoint found/),
  );
});

test('a checkpoint whose state, optimiser or model.json is not what was saved is refused, naming the file and the field, before any model is written', async () => {
  const root = tmp();
  const model = buildMlp(spec, new Rng(1));
  const opt = makeOptimizer({ name: 'adam', lr: 1e-2 });
  step(model, opt);
  const dir = await saveCheckpoint(root, { models: { q: model }, optimizers: { q: opt }, state: { envSteps: 3, rng: new Rng(5).getState() } });
  const stateSchema = z.object({ envSteps: z.number(), rng: rngStateSchema });
  const fresh = buildMlp(spec, new Rng(2));
  const before = getParams(fresh);
  const refused = (files: string[], pattern: RegExp) =>
    loadCheckpoint(root, { models: { q: fresh }, optimizers: { q: makeOptimizer({ name: 'adam', lr: 1e-2 }) }, state: stateSchema }).then(
      () => assert.unreachable('should be refused'),
      (e: Error) => {
        for (const f of files) assert.ok(e.message.includes(path.join(dir, f)), `${e.message} names ${f}`);
        assert.match(e.message, pattern);
        for (const [name, t] of Object.entries(getParams(fresh))) assert.equal(Array.from(t.data), Array.from(before[name]!.data), `weights of ${name} untouched`);
      },
    );
  const stateFile = path.join(dir, 'state.msgpack');
  const good = readFileSync(stateFile);
  writeFileSync(stateFile, encode({ envSteps: 'three', rng: [1, 2, 3, 4] }));
  await refused(['state.msgpack'], /envSteps: expected number, got "three"/);
  writeFileSync(stateFile, encode({ envSteps: 3 }));
  await refused(['state.msgpack'], /rng: expected tuple, got undefined/);
  writeFileSync(stateFile, good);
  // the state unchecked (no schema) is the value as saved
  assert.equal((await loadCheckpoint(root)).state, { envSteps: 3, rng: [...new Rng(5).getState()] });

  const optFile = path.join(dir, 'optimizers', 'q.msgpack');
  const goodOpt = readFileSync(optFile);
  writeFileSync(optFile, encode({ slots: [{ name: 'iter', value: { shape: [], data: [1] } }] }));
  await refused(['optimizers/q.msgpack'], /slots\.0\.value\.data: .*got \[.*\]/);
  writeFileSync(optFile, goodOpt);

  const modelFile = path.join(dir, 'models', 'q', 'model.json');
  const manifest = z.looseObject({ weightsManifest: z.array(z.looseObject({ paths: z.array(z.string()) })) }).parse(JSON.parse(readFileSync(modelFile, 'utf8')));
  manifest.weightsManifest[0]!.paths = ['../../../elsewhere.bin'];
  writeFileSync(modelFile, JSON.stringify(manifest));
  await refused(['models/q/model.json'], /weightsManifest\.0\.paths\.0: a file name in the model folder/);
  writeFileSync(modelFile, '{"modelTopology": ');
  await refused(['models/q/model.json'], /not a readable JSON file/);
  model.dispose();
  fresh.dispose();
});

test('a checkpoint whose second model is bad is refused before the first model is written to (every model read and checked first)', async () => {
  const root = tmp();
  const q = buildMlp(spec, new Rng(1));
  // the second model was saved with another architecture: its shapes do not fit the target's
  const other = buildMlp({ ...spec, hidden: [8, 8] }, new Rng(2));
  await saveCheckpoint(root, { models: { q, qTarget: other } });
  const freshQ = buildMlp(spec, new Rng(3));
  const freshTarget = buildMlp(spec, new Rng(4));
  const [beforeQ, beforeTarget] = [getParams(freshQ), getParams(freshTarget)];
  const tensors = tf.memory().numTensors;
  await loadCheckpoint(root, { models: { q: freshQ, qTarget: freshTarget } }).then(
    () => assert.unreachable('should be refused'),
    (e: Error) => assert.match(e.message, /loading model 'qTarget': .*has shape \[4,8\], model expects \[4,16\]/),
  );
  for (const [m, before] of [[freshQ, beforeQ], [freshTarget, beforeTarget]] as const) {
    for (const [name, t] of Object.entries(getParams(m))) assert.equal(Array.from(t.data), Array.from(before[name]!.data), `weights of ${m.name} ${name} untouched`);
  }
  assert.is(tf.memory().numTensors, tensors, 'the weights read before the refusal are freed');
  // the good model alone still loads
  await loadCheckpoint(root, { models: { q: freshQ } });
  assert.equal(Array.from(Object.values(getParams(freshQ))[0]!.data), Array.from(Object.values(getParams(q))[0]!.data));
  [q, other, freshQ, freshTarget].forEach((m) => m.dispose());
});

test.after(() => tf.dispose([X, Y]));

test.run();
