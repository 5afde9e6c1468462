/**
 * Caps on every spec field whose size costs memory or time before the first step: generous for
 * real experiments, small enough that a hostile or mistyped spec fails at validation instead of
 * exhausting the machine. docs/experiments.md ("Limits") lists them; the errors quote them.
 */
export const SPEC_LIMITS = Object.freeze({
  /** Trials a sweep may expand to (points × seeds), counted before expanding. */
  trials: 10_000,
  /** Seeds per sweep configuration. */
  seeds: 1_000,
  /** Random-search configurations. */
  samples: 10_000,
  /** Swept parameters, and values in one parameter's list. */
  sweepParameters: 32,
  sweepValues: 1_000,
  /** The spec's own seed (seeds of a sweep run up from it; all stay safe integers for Rng). */
  seed: 2 ** 31 - 1,
  /** Budget fields. */
  envSteps: 1_000_000_000,
  episodes: 1_000_000,
  epochs: 10_000,
  stepsPerEpoch: 1_000_000,
  wallSeconds: 30 * 24 * 3600,
  /** Envs of one vector env (workers.numEnvs), vector steps per rollout task, and numEnvs × rolloutSteps (the task's arrays). */
  numEnvs: 4096,
  rolloutSteps: 100_000,
  rolloutTransitions: 1_000_000,
  remoteWorkers: 256,
  /** Threads of one kind on the coordinator's machine (workers.rollout, workers.gradient), and a DQN run's env streams (workers.streams). */
  threads: 64,
  streams: 64,
  /** Seconds a task may take before it is taken back (workers.taskTimeout): one day. */
  taskTimeoutSeconds: 86_400,
  evalEpisodes: 100_000,
  /** Generated images per classifier evaluation of a generative model (50 000, the Inception score's usual count). */
  evalSamples: 50_000,
  /** Env steps / epochs between evaluations and checkpoints. */
  interval: 1_000_000_000,
  keepCheckpoints: 1_000,
  /** Minibatch sizes (spec.model.batchSize and every config's batchSize). */
  batchSize: 65_536,
  /** Characters of the run name (it names a directory). */
  name: 100,
  /** Bytes of a spec file. */
  fileBytes: 1024 * 1024,
});
