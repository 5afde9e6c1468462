/**
 * Env state as data, for exact checkpoint and resume of a run in progress: `snapshotState(env)`
 * captures every own data property reachable from an env object (numbers, strings, booleans,
 * null, typed arrays, arrays, nested objects — the physics state, the seeded generators, TimeLimit
 * counters, a vector env's autoreset flags), and `restoreState(env, snap)` writes it back into an
 * env built the same way (same id, kwargs and number of sub-envs). Functions are skipped; an
 * object reached twice is captured once. This works for custom envs too, as long as their state
 * lives in ordinary properties (not in closures or `#private` fields).
 */
import { isNumberArray, isTypedArray } from '../base/typedArray.js';

/** A snapshot: plain data that structuredClone and msgpack (moreTypes) carry exactly. */
export type StateTree = null | boolean | number | string | ArrayBufferView | StateTree[] | { [key: string]: StateTree };

const SKIP = Symbol('skip');

export function snapshotState(root: object): StateTree {
  const seen = new WeakSet<object>();
  const walk = (value: unknown): StateTree | typeof SKIP => {
    if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return value;
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return SKIP;
    if (isTypedArray(value)) return value.slice();
    const obj = value as object;
    if (seen.has(obj)) return SKIP;
    seen.add(obj);
    if (Array.isArray(obj)) return obj.map((v) => { const w = walk(v); return w === SKIP ? null : w; });
    const out: Record<string, StateTree> = {};
    for (const key of Object.keys(obj)) {
      const w = walk((obj as Record<string, unknown>)[key]);
      if (w !== SKIP) out[key] = w;
    }
    return out;
  };
  const s = walk(root);
  return s === SKIP ? null : s;
}

/**
 * Writes a snapshot back into a live env of the same construction. The whole snapshot is checked
 * before anything is written, so a refused one leaves the env as it was; the error names the first
 * path that does not fit: a typed array of another length or type, an array where the env has none,
 * or, in a sealed object (a fixed layout, as the PCG64 generator's), a key one side has and the
 * other lacks: a generator state from an older nnlab is refused rather than mixed in; a key that
 * would replace a method or name a prototype (`__proto__`, `constructor`). Other objects
 * may gain properties as they run (a custom env's field first set in `step`), so a snapshot key the
 * fresh env lacks there is added.
 */
export function restoreState(root: object, snap: StateTree): void {
  if (snap === null || typeof snap !== 'object' || ArrayBuffer.isView(snap)) throw new Error('restoreState: the snapshot is not an object');
  walkInto(root, snap, false);
  walkInto(root, snap, true);
}

/** One pass of restoreState: checks every path, and writes only when `write`. */
function walkInto(root: object, snap: StateTree, write: boolean): void {
  const seen = new WeakSet<object>();
  const fit = (target: Record<string, unknown> | unknown[], key: string | number, saved: StateTree, where: string): void => {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') throw new Error(`restoreState: the snapshot's ${where} names an object's prototype, not its state`);
    const current = (target as Record<string | number, unknown>)[key];
    if (typeof current === 'function') throw new Error(`restoreState: the snapshot's ${where} would replace a method of the live env`);
    if (ArrayBuffer.isView(saved)) {
      if (!isNumberArray(saved)) throw new Error(`restoreState: the snapshot's ${where} is a ${saved.constructor.name}, not a typed array of numbers`);
      if (!isNumberArray(current) || current.length !== saved.length) {
        throw new Error(`restoreState: ${where} is not a typed array of length ${saved.length}`);
      }
      if (write) current.set(saved);
      return;
    }
    if (saved !== null && typeof saved === 'object') {
      if (current === null || typeof current !== 'object') {
        if (write) (target as Record<string | number, unknown>)[key] = structuredClone(saved);
        return;
      }
      into(current as object, saved, where);
      return;
    }
    if (write) (target as Record<string | number, unknown>)[key] = saved;
  };
  const into = (obj: object, saved: StateTree, where: string): void => {
    if (seen.has(obj)) return;
    seen.add(obj);
    if (Array.isArray(saved)) {
      if (!Array.isArray(obj)) throw new Error(`restoreState: ${where} is not an array`);
      if (write && obj.length !== saved.length) obj.length = saved.length;
      saved.forEach((v, i) => fit(obj, i, v, `${where}[${i}]`));
      return;
    }
    const fields = saved as Record<string, StateTree>;
    if (Object.isSealed(obj)) {
      for (const key of Object.keys(fields)) {
        if (!Object.hasOwn(obj, key)) throw new Error(`restoreState: the snapshot's ${where}.${key} has no counterpart in the live env (another layout of its state, e.g. an older nnlab's)`);
      }
      for (const key of Object.keys(obj)) {
        const v = (obj as Record<string, unknown>)[key];
        const data = typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || isTypedArray(v);
        if (data && !Object.hasOwn(fields, key)) throw new Error(`restoreState: the snapshot has no ${where}.${key} (another layout of its state, e.g. an older nnlab's)`);
      }
    }
    for (const [key, v] of Object.entries(fields)) fit(obj as Record<string, unknown>, key, v, `${where}.${key}`);
  };
  into(root, snap, 'env');
}
