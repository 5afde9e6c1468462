/**
 * bench:generative — trains each generative model on MNIST for a few seeds and checks the
 * quality goals of issue #6 with the project's classifier (generative/eval.ts):
 *
 *   VAE (MLP, 20-d latent)  test −ELBO ≤ 100 nats/image
 *   GAN (MLP)               classifier score ≥ 8.0
 *   WGAN (clip)             classifier score ≥ 8.5
 *   WGAN-GP                 classifier score ≥ 9.0, every class ≥ 7% of samples
 *   DCGAN / cDCGAN          classifier score ≥ 9.3, every class ≥ 7%, Fréchet distance below the MLP GAN's
 *
 * Metrics and wall time per epoch are printed and written, with every run's sample grids
 * (samples/epoch-NNN.png), interpolation strip and generator, under bench/results/generative/
 * <model>-seed<N>/ (not committed: weights); each run's last grid is copied to
 * bench/results/generative/<model>-seed<N>.png and `--report` writes report.md (both committed).
 *
 *   node dist/bench/generative.js [--models vae,gan,wgan,wgan-gp] [--seeds 2 | --seeds 1,7]
 *                                 [--epochs N | --epochs vae=10,gan=30] [--eval-samples 10000] [--backend native]
 *                                 [--results results-2.json]   (runs of other seeds side by side, in another process)
 *                                 [--config '{"vae":{"hidden":400}}' --tag h400]   (a variant)
 *   node dist/bench/generative.js --report [--models …]   (the tables again from every results*.json, no training)
 *   node dist/bench/generative.js --continue --models dcgan --epochs 12 --results results-dcgan.json
 *       (continues the runs of that results file to 12 epochs from the models they saved: the same
 *        epochs an uninterrupted 12-epoch run has, so long runs can span several sittings. Each
 *        epoch ends with a checkpoint (<model>-seed<N>/checkpoints/, generative/epochCheckpoint.ts),
 *        so an interrupted run continues too, from its last epoch; runs of the file that this
 *        invocation does not train are kept as they are)
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../core/backend.js';
import { epochSamplesName, GENERATIVE_FILES, GENERATIVE_KINDS, isGenerativeKind, type GenerativeKind } from '../generative/kinds.js';
import { latestEpochCheckpoint, saveEpochCheckpoint } from '../generative/epochCheckpoint.js';
import { MNIST_SIZES } from '../generative/mnist.js';
import { GENERATIVE_MODELS } from '../generative/models.js';
import { errorMessage } from '../base/plainData.js';
import { firstIssueText } from '../base/schemas.js';
import { z } from 'zod';
import { finishedRunCheckpoint, readRunSummary, trainGenerative, type EpochSummary } from '../generative/train.js';
import { runPath, RUN_FILES } from '../protocol/runFiles.js';
import { arg, mean, positiveIntArg, seedListArg } from './stats.js';
import { epochsArg, readBenchRuns, type GenerativeBenchRun } from './generativeBench.js';
import { CLASSIFIER_SCORE, FRECHET_DISTANCE, LOSS_PREFIX, MIN_CLASS_FRACTION, STEPS_PER_S, TEST_NEG_ELBO } from '../agents/metricNames.js';

/**
 * Epochs per model when --epochs does not say: those of the reported runs (docs/generative.md), where the
 * goals are met or the scores had flattened; a default DCGAN epoch is about 3 minutes on 2 cores (fused engine).
 */
const DEFAULT_EPOCHS: Record<GenerativeKind, number> = { vae: 30, 'vae-conv': 5, gan: 20, wgan: 12, 'wgan-gp': 12, dcgan: 10, cdcgan: 4 };

interface Goal {
  text: string;
  check: (last: EpochSummary, ganFrechet?: number) => boolean;
  result: (last: EpochSummary) => string;
}

const cs = (e: EpochSummary) => e.metrics[CLASSIFIER_SCORE] ?? Number.NaN;
const minClass = (e: EpochSummary) => e.metrics[MIN_CLASS_FRACTION] ?? Number.NaN;
const fd = (e: EpochSummary) => e.metrics[FRECHET_DISTANCE] ?? Number.NaN;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

const csGoal = (min: number, classes = false): Goal => ({
  text: `CS ≥ ${min}${classes ? ', every class ≥ 7%' : ''}`,
  check: (e) => cs(e) >= min && (!classes || minClass(e) >= 0.07),
  result: (e) => `CS ${cs(e).toFixed(2)}${classes ? `, min class ${pct(minClass(e))}` : ''}`,
});

