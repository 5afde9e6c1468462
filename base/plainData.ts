/**
 * Reading decoded data (a parsed file, a message) that has not been checked yet: own fields only,
 * so a key such as `__proto__` or `constructor` never reaches the prototype. No imports: every
 * room, the page included, may use it.
 */

/** `v[key]` when `v` is an object with that own field; otherwise undefined. */
export function ownField(v: unknown, key: PropertyKey): unknown {
  return typeof v === 'object' && v !== null ? Object.getOwnPropertyDescriptor(v, key)?.value : undefined;
}

/** The value at `path` in `v`, following own fields only (undefined where the path breaks off). */
export function valueAt(v: unknown, path: readonly PropertyKey[]): unknown {
  let x = v;
  for (const k of path) x = ownField(x, k);
  return x;
}
