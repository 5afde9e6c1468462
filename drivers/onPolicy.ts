/**
 * The policy-gradient runs: REINFORCE, Actor-Critic and A2C train in the coordinator's own process,
 * with metrics streamed as they happen (their rollouts are on-policy and short, so they step their
 * vector envs inline).
 */
import { runPath } from '../protocol/runFiles.js';
import { finalEvaluation } from '../agents/evaluate.js';
import { EPISODIC_RETURN, FINAL_MEAN_RETURN } from '../agents/metricNames.js';
import { POLICY_MODEL } from '../agents/netNames.js';
import { RL_AGENTS } from '../agents/registry.js';
import type { TrainPgOptions } from '../agents/onPolicy.js';
import { defaultEnvSteps } from '../protocol/tasks.js';
import { greedyEvaluationText, type RlRunContext, type RunOutcome } from './context.js';
import { agentConfigOf, type RlSpec } from './spec.js';

/** How a policy-gradient run resumes: it does not (its checkpoint is its end, not a point to continue from), so `--resume RUN_DIR` is refused. */
export function loadOnPolicyResume(runDir: string, spec: RlSpec): never {
  throw new Error(`--resume ${runDir}: a ${spec.agent.algo} run is not resumed (it is not checkpointed mid-run; DQN and generative runs are); run it again`);
}

export async function runOnPolicy(ctx: RlRunContext): Promise<RunOutcome> {
  const { spec } = ctx;
  const algo = spec.agent.algo;
  const entry = RL_AGENTS[algo];
  if (entry.family !== 'policy-gradient') throw new RangeError(`spec.agent.algo: '${algo}' cannot run in process`);
  const budget = spec.budget.envSteps ?? defaultEnvSteps(spec.agent.algo);
  let last = 0;
  const opts: TrainPgOptions<Record<string, unknown>> = {
    envId: ctx.envRef.id,
    kwargs: ctx.envRef.kwargs,
    config: agentConfigOf(spec),
    totalTimesteps: budget,
    onMetrics: (m, step) => {
      ctx.metrics.write(step, m);
      const ret = m[EPISODIC_RETURN];
      if (ret !== undefined) last = ret;
      ctx.progress(step, budget, { return: last });
    },
    evalEpisodes: spec.eval.episodes,
    goalEpisodes: spec.eval.finalEpisodes,
  };
  if (spec.eval.interval > 0) opts.evalInterval = spec.eval.interval;
  if (spec.eval.goal !== undefined) opts.goal = spec.eval.goal;
  const result = entry.train(opts);
  ctx.progressBreak();
  // the reported score is the saved parameters', on episodes no evaluation during training played
  const learner = result.learner;
  const saved = await learner.saveCheckpoint(runPath(ctx.runDir, 'checkpoints'));
  const { params, version } = learner.getPolicyParams();
  ctx.publish(params, version, learner.config.activation);
  const actor = learner.actor();
  const final = finalEvaluation(ctx.envRef.id, (obs) => actor.greedy(obs), { episodes: spec.eval.finalEpisodes, seed: learner.config.seed, kwargs: ctx.envRef.kwargs });
  ctx.metrics.write(result.envSteps, { [FINAL_MEAN_RETURN]: final.meanReturn });
  learner.dispose();
  const outcome: RunOutcome = {
    state: 'finished',
    message: `${result.envSteps} env steps in ${result.wallSeconds.toFixed(1)} s; ${greedyEvaluationText(final.returns.length, final.meanReturn, final.stdReturn)}`,
    envSteps: result.envSteps,
    finalScore: final.meanReturn,
    evaluation: { finalScore: final.meanReturn, finalStd: final.stdReturn, finalEpisodes: final.returns.length, firstSeed: final.firstSeed, policyVersion: version, updates: learner.updates, checkpoint: saved, model: POLICY_MODEL },
  };
  if (result.goalReachedAt !== undefined) outcome.goalReachedAt = result.goalReachedAt;
  return outcome;
}