const dcganGoal: Goal = {
  text: 'CS ≥ 9.3, every class ≥ 7%, FD < MLP GAN',
  check: (e, ganFd) => cs(e) >= 9.3 && minClass(e) >= 0.07 && (ganFd === undefined || fd(e) < ganFd),
  result: (e) => `CS ${cs(e).toFixed(2)}, min class ${pct(minClass(e))}, FD ${fd(e).toFixed(2)}`,
};

const GOALS: Record<GenerativeKind, Goal> = {
  vae: {
    text: 'test −ELBO ≤ 100 nats',
    check: (e) => (e.metrics[TEST_NEG_ELBO] ?? Infinity) <= 100,
    result: (e) => `${(e.metrics[TEST_NEG_ELBO] ?? Number.NaN).toFixed(1)} nats`,
  },
  'vae-conv': {
    text: 'test −ELBO ≤ 100 nats',
    check: (e) => (e.metrics[TEST_NEG_ELBO] ?? Infinity) <= 100,
    result: (e) => `${(e.metrics[TEST_NEG_ELBO] ?? Number.NaN).toFixed(1)} nats`,
  },
  gan: csGoal(8.0),
  wgan: csGoal(8.5),
  'wgan-gp': csGoal(9.0, true),
  dcgan: dcganGoal,
  cdcgan: dcganGoal,
};

type Run = GenerativeBenchRun;

/**
 * --config's JSON: an object of model kind → that model's config, each checked now by its model's
 * resolver (generative/models.ts), so a typo or a bad value fails before the first model trains,
 * not when its turn comes hours later; an error names the flag, the kind and the field.
 */
function parseConfigs(text: string | undefined): Partial<Record<GenerativeKind, Record<string, unknown>>> {
  if (text === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`--config: not JSON (${errorMessage(e)})`);
  }
  const parsed = z.record(z.string(), z.record(z.string(), z.unknown())).safeParse(value);
  if (!parsed.success) throw new Error(`${firstIssueText(parsed.error, { root: '--config', input: value })} (--config is an object of model kind → config object)`);
  const configs: Partial<Record<GenerativeKind, Record<string, unknown>>> = {};
  for (const [kind, config] of Object.entries(parsed.data)) {
    if (!isGenerativeKind(kind)) throw new Error(`--config: unknown model '${kind}' (known: ${GENERATIVE_KINDS.join(', ')})`);
    try {
      GENERATIVE_MODELS[kind].resolve(config);
    } catch (e) {
      throw new Error(`--config.${kind}: ${errorMessage(e)}`);
    }
    configs[kind] = config;
  }
  return configs;
}

