import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { BaseEnv, Box, Discrete, EnvCheckError, checkEnv, logger, make, registeredIds, type ResetArgs, type ResetReturn, type StepReturn } from '../envs/index.js';

logger.level = 'error';

test('checkEnv passes on every registered env (through make and unwrapped)', () => {
  const ids = registeredIds().filter((id) => !id.includes(':'));
  assert.ok(ids.length >= 8);
  for (const id of ids) {
    const env = make(id);
    const report = checkEnv(env, { steps: 300 });
    assert.ok(Array.isArray(report.warnings), id);
    checkEnv(make(id, {}, { disableEnvChecker: true, orderEnforce: false, maxEpisodeSteps: null }).unwrapped, { steps: 100 });
  }
  assert.ok(checkEnv(make('Pendulum-v1')).warnings.some((w) => /not symmetric and normalized/.test(w)));
});

/** Ignores its seed: every reset returns the next state, so two resets with one seed always differ. */
class Nondeterministic extends BaseEnv<number, number> {
  readonly observationSpace = new Discrete(10);
  readonly actionSpace = new Discrete(2);
  private resets = 0;
  reset(args: ResetArgs = {}): ResetReturn<number> {
    this.resetRng(args.seed);
    return [this.resets++ % 10, {}];
  }
  step(): StepReturn<number> {
    return [0, 0, false, false, {}];
  }
}

class BadTypes extends BaseEnv<Float32Array, number> {
  readonly observationSpace = new Box<Float32Array>(-1, 1, [2]);
  readonly actionSpace = new Discrete(2);
  reset(args: ResetArgs = {}): ResetReturn<Float32Array> {
    this.resetRng(args.seed);
    return [Float32Array.of(0, 0), {}];
  }
  step(): StepReturn<Float32Array> {
    // terminated as a number, as an env module in plain JavaScript could return it (JSON.parse is untyped)
    return [Float32Array.of(0, 0), 1, JSON.parse('0'), false, {}];
  }
}

class OutOfSpace extends BadTypes {
  override step(): StepReturn<Float32Array> {
    return [Float32Array.of(5, 0), 1, false, false, {}];
  }
}

test('checkEnv catches nondeterministic resets, wrong return types and observations outside the space', () => {
  assert.throws(() => checkEnv(new Nondeterministic()), (e: Error) => e instanceof EnvCheckError && /reset-seed-determinism/.test(e.message));
  assert.throws(() => checkEnv(new BadTypes()), (e: Error) => e instanceof EnvCheckError && /terminated must be a boolean/.test(e.message));
  assert.throws(() => checkEnv(new OutOfSpace()), (e: Error) => e instanceof EnvCheckError && /step-obs/.test(e.message));
  assert.throws(() => checkEnv({} as never), (e: Error) => e instanceof EnvCheckError && /not an Env/.test(e.message));
});

test.run();
