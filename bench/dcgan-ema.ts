/**
 * What generator averaging (DCGAN `emaDecay`) buys, measured on finished bench:generative runs: the
 * online G (`generator-online/`) and θ̄ (`generator/`) of each run, evaluated with the same cached
 * classifier on the same 10k latents (the seed the training loop's evaluation uses), beside the
 * test set's own classifier score, so the comparison does not depend on which machine trained the
 * classifier.
 *
 *   node dist/bench/dcgan-ema.js [--tag info-ema] [--seeds 1,2] [--eval-samples 10000]
 *       (reads bench/results/generative/dcgan<-tag>-seed<N>/ and its config from results*.json;
 *        writes the table to bench/results/generative/dcgan<-tag>-online-vs-ema.md)
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from '../core/backend.js';
import { loadWeightsInto } from '../core/checkpoint.js';
import { Dcgan, resolveDcganConfig, type DcganConfig } from '../generative/dcgan.js';
import { GENERATIVE_FILES } from '../generative/kinds.js';
import { classifierScore, evaluateGenerator, featureStats, GENERATIVE_EVAL_SEEDS, type GeneratorEval } from '../generative/eval.js';
import { loadOrTrainClassifier } from '../generative/lenet.js';
import { loadMnist, MNIST_SIZES, scalePixels } from '../generative/mnist.js';
import { arg, positiveIntArg, seedListArg } from './stats.js';
import { readBenchRuns } from './generativeBench.js';
import { errorMessage } from '../base/plainData.js';

const root = path.join('bench', 'results', 'generative');

/**
 * The config a results file recorded for run `model` (e.g. 'dcgan-info-ema'): as recorded (for the
 * table's header) and resolved by DCGAN's one config check, whose error names the file and run.
 */
function recordedConfig(model: string): { recorded: Record<string, unknown>; config: DcganConfig } {
  for (const file of readdirSync(root).filter((f) => /^results.*\.json$/.test(f))) {
    const run = readBenchRuns(path.join(root, file)).find((r) => r.model === model);
    if (run === undefined) continue;
    const recorded = run.config ?? {};
    try {
      return { recorded, config: resolveDcganConfig(recorded) };
    } catch (e) {
      throw new Error(`${path.join(root, file)}: the config of run '${model}': ${errorMessage(e)}`);
    }
  }
  throw new Error(`no results*.json in ${root} holds a '${model}' run`);
}

const line = (e: GeneratorEval) => `CS ${e.classifierScore.toFixed(3)} | FD ${e.frechetDistance.toFixed(2)} | ${(100 * e.minClassFraction).toFixed(1)}%`;

async function main(): Promise<void> {
  const backend = await initBackend(arg('backend') !== undefined ? { backend: arg('backend')! } : {});
  const model = `dcgan-${arg('tag') ?? 'info-ema'}`;
  const seeds = seedListArg('seeds', arg('seeds') ?? '1,2');
  const samples = positiveIntArg('eval-samples', arg('eval-samples'), MNIST_SIZES.test);
  const { recorded, config } = recordedConfig(model);
  if (!(config.emaDecay > 0)) throw new Error(`'${model}' was trained without emaDecay: no θ̄ to compare`);
  const classifier = await loadOrTrainClassifier({ log: console.log });
  const mnist = await loadMnist();
  const test = classifier.predict(scalePixels(mnist.test.images, 'unit'), mnist.test.n);
  const reference = featureStats(test.features, mnist.test.n, classifier.featureDim);
  const lines: string[] = [];
  const out = (l: string) => {
    lines.push(l);
    console.log(l);
  };
  out(`bench dcgan-ema on backend ${backend.name}: ${model}, config ${JSON.stringify(recorded)}; classifier test accuracy ${(100 * classifier.testAccuracy).toFixed(2)}%, test set CS ${classifierScore(test.probs, mnist.test.n).toFixed(3)}\n`);
  out('| seed | generator | classifier score | FD | smallest class |\n|---|---|---|---|---|');
  for (const seed of seeds) {
    const dir = path.join(root, `${model}-seed${seed}`);
    if (!existsSync(path.join(dir, GENERATIVE_FILES.modelState))) throw new Error(`${dir} holds no finished run (${GENERATIVE_FILES.modelState})`);
    const averaged = new Dcgan(config);
    await averaged.load(dir);
    const online = new Dcgan({ ...config, emaDecay: 0 });
    await loadWeightsInto(online.generator, path.join(dir, GENERATIVE_FILES.generatorOnline));
    // the training loop evaluates with seed + 1 (generative/train.ts)
    for (const [name, learner] of [['online G', online], ['θ̄ (EMA)', averaged]] as const) {
      out(`| ${seed} | ${name} | ${line(evaluateGenerator(learner, classifier, reference, { samples, seed: GENERATIVE_EVAL_SEEDS.score(seed) }))} |`);
    }
    averaged.dispose();
    online.dispose();
  }
  const file = path.join(root, `${model}-online-vs-ema.md`);
  writeFileSync(file, `# \`node dist/bench/dcgan-ema.js ${process.argv.slice(2).join(' ')}\`\n\n${lines.join('\n')}\n`);
  console.log(`\nwritten ${file}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
