/**
 * `checkEnv(env)` — Gymnasium's `check_env` for nnlab envs: run it on your own env.
 *
 * Checks (each failure throws `EnvCheckError` naming the check):
 * 1. `actionSpace` / `observationSpace` are spaces; `npRandom` exists.
 * 2. reset returns `[obs, info]`, obs in the observation space, info an object.
 * 3. Reset-seed determinism: `reset({ seed: 123 })` twice gives the same observation and the
 *    same generator state; `reset()` without a seed afterwards works.
 * 4. Step determinism: from `reset({ seed: 123 })` the same sampled actions give the same
 *    observations, rewards, terminated, truncated and info.
 * 5. A random rollout (`steps`, resetting when an episode ends): step returns the right types,
 *    obs in the observation space, finite reward.
 * Warnings (returned, not thrown): non-finite observations, a Box action space that is not
 * symmetric and normalized (as Gymnasium warns).
 */
import { describeValue } from '../base/plainData.js';
import { isTypedArray } from '../base/typedArray.js';
import type { Env } from './core.js';
import { EnvCheckError } from './errors.js';
import { Box } from './spaces/fundamental.js';
import { isSpace } from './spaces/space.js';
import { checkResetReturn, checkStepReturn } from './wrappers/passiveEnvChecker.js';

export interface CheckEnvOptions {
  /** Random-rollout length. Default 200. */
  steps?: number;
  /** Seed of the determinism checks. Default 123. */
  seed?: number;
}

export interface CheckEnvReport {
  warnings: string[];
}

/** Deep equality for observations / infos (typed arrays element-wise, NaN equal to NaN). */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (isTypedArray(a) && isTypedArray(b)) {
    if (a.constructor !== b.constructor || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  if (typeof a === 'object' && typeof b === 'object' && a !== null && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return ka.length === kb.length && ka.every((k, i) => k === kb[i] && deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
  }
  return false;
}

function fail(check: string, message: string): never {
  throw new EnvCheckError(`checkEnv [${check}]: ${message}`);
}

function hasNonFinite(obs: unknown): boolean {
  if (typeof obs === 'number') return !Number.isFinite(obs);
  if (ArrayBuffer.isView(obs)) return Array.prototype.some.call(obs, (v: number) => !Number.isFinite(v));
  return false;
}

/** Check an env against the API and Gymnasium's determinism requirements. */
export function checkEnv(env: Env<unknown, unknown>, options: CheckEnvOptions = {}): CheckEnvReport {
  const warnings: string[] = [];
  const seed = options.seed ?? 123;
  const steps = options.steps ?? 200;
  const name = env?.spec?.id ?? env?.unwrapped?.constructor?.name ?? 'env';

  // 1. spaces and generator
  if (env === null || typeof env !== 'object' || typeof env.reset !== 'function' || typeof env.step !== 'function') {
    fail('api', `${describeValue(env)} is not an Env (needs reset and step)`);
  }
  if (!isSpace(env.actionSpace)) fail('spaces', `${name}: actionSpace is not a Space`);
  if (!isSpace(env.observationSpace)) fail('spaces', `${name}: observationSpace is not a Space`);
  if (env.unwrapped === undefined || env.unwrapped === null) fail('api', `${name}: unwrapped is missing`);
  const box = env.actionSpace;
  if (box instanceof Box && box.isFloat) {
    const symmetric = box.low.every((l, i) => l === -box.high[i]!);
    const normalized = box.high.every((h) => h === 1);
    if (!symmetric || !normalized) {
      warnings.push(`${name}: the Box action space is not symmetric and normalized to [-1, 1] (${box.toString()}); consider rescaling actions.`);
    }
  }

  // 2 + 3. reset and reset-seed determinism
  const r1 = env.reset({ seed });
  checkResetReturn(r1, name);
  if (!env.observationSpace.contains(r1[0])) fail('reset-obs', `${name}: the observation returned by reset({ seed: ${seed} }) ${describeValue(r1[0])} is not in ${env.observationSpace.toString()}`);
  if (typeof env.npRandom?.getState !== 'function') fail('np-random', `${name}: npRandom is not a seeded generator`);
  const state1 = env.unwrapped.npRandom.getState();
  const r2 = env.reset({ seed });
  if (!deepEqual(r1[0], r2[0])) fail('reset-seed-determinism', `${name}: reset({ seed: ${seed} }) twice gave different observations ${describeValue(r1[0])} vs ${describeValue(r2[0])}`);
  if (!deepEqual(state1, env.unwrapped.npRandom.getState())) fail('reset-seed-determinism', `${name}: the generator state after reset({ seed: ${seed} }) differs between two resets`);
  const r3 = env.reset();
  checkResetReturn(r3, name);
  if (!env.observationSpace.contains(r3[0])) fail('reset-obs', `${name}: the observation returned by reset() is not in the observation space`);
  const r4 = env.reset({ seed, options: {} });
  if (!deepEqual(r1[0], r4[0])) fail('reset-options', `${name}: reset({ seed, options: {} }) differs from reset({ seed })`);

  // 4. step determinism
  const rollout = () => {
    env.reset({ seed });
    env.actionSpace.seed(seed);
    const out: unknown[] = [];
    for (let t = 0; t < 5; t++) {
      const a = env.actionSpace.sample();
      const res = env.step(a);
      checkStepReturn(res, name);
      out.push(res);
      if (res[2] || res[3]) break;
    }
    return out;
  };
  const t1 = rollout();
  const t2 = rollout();
  if (!deepEqual(t1, t2)) fail('step-determinism', `${name}: the same seed and actions gave different step results`);

  // 5. random rollout
  env.reset({ seed: seed + 1 });
  env.actionSpace.seed(seed + 1);
  let warnedNonFinite = false;
  for (let t = 0; t < steps; t++) {
    const a = env.actionSpace.sample();
    if (!env.actionSpace.contains(a)) fail('action-space', `${name}: actionSpace.sample() returned ${describeValue(a)}, which actionSpace.contains rejects`);
    const res = env.step(a);
    checkStepReturn(res, name);
    const [obs, reward, terminated, truncated] = res;
    if (!env.observationSpace.contains(obs)) fail('step-obs', `${name}: step() returned the observation ${describeValue(obs)} outside ${env.observationSpace.toString()}`);
    if (!Number.isFinite(reward)) fail('step-reward', `${name}: step() returned a non-finite reward ${reward}`);
    if (!warnedNonFinite && hasNonFinite(obs)) {
      warnedNonFinite = true;
      warnings.push(`${name}: an observation contains NaN or infinity`);
    }
    if (terminated || truncated) env.reset();
  }
  return { warnings };
}
