import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { make } from '../envs/index.js';
import { Sarsa, sarsaTarget } from '../agents/sarsa.js';
import { QLearning, qLearningTarget } from '../agents/qlearning.js';
import { ExpectedSarsa, expectedSarsaTarget } from '../agents/expectedSarsa.js';
import { discreteEnv, evaluateGreedy, GREEDY_MAX_STEPS, greedyAction, greedyTabularPolicy, trainAndEvaluateTabular, trainTabular, type QParams } from '../agents/tabular.js';
import { finalEvaluationOn } from '../agents/evaluate.js';
import { errorMessage } from '../base/plainData.js';
import { EPISODIC_RETURN } from '../agents/metricNames.js';
import { close, test } from './helpers.js';
import { closeCountingEnvs } from './envClosing.js';

// A two-state MDP worked by hand: Q(1, ·) = [2, 4], transition s=0, a=0, r=1 → s′=1, α = 0.5, γ = 0.9.
function twoState(): QParams {
  return { q: new Float64Array([0, 0, 2, 4]), numStates: 2, numActions: 2 };
}
const t = { s: 0, a: 0, r: 1, s2: 1, a2: 0, terminated: false };

test('SARSA target uses the action taken next: 1 + 0.9·Q(1, a′=0) = 2.8, so Q(0,0) ← 0 + 0.5·2.8 = 1.4', () => {
  close([sarsaTarget(twoState(), t, 0.9)], [2.8]);
  const agent = new Sarsa(2, 2, { alpha: 0.5, gamma: 0.9 });
  agent.params.q.set(twoState().q);
  agent.update(t);
  close([agent.params.q[0]!], [1.4]);
});

test('Q-learning target bootstraps from max: 1 + 0.9·4 = 4.6, so Q(0,0) ← 2.3', () => {
  close([qLearningTarget(twoState(), t, 0.9)], [4.6]);
  const agent = new QLearning(2, 2, { alpha: 0.5, gamma: 0.9 });
  agent.params.q.set(twoState().q);
  agent.update(t);
  close([agent.params.q[0]!], [2.3]);
});

test('Expected SARSA target is the ε-greedy expectation: ε = 0.2 gives 1 + 0.9·(0.1·2 + 0.9·4) = 4.42', () => {
  close([expectedSarsaTarget(twoState(), t, 0.9, 0.2)], [4.42]);
});

test('greedyAction without an Rng takes the first of equal maxima, and a NaN never wins after the first value', () => {
  // rows of state 0…3, 3 actions each: the row of s starts at s·3
  const p: QParams = { q: new Float64Array([1, 3, 3, Number.NaN, 5, 7, 2, Number.NaN, 4, 0, 0, 0]), numStates: 4, numActions: 3 };
  assert.equal([0, 1, 2, 3].map((s) => greedyAction(p, s)), [1, 0, 2, 0]);
});

test('a terminated step does not bootstrap: target = r for every agent', () => {
  const end = { ...t, terminated: true, a2: -1 };
  close([sarsaTarget(twoState(), end, 0.9), qLearningTarget(twoState(), end, 0.9), expectedSarsaTarget(twoState(), end, 0.9, 0.2)], [1, 1, 1]);
});

test('CliffWalking (α 0.5, ε 0.1, γ 1, 500 episodes): Q-learning greedy −13 (optimal path), SARSA −15…−17 (safe path)', () => {
  const env = discreteEnv(make('CliffWalking-v1'));
  const q = QLearning.forEnv(env, { alpha: 0.5, epsilon: 0.1, gamma: 1, seed: 1 });
  const qReturns = trainTabular(env, q, { episodes: 500 });
  assert.is(evaluateGreedy(env, q.params, 1, 0, 200), -13);
  const s = Sarsa.forEnv(env, { alpha: 0.5, epsilon: 0.1, gamma: 1, seed: 1 });
  const sReturns = trainTabular(env, s, { episodes: 500 });
  const g = evaluateGreedy(env, s.params, 1, 0, 200);
  assert.ok(g >= -17 && g <= -15, `SARSA greedy return ${g}`);
  // Sutton & Barto example 6.6: online, SARSA does better than Q-learning (which falls off the cliff)
  const mean = (r: Float64Array) => r.slice(400).reduce((a, b) => a + b, 0) / 100;
  assert.ok(mean(sReturns) > mean(qReturns), `online SARSA ${mean(sReturns)} vs Q ${mean(qReturns)}`);
});

