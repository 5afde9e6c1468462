/**
 * Reading decoded data (a parsed file, a message) that has not been checked yet: own fields only,
 * so a key such as `__proto__` or `constructor` never reaches the prototype; the one
 * description of such a value in an error message; and the message and code of whatever a
 * `catch` caught. No imports: every room, the page included, may use it.
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

/** How long a description may grow before it is cut with `...`. */
const DESCRIBE_MAX = 60;

/**
 * A short description of a value found where another was expected, for an error message: the
 * value itself when short (`3`, `NaN`, `"three"`, `undefined`, `[1, 2]`, `Float32Array[0.5, 1]`,
 * `{ id: "x" }`), cut with `...` and the length when long. Bounded however large the value: it
 * reads a few elements and fields, each cut in turn, and no nested value deeper than two levels (a huge
 * state file or observation is never stringified whole). The one describer of every room: the
 * schemas' issues, the envs' argument, action and checker errors, and the page's frame checks.
 */
export function describeValue(v: unknown): string {
  return describeAt(v, 0);
}

function describeAt(v: unknown, depth: number): string {
  if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return cut(JSON.stringify(v));
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return v.toString();
  if (ArrayBuffer.isView(v)) {
    const name = v.constructor.name;
    // a typed array's elements are its own fields; a DataView has no length
    return 'length' in v && typeof v.length === 'number' ? items((i) => ownField(v, i), v.length, depth, name) : `a ${name}`;
  }
  if (Array.isArray(v)) return depth >= 2 ? `an Array of ${v.length}` : items((i) => v[i], v.length, depth, '');
  // a class instance is named by its class (a `Map {}`, an `Env {...}`); a plain object is not
  const proto: unknown = Object.getPrototypeOf(v);
  const ctor = proto === null || proto === Object.prototype ? undefined : ownField(proto, 'constructor');
  const name = typeof ctor === 'function' && ctor.name !== '' ? `${ctor.name} ` : '';
  const keys = Object.keys(v);
  if (depth >= 2) return `${name === '' ? 'an object' : `a ${name.trimEnd()}`} with ${keys.length} field(s)`;
  let s = `${name}{`;
  for (let i = 0; i < keys.length; i++) {
    const part = `${i === 0 ? ' ' : ', '}${cut(keys[i]!)}: ${describeAt(ownField(v, keys[i]!), depth + 1)}`;
    if (i > 0 && s.length + part.length > DESCRIBE_MAX) return `${s}, ... ${keys.length} fields }`;
    s += part;
  }
  return keys.length === 0 ? `${s}}` : `${s} }`;
}

/** `name[a, b, c]`, or `name[a, b, ... 1000 in all]` once the list passes DESCRIBE_MAX (the first element always shows). */
function items(at: (i: number) => unknown, length: number, depth: number, name: string): string {
  let s = `${name}[`;
  for (let i = 0; i < length; i++) {
    const part = `${i === 0 ? '' : ', '}${describeAt(at(i), depth + 1)}`;
    if (i > 0 && s.length + part.length > DESCRIBE_MAX) return `${s}, ... ${length} in all]`;
    s += part;
  }
  return `${s}]`;
}

function cut(s: string): string {
  return s.length > DESCRIBE_MAX ? `${s.slice(0, DESCRIBE_MAX - 3)}...` : s;
}

/**
 * The message of what a `catch` caught, for an error message or a result file. JavaScript may
 * throw anything, and user code (an env module, a custom env's step) may throw a string or an
 * object: `(e as Error).message` would then be undefined and write `undefined` into the message.
 * An Error gives its message, a string itself, an object with an own string `message` (an Error
 * of another realm, e.g. `vm`) that message, and anything else is described (describeValue).
 */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  const message = ownField(e, 'message');
  return typeof message === 'string' ? message : `a non-Error was thrown: ${describeValue(e)}`;
}

/** The string `code` of what a `catch` caught (Node's `ENOENT`, `ERR_MODULE_NOT_FOUND`), or undefined when it has none. */
export function errorCode(e: unknown): string | undefined {
  const code = ownField(e, 'code');
  return typeof code === 'string' ? code : undefined;
}
