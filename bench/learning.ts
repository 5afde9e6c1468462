/**
 * bench:learning — does each agent reach its goal (issue 4's table), in how many env steps and
 * how many wall seconds, per seed; and PyTorch's DQN on the same CartPole with the same
 * hyperparameters, side by side, reported as a wall-time-to-goal ratio.
 *
 *   node dist/bench/learning.js [--only tabular,pg,dqn] [--seeds 5] [--dqn-steps 100000] [--no-torch]
 *
 * Prints a table and writes bench/results/learning.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../core/backend.js';
import { make, TaxiEnv } from '../envs/index.js';
import type { Env } from '../envs/index.js';
import { QLearning } from '../agents/qlearning.js';
import { Sarsa } from '../agents/sarsa.js';
import { discreteEnv, evaluateGreedy, greedyAction, trainTabular, type QParams, type TabularAgent } from '../agents/tabular.js';
import { trainDqn, DQN_DEFAULTS } from '../agents/dqn.js';
import { evaluatePolicyOn } from '../agents/evaluate.js';
import { trainReinforce } from '../agents/reinforce.js';
import { trainActorCritic } from '../agents/actorCritic.js';
import { trainA2c } from '../agents/a2c.js';
import type { TrainPgOptions, TrainPgResult } from '../agents/onPolicy.js';
import { findTorchPython, mean, median, parseJsonFrom, positiveIntArg } from './stats.js';
import { z } from 'zod';

interface Row {
  agent: string;
  env: string;
  seed: number;
  goal: string;
  met: boolean;
  score: number;
  envSteps: number;
  wallSeconds: number;
  note?: string;
}

const rows: Row[] = [];
const here = path.dirname(fileURLToPath(import.meta.url));
const pythonDir = path.resolve(here, '../../bench/python');

/** Value iteration on a toy-text transition table: the optimal expected undiscounted return from s. */
function optimalValues(P: [number, number, number, boolean][][][], numStates: number, numActions: number): Float64Array {
  let V = new Float64Array(numStates);
  for (let it = 0; it < 2000; it++) {
    const next = new Float64Array(numStates);
    for (let s = 0; s < numStates; s++) {
      let best = -Infinity;
      for (let a = 0; a < numActions; a++) {
        let q = 0;
        for (const [p, s2, r, term] of P[s]![a]!) q += p * (r + (term ? 0 : V[s2]!));
        best = Math.max(best, q);
      }
      next[s] = best;
    }
    V = next;
  }
  return V;
}