test('FrozenLake 4x4 slippery: Q-learning and SARSA greedy success ≥ 0.70 over 1000 episodes', () => {
  const env = discreteEnv(make('FrozenLake-v1'));
  for (const Agent of [QLearning, Sarsa]) {
    const agent = Agent.forEnv(env, { alpha: 0.05, gamma: 0.99, epsilon: 0.1, seed: 3 });
    trainTabular(env, agent, { episodes: 20000 });
    const success = evaluateGreedy(env, agent.params, 1000, 10_000);
    assert.ok(success >= 0.7, `${Agent.name} success ${success}`);
  }
});

test('save → load gives identical actions and an identical next update', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nnlab-tab-'));
  try {
    const env = discreteEnv(make('CliffWalking-v1'));
    const a = QLearning.forEnv(env, { seed: 5 });
    trainTabular(env, a, { episodes: 20 });
    await a.save(dir);
    const b = QLearning.forEnv(env, { seed: 999 });
    await b.load(dir);
    assert.equal([...b.params.q], [...a.params.q]);
    const acts = (x: QLearning) => Array.from({ length: 50 }, (_, i) => x.act(i % 48));
    assert.equal(acts(b), acts(a));
    const tr = { s: 36, a: 1, r: -1, s2: 24, a2: 0, terminated: false };
    assert.equal(b.update(tr), a.update(tr));
    assert.equal([...b.params.q], [...a.params.q]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad configs get errors naming the field', () => {
  assert.throws(() => new Sarsa(4, 2, { alpha: 0 }), /Sarsa config: 'alpha' must be a number > 0 and ≤ 1, got 0/);
  assert.throws(() => new QLearning(4, 2, { epsilon: 1.5 }), /'epsilon' must be a number ≥ 0 and ≤ 1, got 1.5/);
  assert.throws(() => new QLearning(4, 2, { gama: 0.9 } as never), /unknown field 'gama'/);
  assert.throws(() => QLearning.forEnv(make('CartPole-v1')), /QLearning needs Discrete observation and action spaces, got Box/);
  assert.throws(() => discreteEnv(make('CartPole-v1'), 'Sarsa'), /Sarsa needs Discrete observation and action spaces/);
  const cliff = make('CliffWalking-v1');
  assert.is(discreteEnv(cliff), cliff, 'a Discrete env is passed through as is');
});

test('Expected SARSA learns the safe-ish CliffWalking path too (greedy ≥ −17)', () => {
  const env = discreteEnv(make('CliffWalking-v1'));
  const agent = ExpectedSarsa.forEnv(env, { seed: 2 });
  trainTabular(env, agent, { episodes: 500 });
  assert.ok(evaluateGreedy(env, agent.params, 1, 0, 200) >= -17);
});

test('trainAndEvaluateTabular trains then evaluates greedily on the final seeds of its seed, as by hand, and closes its env however it ends', () => {
  const config = { seed: 4, alpha: 0.3 };
  const env = discreteEnv(make('CliffWalking-v1'));
  const agent = QLearning.forEnv(env, config);
  const curve = trainTabular(env, agent, { episodes: 40 });
  const final = finalEvaluationOn(env, greedyTabularPolicy(agent.params), { episodes: 3, seed: 4, maxSteps: GREEDY_MAX_STEPS });
  const envs = closeCountingEnvs('TabularRun');
  const seen: number[] = [];
  const run = trainAndEvaluateTabular(QLearning, { id: envs.cliff }, config, { episodes: 40, finalEpisodes: 3, onMetrics: (m) => void seen.push(m[EPISODIC_RETURN]!) });
  assert.equal(Array.from(run.curve), Array.from(curve));
  assert.equal(seen, Array.from(curve), 'onMetrics hears every training episode');
  assert.equal(run.agent.params.q, agent.params.q);
  assert.equal(run.final, final);
  assert.is(envs.closes(), 1, 'closed after training');
  // CartPole's Box observations: discreteEnv refuses it, and the env is closed all the same
  assert.throws(() => trainAndEvaluateTabular(QLearning, { id: envs.cartPole }, config, { episodes: 1, finalEpisodes: 1 }), (e: unknown) => /needs Discrete observation and action spaces/.test(errorMessage(e)));
  assert.is(envs.closes(), 2, 'closed after a failure');
});

test.run();