async function main(): Promise<void> {
  // every flag is checked before anything loads or trains
  const models = (arg('models') ?? 'vae,gan,wgan,wgan-gp,dcgan,cdcgan').split(',').map((m): GenerativeKind => {
    if (!isGenerativeKind(m)) throw new Error(`--models: unknown model '${m}' (known: ${GENERATIVE_KINDS.join(', ')})`);
    return m;
  });
  const seedsArg = arg('seeds') ?? '2';
  // a list ("1,7"; "2," for seed 2 alone) or a count N (seeds 1..N)
  const seeds = seedsArg.includes(',') ? seedListArg('seeds', seedsArg) : Array.from({ length: positiveIntArg('seeds', seedsArg, 2) }, (_, i) => i + 1);
  const evalSamples = positiveIntArg('eval-samples', arg('eval-samples'), MNIST_SIZES.test);
  const epochsOf = epochsArg(arg('epochs'), DEFAULT_EPOCHS);
  // --config '{"vae":{"hidden":400}}' overrides model configs; --tag names such a variant (outDir, tables)
  const configs = parseConfigs(arg('config'));
  const backend = await initBackend(arg('backend') !== undefined ? { backend: arg('backend')! } : {});
  const tag = arg('tag') !== undefined ? `-${arg('tag')}` : '';
  const root = path.join('bench', 'results', 'generative');
  mkdirSync(root, { recursive: true });
  console.log(`bench:generative on backend ${backend.name}: models ${models.join(', ')}; seeds ${seeds.join(', ')}; ${evalSamples} samples per evaluation`);
  const runs: Run[] = [];
  // --results NAME lets runs of different seeds go side by side (separate processes); --report merges results*.json
  const resultsFile = path.join(root, arg('results') ?? 'results.json');
  const write = () =>
    writeFileSync(
      resultsFile,
      JSON.stringify({ date: new Date().toISOString(), node: process.version, backend: backend.name, argv: process.argv.slice(2), runs }, null, 2),
    );
  // seed-major: an interrupted bench still has every model for the first seed
  if (process.argv.includes('--report')) {
    for (const file of readdirSync(root).filter((f) => /^results.*\.json$/.test(f)).sort()) {
      runs.push(...readBenchRuns(path.join(root, file)).filter((r) => models.some((m) => r.model === m || r.model.startsWith(`${m}-`))));
    }
    const base = (m: string) => models.findIndex((x) => m === x || m.startsWith(`${x}-`));
    runs.sort((a, b) => base(a.model) - base(b.model) || a.model.localeCompare(b.model) || a.seed - b.seed);
  } else {
    // --continue: the runs already in the results file, to extend from the models they saved
    const previous = process.argv.includes('--continue') && existsSync(resultsFile) ? readBenchRuns(resultsFile) : [];
    // the file's other runs stay in it
    runs.push(...previous.filter((r) => !(seeds.includes(r.seed) && models.some((m) => r.model === m + tag))));
    for (const seed of seeds) {
      for (const model of models) {
        const epochs = epochsOf(model);
        const outDir = path.join(root, `${model}${tag}-seed${seed}`);
        const prior = previous.find((r) => r.model === model + tag && r.seed === seed);
        const run: Run = prior ?? { model: model + tag, seed, epochs: [], wallSeconds: 0, ...(configs[model] !== undefined ? { config: configs[model] } : {}) };
        if (prior !== undefined && JSON.stringify(prior.config ?? {}) !== JSON.stringify(configs[model] ?? {})) {
          throw new Error(`--continue: ${model + tag} seed ${seed} was trained with config ${JSON.stringify(prior.config ?? {})}, not ${JSON.stringify(configs[model] ?? {})}`);
        }
        const checkpoints = runPath(outDir, 'checkpoints');
        // a fresh run starts from no checkpoint; a continued one from its newest, if it was interrupted
        const latest = prior !== undefined ? latestEpochCheckpoint(checkpoints) : undefined;
        if (prior === undefined) rmSync(checkpoints, { recursive: true, force: true });
        let resume: Parameters<typeof trainGenerative>[0]['resume'];
        if (latest !== undefined) {
          // the results are written before the checkpoint at an epoch's end: they may be one epoch ahead
          if (latest.epoch > run.epochs.length) throw new Error(`--continue: ${latest.dir} is after epoch ${latest.epoch}, but ${resultsFile} records ${run.epochs.length} epochs of ${model + tag} seed ${seed}`);
          if (latest.epoch < run.epochs.length) {
            console.log(`${model + tag} seed ${seed}: ${resultsFile} records ${run.epochs.length} epochs, the newest checkpoint is after epoch ${latest.epoch}: epochs ${latest.epoch + 1}–${run.epochs.length} are trained again`);
            for (const e of run.epochs.splice(latest.epoch)) run.wallSeconds -= e.trainSeconds + e.evalSeconds;
          }
          resume = { dir: latest.dir, epoch: latest.epoch, step: latest.step, dataRng: latest.dataRng };
          console.log(`${model + tag} seed ${seed}: continuing after epoch ${latest.epoch} from its checkpoint ${latest.dir}`);
        }
        const done = run.epochs.length;
        if (resume === undefined && done > 0) {
          const summaryFile = runPath(outDir, 'summary');
          if (!existsSync(summaryFile) || !existsSync(path.join(outDir, GENERATIVE_FILES.modelState))) throw new Error(`--continue: ${outDir} holds no finished run to continue (${RUN_FILES.summary}, ${GENERATIVE_FILES.modelState})`);
          const summary = readRunSummary(outDir);
          const last = summary.epochs.at(-1);
          if (last?.epoch !== done) throw new Error(`--continue: ${summaryFile} ends at epoch ${last?.epoch ?? 0}, but ${resultsFile} records ${done} epochs of ${model + tag} seed ${seed}`);
          resume = { dir: outDir, ...finishedRunCheckpoint(seed, done, last.steps) };
          console.log(`${model + tag} seed ${seed}: continuing after epoch ${done} from ${outDir}`);
        }
        runs.push(run);
        if (done >= epochs) continue;
        const t0 = performance.now();
        const wallBefore = run.wallSeconds;
        await trainGenerative({
          ...(resume !== undefined ? { resume } : {}),
          kind: model,
          config: configs[model] ?? {},
          epochs,
          seed,
          outDir,
          evalSamples,
          log: (line) => console.log(line),
          onEpoch: (s) => {
            run.epochs.push(s);
            run.wallSeconds = wallBefore + (performance.now() - t0) / 1000;
            write();
          },
          onCheckpoint: async (c) => {
            await saveEpochCheckpoint(checkpoints, c, 1);
          },
        });
        // finished: the run's own files (generator/, critic/, state.msgpack, summary.json) are where it continues from
        rmSync(checkpoints, { recursive: true, force: true });
        run.wallSeconds = wallBefore + (performance.now() - t0) / 1000;
        write();
        const lastGrid = path.join(runPath(outDir, 'samples'), epochSamplesName(epochs));
        if (existsSync(lastGrid)) copyFileSync(lastGrid, path.join(root, `${model}${tag}-seed${seed}.png`));
      }
    }
  }
  const lines: string[] = [];
  const out = (line: string) => {
    lines.push(line);
    console.log(line);
  };

  // per-epoch table
  out('\nper epoch (train s = wall-clock training time of the epoch, evaluation excluded)');
  out('| model | seed | epoch | train s | steps/s | losses | test −ELBO | CS | FD | min class |');
  out('|---|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) {
    for (const e of r.epochs) {
      const losses = Object.entries(e.metrics)
        .filter(([k]) => k.startsWith(LOSS_PREFIX))
        .map(([k, v]) => `${k.slice(LOSS_PREFIX.length)} ${v.toFixed(3)}`)
        .join(', ');
      const f = (k: string, d = 2) => (e.metrics[k] === undefined ? '—' : e.metrics[k]!.toFixed(d));
      out(`| ${r.model} | ${r.seed} | ${e.epoch} | ${e.trainSeconds.toFixed(1)} | ${f(STEPS_PER_S, 1)} | ${losses} | ${f(TEST_NEG_ELBO, 1)} | ${f(CLASSIFIER_SCORE)} | ${f(FRECHET_DISTANCE)} | ${e.metrics[MIN_CLASS_FRACTION] === undefined ? '—' : pct(e.metrics[MIN_CLASS_FRACTION])} |`);
    }
  }

  // goals
  const ganRuns = runs.filter((r) => r.model === 'gan' && r.epochs.length > 0);
  const ganFd = ganRuns.length > 0 ? mean(ganRuns.map((r) => fd(r.epochs[r.epochs.length - 1]!))) : undefined;
  out('\ngoals (last epoch of each seed)');
  out('| model | epochs | s/epoch (train) | goal | result per seed | met |');
  out('|---|---|---|---|---|---|');
  const table: { model: string; goal: string; results: string[]; met: boolean }[] = [];
  for (const model of [...new Set(runs.map((r) => r.model))]) {
    // a variant (--tag, which may hold dashes) has the goal of its model kind
    const kind = GENERATIVE_KINDS.filter((k) => model === k || model.startsWith(`${k}-`)).sort((a, b) => b.length - a.length)[0];
    const goal = kind === undefined ? undefined : GOALS[kind];
    const rs = runs.filter((r) => r.model === model && r.epochs.length > 0);
    if (rs.length === 0) continue;
    const lasts = rs.map((r) => r.epochs[r.epochs.length - 1]!);
    const results = rs.map((r, i) => `seed ${r.seed}: ${goal ? goal.result(lasts[i]!) : '—'}`);
    const met = goal !== undefined && lasts.every((e) => goal.check(e, ganFd));
    const secPerEpoch = rs.flatMap((r) => r.epochs.map((e) => e.trainSeconds));
    const meanSec = mean(secPerEpoch);
    table.push({ model, goal: goal?.text ?? '—', results, met });
    out(`| ${model} | ${rs[0]!.epochs.length} | ${meanSec.toFixed(1)} | ${goal?.text ?? '—'} | ${results.join('; ')} | ${goal === undefined ? '—' : met ? 'yes' : 'no'} |`);
  }
  if (!process.argv.includes('--report')) {
    // a results file is never rewritten with no runs in it (the runs of another invocation would be lost)
    if (runs.length === 0) throw new Error(`no runs to record: ${resultsFile} is left as it was`);
    writeFileSync(
      resultsFile,
      JSON.stringify({ date: new Date().toISOString(), node: process.version, backend: backend.name, argv: process.argv.slice(2), ganFrechet: ganFd, goals: table, runs }, null, 2),
    );
  }
  if (process.argv.includes('--report')) {
    const header = `# bench:generative report\n\n\`node dist/bench/generative.js ${process.argv.slice(2).join(' ')}\` on backend ${backend.name}, from ${[...new Set(runs.map((r) => r.model))].join(', ')} runs in ${root}/results*.json; sample grids: ${root}/<model>-seed<N>.png\n`;
    writeFileSync(path.join(root, 'report.md'), `${header}\n${lines.join('\n')}\n`);
    console.log(`\nwritten ${path.join(root, 'report.md')}`);
  } else console.log(`\nwritten ${resultsFile} and the sample grids under ${root}/<model>-seed<N>/samples/`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