function tabular(seeds: number): void {
  const cases: { agent: string; make: (env: Env<number, number>, seed: number) => TabularAgent; env: string; episodes: number; config: Record<string, number>; goal: string; check: (env: Env<number, number>, p: QParams, returns: Float64Array) => { met: boolean; score: number; note: string } }[] = [
    {
      agent: 'Q-learning', env: 'CliffWalking-v1', episodes: 500, config: { alpha: 0.5, epsilon: 0.1, gamma: 1 },
      make: (env, seed) => QLearning.forEnv(env, { alpha: 0.5, epsilon: 0.1, gamma: 1, seed }),
      goal: 'greedy −13; online ≈ −50',
      check: (env, p, r) => { const g = evaluateGreedy(env, p, 1, 0, 200); return { met: g === -13, score: g, note: `online mean ep 400–499: ${mean(r.slice(400)).toFixed(1)}` }; },
    },
    {
      agent: 'SARSA', env: 'CliffWalking-v1', episodes: 500, config: { alpha: 0.5, epsilon: 0.1, gamma: 1 },
      make: (env, seed) => Sarsa.forEnv(env, { alpha: 0.5, epsilon: 0.1, gamma: 1, seed }),
      goal: 'greedy −15…−17; online ≈ −25',
      check: (env, p, r) => { const g = evaluateGreedy(env, p, 1, 0, 200); return { met: g >= -17 && g <= -15, score: g, note: `online mean ep 400–499: ${mean(r.slice(400)).toFixed(1)}` }; },
    },
    ...(['Q-learning', 'SARSA'] as const).map((agent) => ({
      agent, env: 'FrozenLake-v1', episodes: 20000, config: { alpha: 0.05, epsilon: 0.1, gamma: 0.99 },
      make: (env: Env<number, number>, seed: number) => (agent === 'SARSA' ? Sarsa : QLearning).forEnv(env, { alpha: 0.05, epsilon: 0.1, gamma: 0.99, seed }),
      goal: 'greedy success ≥ 0.70 / 1000 ep',
      check: (env: Env<number, number>, p: QParams) => { const g = evaluateGreedy(env, p, 1000, 10_000); return { met: g >= 0.7, score: g, note: '' }; },
    })),
    {
      agent: 'Q-learning', env: 'Taxi-v4', episodes: 5000, config: { alpha: 0.1, epsilon: 0.1, gamma: 0.99 },
      make: (env, seed) => QLearning.forEnv(env, { alpha: 0.1, epsilon: 0.1, gamma: 0.99, seed }),
      goal: 'greedy optimal (issue: ≥ 8.0; optimum is 7.91)',
      check: (env, p) => {
        const u = env.unwrapped;
        if (!(u instanceof TaxiEnv)) throw new Error(`Taxi-v4 check: the env is a ${u.constructor.name}, not TaxiEnv`);
        const V = optimalValues(u.P, 500, 6);
        // 100 greedy episodes, episode k reset with seed 10 000 + k, each cut at 200 steps
        const { returns, meanReturn } = evaluatePolicyOn(env, (s) => greedyAction(p, s), 100, 10_000, 200);
        let optimalStarts = 0;
        let vStar = 0;
        for (let k = 0; k < 100; k++) {
          const v = V[env.reset({ seed: 10_000 + k })[0]]!;
          vStar += v;
          if (Math.abs(returns[k]! - v) < 1e-9) optimalStarts++;
        }
        // The issue's ≥ 8.0 exceeds the optimal expected return (7.91 by value iteration over the
        // start distribution), so the goal checked is optimality on every evaluated start state.
        return { met: optimalStarts === 100, score: meanReturn, note: `V* on these starts ${(vStar / 100).toFixed(2)}; greedy optimal on ${optimalStarts}/100` };
      },
    },
  ];
  for (const c of cases) {
    for (let seed = 0; seed < seeds; seed++) {
      const env = discreteEnv(make(c.env));
      const agent = c.make(env, seed);
      const t0 = performance.now();
      let envSteps = 0;
      const returns = trainTabular(env, agent, { episodes: c.episodes, onMetrics: (_m, step) => (envSteps = step) });
      const wallSeconds = (performance.now() - t0) / 1000;
      const { met, score, note } = c.check(env, agent.params, returns);
      rows.push({ agent: c.agent, env: c.env, seed, goal: c.goal, met, score, envSteps, wallSeconds, note });
    }
  }
}

/** The policy-gradient agents with their default configs; each run stops at its goal. */
function policyGradient(seeds: number): void {
  // each trainer takes a config of its own; every one of them has a seed, the one field set here
  const cases: { agent: string; env: string; goal: number; totalTimesteps: number; evalInterval: number; train: (o: TrainPgOptions<{ seed: number }>) => TrainPgResult<{ dispose(): void }> }[] = [
    { agent: 'REINFORCE', env: 'CartPole-v1', goal: 475, totalTimesteps: 300_000, evalInterval: 5000, train: trainReinforce },
    { agent: 'Actor-Critic (one-step)', env: 'CartPole-v1', goal: 475, totalTimesteps: 500_000, evalInterval: 10_000, train: trainActorCritic },
    { agent: 'A2C', env: 'CartPole-v1', goal: 475, totalTimesteps: 500_000, evalInterval: 10_000, train: trainA2c },
    { agent: 'A2C', env: 'Acrobot-v1', goal: -100, totalTimesteps: 500_000, evalInterval: 10_000, train: trainA2c },
  ];
  for (const c of cases) {
    for (let seed = 0; seed < seeds; seed++) {
      const r = c.train({ envId: c.env, config: { seed }, totalTimesteps: c.totalTimesteps, evalInterval: c.evalInterval, evalEpisodes: 10, goalEpisodes: 100, goal: c.goal });
      rows.push({
        agent: c.agent, env: c.env, seed, goal: `greedy 100-ep mean ≥ ${c.goal}`, met: r.goalReachedAt !== undefined,
        score: r.lastEval?.meanReturn ?? Number.NaN, envSteps: r.envSteps, wallSeconds: r.wallSeconds, note: `${r.updates} updates`,
      });
      r.learner.dispose();
      console.log(`  ${c.agent} ${c.env} seed ${seed}: ${r.goalReachedAt !== undefined ? 'goal' : 'no goal'} at ${r.envSteps} steps, ${r.wallSeconds.toFixed(1)} s`);
    }
  }
}

/** What bench/python/dqn_cartpole.py prints last: when it reached the goal (null: never), its steps, time and updates, torch and threads. */
const DQN_PEER_OUTPUT = z.object({ goal_reached_at: z.number().nullable(), env_steps: z.number(), wall_seconds: z.number(), updates: z.number(), torch: z.string(), threads: z.number().int() });

