/**
 * `nnlab train <tabular agent>`: one tabular agent trained on one env in this thread, in the run
 * directory of a spec with no threads (coordinator/train.ts makes it and writes its spec, meta and
 * result): progress lines, each episode's metrics at its env step, a final greedy evaluation and the
 * saved Q table. `nnlab run` of a tabular spec trains it as a trial instead (drivers/trials.ts), which
 * may run on any worker and reports only its curve and score. (`nnlab train dqn` and the generative
 * kinds run as specs with no threads through `nnlab run`'s own drivers.)
 */
import { runPath } from '../protocol/runFiles.js';
import { make } from '../envs/index.js';
import { isTabular, TABULAR_ALGOS } from '../agents/algos.js';
import { RL_AGENTS } from '../agents/registry.js';
import { discreteEnv, GREEDY_MAX_STEPS, greedyTabularPolicy, trainTabular } from '../agents/tabular.js';
import { finalEvaluationOn } from '../agents/evaluate.js';
import { formatMetric } from '../base/format.js';
import type { Metrics } from '../base/metrics.js';
import { EVAL_MEAN_RETURN } from '../agents/metricNames.js';
import { TABULAR_EPISODES } from '../protocol/tasks.js';
import { greedyEvaluationText, type RunMetrics, type RunOutcome } from './context.js';

export interface TrainOptions {
  agent: string;
  env: string;
  seed: number;
  /** Episodes (default TABULAR_EPISODES). */
  budget?: number;
  /** Greedy episodes of the final evaluation (the spec's eval.finalEpisodes). */
  finalEpisodes: number;
  /** The run's directory (made by the coordinator): the Q table goes in its checkpoints/. */
  runDir: string;
  /** The run's metrics log (metrics.jsonl and metrics.csv). */
  metrics: RunMetrics;
  backend: string;
  log?: (line: string) => void;
}

/** Trains, evaluates and saves the agent; the outcome's message is the final evaluation line. */
export async function runTrain(opts: TrainOptions): Promise<RunOutcome> {
  const log = opts.log ?? ((l: string) => console.log(l));
  const algo = opts.agent;
  if (!isTabular(algo)) {
    throw new Error(`unknown agent '${algo}' (expected one of ${TABULAR_ALGOS.join(', ')})`);
  }
  const { runDir } = opts;
  let lastLog = 0;
  let envSteps = 0;
  const onMetrics = (m: Metrics, step: number) => {
    opts.metrics.write(step, m);
    envSteps = step;
    const now = performance.now();
    if (m[EVAL_MEAN_RETURN] !== undefined || now - lastLog > 2000) {
      lastLog = now;
      const fields = Object.entries(m).map(([k, v]) => `${k} ${formatMetric(v)}`);
      log(`step ${String(step).padStart(7)}  ${fields.join('  ')}`);
    }
  };
  log(`nnlab train ${opts.agent} on ${opts.env}, seed ${opts.seed}, backend ${opts.backend}; metrics in ${runPath(runDir, 'metricsJsonl')}`);
  const { Agent } = RL_AGENTS[algo];
  const made = make(opts.env);
  try {
    const env = discreteEnv(made, Agent.agentName);
    const agent = Agent.forEnv(env, { seed: opts.seed });
    trainTabular(env, agent, { episodes: opts.budget ?? TABULAR_EPISODES, onMetrics });
    const { meanReturn, stdReturn } = finalEvaluationOn(env, greedyTabularPolicy(agent.params), { episodes: opts.finalEpisodes, seed: opts.seed, maxSteps: GREEDY_MAX_STEPS });
    const checkpoints = runPath(runDir, 'checkpoints');
    await agent.save(checkpoints);
    return { state: 'finished', message: `${greedyEvaluationText(opts.finalEpisodes, meanReturn, stdReturn)}; Q table in ${checkpoints}`, envSteps, finalScore: meanReturn };
  } finally {
    // closed however the run ends, as a trial's env is (workers/trial.ts): a user env may hold files, a renderer, a process
    made.close();
  }
}
