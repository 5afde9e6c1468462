/**
 * The one way a piscina thread reaches an ES module's task handler: through a CommonJS entry.
 *
 * piscina 5 loads a thread's `filename` with `require()` first and falls back to `import()`. On
 * Node 20.19+ `require()` of an ES module (require(esm)) is on by default, and once, in a fresh-clone
 * CI run, it killed the whole process with a V8 fatal error (`v8::Module::IsGraphAsync must be used
 * on an instantiated module`) while the module graph was still loading. So no pool hands piscina an
 * ES module: each names a small `.cts` entry (compiled to `.cjs`, which `require()` loads as plain
 * CommonJS) whose default export is `esmHandler(() => import('./x.js'))`, and the ES module is then
 * loaded by a real dynamic `import()` (NodeNext keeps it one in the emitted CommonJS), once.
 */

/** The shape of an ES module thread entry: its default export handles one task. */
export interface EsmThreadModule<A, R> {
  default: (arg: A) => Promise<R>;
}

/**
 * A task handler that runs the default export of the module `load` imports. The import starts at
 * once, when piscina requires the entry as the thread starts, as piscina's own preload of the
 * handler did; every task awaits that one promise. A module that fails to load fails each task with
 * its own error (the promise is marked handled here, so a thread given no task does not die of an
 * unhandled rejection).
 */
export function esmHandler<A, R>(load: () => Promise<EsmThreadModule<A, R>>): (arg: A) => Promise<R> {
  const handler = load().then((m) => m.default);
  handler.catch(() => {});
  return async (arg) => (await handler)(arg);
}