function dqn(seeds: number, totalTimesteps: number, withTorch: boolean, backend: string): { torch: Row[] } {
  const torchRows: Row[] = [];
  const py = withTorch ? findTorchPython() : undefined;
  for (let seed = 0; seed < seeds; seed++) {
    const r = trainDqn({ envId: 'CartPole-v1', config: { seed }, totalTimesteps, evalInterval: 5000, evalEpisodes: 10, goal: 475 });
    const final = r.lastEval?.meanReturn ?? Number.NaN;
    rows.push({
      agent: `DQN (${backend})`, env: 'CartPole-v1', seed, goal: '≥ 475 within 100k steps', met: r.goalReachedAt !== undefined && r.goalReachedAt <= 100_000,
      score: final, envSteps: r.envSteps, wallSeconds: r.wallSeconds, note: `${r.learner.updates} updates`,
    });
    r.learner.dispose();
    console.log(`  DQN seed ${seed}: ${r.goalReachedAt !== undefined ? 'goal' : 'no goal'} at ${r.envSteps} steps, ${r.wallSeconds.toFixed(1)} s`);
    if (py !== undefined) {
      const peerArgs = [path.join(pythonDir, 'dqn_cartpole.py'), '--seed', String(seed), '--total-timesteps', String(totalTimesteps), ...(DQN_DEFAULTS.doubleQ ? ['--double-q'] : [])];
      const out = execFileSync(py, peerArgs, {
        encoding: 'utf8',
        env: { ...process.env, OMP_NUM_THREADS: '2' },
      });
      const j = parseJsonFrom(DQN_PEER_OUTPUT, out.trim().split('\n').at(-1) ?? '', `bench/python/dqn_cartpole.py --seed ${seed} (its last line)`);
      const row: Row = {
        agent: `DQN (PyTorch ${j.torch}, ${j.threads} threads)`, env: 'CartPole-v1', seed, goal: '≥ 475 within 100k steps', met: j.goal_reached_at !== null && j.goal_reached_at <= 100_000,
        score: Number.NaN, envSteps: j.env_steps, wallSeconds: j.wall_seconds, note: `${j.updates} updates`,
      };
      rows.push(row);
      torchRows.push(row);
    }
  }
  if (withTorch && py === undefined) console.log('PyTorch not found (apt-get install -y python3-torch libopenblas0-openmp): DQN peer skipped');
  return { torch: torchRows };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { only: { type: 'string' }, seeds: { type: 'string' }, 'dqn-steps': { type: 'string' }, 'no-torch': { type: 'boolean' } } });
  const only = new Set((values.only ?? 'tabular,pg,dqn').split(','));
  const seeds = positiveIntArg('seeds', values.seeds, 5);
  const dqnSteps = positiveIntArg('dqn-steps', values['dqn-steps'], 100_000);
  const { name: backend } = await initBackend();
  console.log(`bench:learning — backend ${backend}, ${seeds} seeds; DQN hyperparameters: SB3 rl-zoo CartPole (${JSON.stringify(DQN_DEFAULTS)})`);
  if (only.has('tabular')) tabular(seeds);
  if (only.has('pg')) policyGradient(seeds);
  if (only.has('dqn')) dqn(seeds, dqnSteps, !values['no-torch'], backend);

  const header = ['agent', 'env', 'seed', 'goal', 'met', 'score', 'env steps', 'wall s', 'note'];
  const table = rows.map((r) => [r.agent, r.env, String(r.seed), r.goal, r.met ? 'yes' : 'NO', Number.isNaN(r.score) ? '' : String(+r.score.toFixed(3)), String(r.envSteps), r.wallSeconds.toFixed(r.wallSeconds < 10 ? 2 : 1), r.note ?? '']);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i]!.length)));
  console.log(header.map((h, i) => h.padEnd(widths[i]!)).join('  '));
  for (const t of table) console.log(t.map((c, i) => c.padEnd(widths[i]!)).join('  '));

  const dqnOurs = rows.filter((r) => r.agent.startsWith('DQN (') && !r.agent.includes('PyTorch'));
  const dqnTorch = rows.filter((r) => r.agent.includes('PyTorch'));
  if (dqnOurs.length > 0 && dqnTorch.length > 0) {
    const ours = median(dqnOurs.map((r) => r.wallSeconds));
    const theirs = median(dqnTorch.map((r) => r.wallSeconds));
    console.log(`DQN CartPole wall time to 475 (or to the step cap), median over seeds: nnlab ${ours.toFixed(1)} s, PyTorch ${theirs.toFixed(1)} s, ratio ${(ours / theirs).toFixed(2)}x`);
  }
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/learning.json', JSON.stringify({ date: new Date().toISOString(), backend, seeds, rows }, null, 2));
  console.log('wrote bench/results/learning.json');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
