/**
 * `nnlab train <tabular agent>`: a single-process training run of one tabular agent on one env,
 * with progress lines, metrics as JSONL under runs/<id>/metrics.jsonl, a final greedy evaluation and
 * a saved Q table. (`nnlab train dqn` and the generative kinds run as specs with no threads.)
 */
import { mkdirSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { make, type Env } from '../envs/index.js';
import { isTabular, TABULAR_ALGOS } from '../agents/algos.js';
import { RL_AGENTS } from '../agents/registry.js';
import { evaluateGreedy, trainTabular } from '../agents/tabular.js';
import { EVAL_SEEDS } from '../agents/evaluate.js';
import type { Metrics } from '../agents/types.js';
import { TABULAR_EPISODES } from '../protocol/tasks.js';

export interface TrainOptions {
  agent: string;
  env: string;
  seed: number;
  /** Episodes (default TABULAR_EPISODES). */
  budget?: number;
  runDir?: string;
  backend: string;
  log?: (line: string) => void;
}

/** Trains one tabular agent (`opts.agent`; DQN runs as a spec with no threads: coordinator/cli.ts). */
export async function runTrain(opts: TrainOptions): Promise<{ meanReturn: number; runDir: string }> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const algo = opts.agent;
  if (!isTabular(algo)) {
    throw new Error(`unknown agent '${algo}' (expected one of ${TABULAR_ALGOS.join(', ')})`);
  }
  const runDir = opts.runDir ?? path.join('runs', `${opts.agent}-${opts.env}-${opts.seed}-${Date.now().toString(36)}`);
  mkdirSync(runDir, { recursive: true });
  const metricsFile = createWriteStream(path.join(runDir, 'metrics.jsonl'));
  const t0 = performance.now();
  let lastLog = 0;
  const onMetrics = (m: Metrics, step: number) => {
    metricsFile.write(JSON.stringify({ step, time: +((performance.now() - t0) / 1000).toFixed(3), ...m }) + '\n');
    const now = performance.now();
    if (m['eval/mean_return'] !== undefined || now - lastLog > 2000) {
      lastLog = now;
      const fields = Object.entries(m).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(3)}`);
      log(`step ${String(step).padStart(7)}  ${fields.join('  ')}`);
    }
  };
  log(`nnlab train ${opts.agent} on ${opts.env}, seed ${opts.seed}, backend ${opts.backend}; metrics in ${runDir}/metrics.jsonl`);
  const env = make(opts.env) as Env<number, number>;
  const agent = RL_AGENTS[algo].Agent.forEnv(env, { seed: opts.seed });
  trainTabular(env, agent, { episodes: opts.budget ?? TABULAR_EPISODES, onMetrics });
  const meanReturn = evaluateGreedy(env, agent.params, 100, EVAL_SEEDS.final(opts.seed), 10_000);
  await agent.save(path.join(runDir, 'checkpoints'));
  log(`greedy evaluation over 100 episodes: mean return ${meanReturn.toFixed(3)}; Q table in ${runDir}/checkpoints`);
  await new Promise<void>((resolve) => metricsFile.end(resolve));
  return { meanReturn, runDir };
}
