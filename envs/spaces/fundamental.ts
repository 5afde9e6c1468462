import { InvalidArgument } from '../errors.js';
import { Space } from './space.js';
import { isNumberList } from '../../base/typedArray.js';
import { sizeOf } from '../../base/shape.js';

/**
 * `{start, start+1, ..., start+n-1}` (Gymnasium `Discrete(n, start)`); elements are integers
 * (JavaScript numbers).
 */
export class Discrete extends Space<number> {
  constructor(
    readonly n: number,
    readonly start = 0,
  ) {
    super([]);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgument(`Discrete: n must be a positive integer, got ${n}`);
    if (!Number.isSafeInteger(start)) throw new InvalidArgument(`Discrete: start must be an integer, got ${start}`);
  }

  /**
   * Uniform element, as Gymnasium (`start + np_random.integers(n)`); with a mask (length n,
   * 1 = allowed), `start + np_random.choice(allowed indices)`, or `start` (no draw) when none is
   * allowed.
   */
  sample(mask?: ArrayLike<number>): number {
    if (mask === undefined) return this.start + this.npRandom.integers(this.n);
    if (mask.length !== this.n) throw new InvalidArgument(`Discrete(${this.n}).sample: mask must have length ${this.n}, got ${mask.length}`);
    const allowed: number[] = [];
    for (let i = 0; i < this.n; i++) {
      if (mask[i] === 1) allowed.push(i);
      else if (mask[i] !== 0) throw new InvalidArgument(`Discrete(${this.n}).sample: mask values must be 0 or 1, got mask[${i}] = ${mask[i]}`);
    }
    return allowed.length === 0 ? this.start : this.start + this.npRandom.choice(allowed);
  }

  contains(x: unknown): boolean {
    return typeof x === 'number' && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof Discrete && other.n === this.n && other.start === this.start;
  }

  toString(): string {
    return this.start === 0 ? `Discrete(${this.n})` : `Discrete(${this.n}, start=${this.start})`;
  }
}

/** The typed array a Box of each dtype makes (`zeros`, `sample`: over a fresh ArrayBuffer). */
export interface BoxArrayOf {
  float32: Float32Array<ArrayBuffer>;
  float64: Float64Array<ArrayBuffer>;
  int32: Int32Array<ArrayBuffer>;
  int16: Int16Array<ArrayBuffer>;
  int8: Int8Array<ArrayBuffer>;
  uint8: Uint8Array<ArrayBuffer>;
  uint16: Uint16Array<ArrayBuffer>;
  uint32: Uint32Array<ArrayBuffer>;
}
/** Element types a Box may hold. */
export type BoxDtype = keyof BoxArrayOf;
/** The typed array used for a Box's values. */
export type BoxArray = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | Uint16Array | Uint32Array;
/** The dtypes whose arrays are a `T` (`'float32'` for Float32Array; every dtype for BoxArray). */
export type BoxDtypeOf<T extends BoxArray> = { [D in BoxDtype]: BoxArrayOf[D] extends T ? D : never }[BoxDtype];
/**
 * A Box's arguments after its bounds: the shape, and a dtype whose array is a `T`, which may be
 * left out (float32) only when a Float32Array is a `T`. So `new Box<Float32Array>(…, 'uint8')` and
 * `new Box<Uint8Array>(0, 255, [2])` do not compile: the arrays a Box makes are what its type says.
 */
export type BoxShapeAndDtype<T extends BoxArray> = BoxArrayOf['float32'] extends T
  ? [shape?: readonly number[], dtype?: BoxDtypeOf<T>]
  : [shape: readonly number[] | undefined, dtype: BoxDtypeOf<T>];

const ARRAY_OF: { readonly [D in BoxDtype]: new (n: number) => BoxArrayOf[D] } = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  int16: Int16Array,
  int8: Int8Array,
  uint8: Uint8Array,
  uint16: Uint16Array,
  uint32: Uint32Array,
};

/** The range Gymnasium 1.4 clips integer Box samples to: the dtype's, 2 inside it for signed dtypes. */
const INT_RANGE: Partial<Record<BoxDtype, readonly [number, number]>> = {
  int32: [-2147483648 + 2, 2147483647 - 2],
  int16: [-32768 + 2, 32767 - 2],
  int8: [-128 + 2, 127 - 2],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
};

/**
 * A bound or value as the dtype holds it, as numpy casts it (Gymnasium's Box stores its bounds with
 * `np.full(shape, v, dtype)` or `v.astype(dtype)`): float32 rounds to the nearest float32, an
 * integer dtype truncates toward zero (`Box(0.5, 3.5, [1], 'int32')` holds [0, 3], so a sample, drawn
 * on [low, high + 1) and floored, is one its `contains` accepts). ±Infinity is kept for every dtype
 * (an unbounded side, the Box's doc); NaN stays NaN, for the constructor to refuse.
 */
function castTo(dtype: BoxDtype, v: number): number {
  if (dtype === 'float32') return Math.fround(v);
  if (dtype === 'float64' || !Number.isFinite(v)) return v;
  return Math.trunc(v) + 0; // + 0: an integer has no −0 (trunc(−0.5) is −0)
}

/**
 * A (possibly unbounded) box in R^shape (Gymnasium `Box(low, high, shape, dtype)`). Values are
 * typed arrays of the dtype (Float32Array by default) holding the elements in row-major order.
 * Bounds are stored cast to the dtype, as numpy does (`low`, `high` are Float64Arrays holding
 * those values so that ±Infinity works for every dtype). `T`, the array type of its values, is
 * tied to the dtype by the constructor's type (BoxShapeAndDtype): `new Box<Float32Array>(-1, 1,
 * [2])`, `new Box<Uint8Array>(0, 255, [2], 'uint8')`; without `T` the values are a BoxArray.
 */
export class Box<T extends BoxArray = BoxArray> extends Space<T> {
  readonly dtype: BoxDtype;
  readonly low: Float64Array;
  readonly high: Float64Array;
  /** Number of elements (product of the shape). */
  readonly size: number;
  readonly boundedBelow: Uint8Array;
  readonly boundedAbove: Uint8Array;

  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, ...shapeAndDtype: BoxShapeAndDtype<T>) {
    const [shape, dtype = 'float32']: [shape?: readonly number[], dtype?: BoxDtype] = shapeAndDtype;
    const inferred =
      shape ?? (isNumberList(low) ? [low.length] : isNumberList(high) ? [high.length] : undefined);
    if (inferred === undefined) throw new InvalidArgument('Box: give a shape when low and high are both scalars');
    if (inferred.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new InvalidArgument(`Box: bad shape [${inferred.join(', ')}]`);
    super([...inferred]);
    if (!(dtype in ARRAY_OF)) throw new InvalidArgument(`Box: unknown dtype '${String(dtype)}'`);
    this.dtype = dtype;
    const size = sizeOf(inferred);
    this.size = size;
    const fill = (v: number | ArrayLike<number>, what: string): Float64Array => {
      const out = new Float64Array(size);
      if (typeof v === 'number') out.fill(castTo(dtype, v));
      else {
        if (v.length !== size) throw new InvalidArgument(`Box: ${what} has ${v.length} elements but the shape [${inferred.join(', ')}] needs ${size}`);
        for (let i = 0; i < size; i++) out[i] = castTo(dtype, v[i]!);
      }
      for (let i = 0; i < size; i++) if (Number.isNaN(out[i])) throw new InvalidArgument(`Box: ${what} contains NaN`);
      return out;
    };
    this.low = fill(low, 'low');
    this.high = fill(high, 'high');
    this.boundedBelow = new Uint8Array(size);
    this.boundedAbove = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      if (this.low[i]! > this.high[i]!) throw new InvalidArgument(`Box: low[${i}] = ${this.low[i]} > high[${i}] = ${this.high[i]}`);
      this.boundedBelow[i] = this.low[i]! > -Infinity ? 1 : 0;
      this.boundedAbove[i] = this.high[i]! < Infinity ? 1 : 0;
    }
  }

  /** Whether the dtype is a float type. */
  get isFloat(): boolean {
    return this.dtype === 'float32' || this.dtype === 'float64';
  }

  /**
   * A new zero-filled array of this Box's dtype and size. The cast holds: the constructor's type
   * (BoxShapeAndDtype) admits only a dtype whose array is a `T`.
   */
  zeros(): T {
    return new ARRAY_OF[this.dtype](this.size) as T;
  }

  /**
   * Gymnasium's `Box.sample`, draw for draw: standard normal on unbounded coordinates, then
   * `low + Exp(1)` on those bounded below only, then `high − Exp(1)` on those bounded above only,
   * then uniform on bounded ones (each group in element order, as numpy's masked assignments
   * draw them). Integer dtypes sample on `[low, high + 1)`, floor, and clip to the dtype's range
   * (2 inside it for signed dtypes, as Gymnasium 1.4); values are then cast to the dtype.
   */
  sample(): T {
    const rng = this.npRandom;
    const out = this.zeros();
    const isInt = !this.isFloat;
    const n = this.size;
    const v = new Float64Array(n);
    const below = this.boundedBelow;
    const above = this.boundedAbove;
    for (let i = 0; i < n; i++) if (!below[i] && !above[i]) v[i] = rng.normal();
    for (let i = 0; i < n; i++) if (below[i] && !above[i]) v[i] = rng.exponential() + this.low[i]!;
    for (let i = 0; i < n; i++) if (!below[i] && above[i]) v[i] = -rng.exponential() + (isInt ? this.high[i]! + 1 : this.high[i]!);
    for (let i = 0; i < n; i++) if (below[i] && above[i]) v[i] = rng.uniform(this.low[i]!, isInt ? this.high[i]! + 1 : this.high[i]!);
    if (isInt) {
      const [min, max] = INT_RANGE[this.dtype]!;
      for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(Math.floor(v[i]!), min), max);
    } else out.set(v);
    return out;
  }

  /** Same number of elements, each (cast to the dtype) within [low, high]; integers for int dtypes. */
  contains(x: unknown): boolean {
    if (!isNumberList(x) || x.length !== this.size) return false;
    const isInt = !this.isFloat;
    for (let i = 0; i < this.size; i++) {
      const raw = x[i];
      if (typeof raw !== 'number') return false;
      if (isInt && !Number.isInteger(raw)) return false;
      const v = castTo(this.dtype, raw);
      if (!(v >= this.low[i]! && v <= this.high[i]!)) return false;
    }
    return true;
  }

  equals(other: Space<unknown>): boolean {
    if (!(other instanceof Box) || other.dtype !== this.dtype || other.shape.length !== this.shape.length) return false;
    if (other.shape.some((d, i) => d !== this.shape[i])) return false;
    for (let i = 0; i < this.size; i++) if (other.low[i] !== this.low[i] || other.high[i] !== this.high[i]) return false;
    return true;
  }

  toString(): string {
    const uniform = (a: Float64Array) => a.every((v) => v === a[0]);
    const fmt = (a: Float64Array) => (uniform(a) && a.length > 0 ? String(a[0]) : `[${Array.from(a).join(', ')}]`);
    return `Box(${fmt(this.low)}, ${fmt(this.high)}, (${this.shape.join(', ')}${this.shape.length === 1 ? ',' : ''}), ${this.dtype})`;
  }
}

/**
 * Several discrete variables, the k-th in `{start[k], ..., start[k] + nvec[k] − 1}`
 * (Gymnasium `MultiDiscrete(nvec, start)`); elements are Int32Arrays.
 */
export class MultiDiscrete extends Space<Int32Array> {
  readonly nvec: Int32Array;
  readonly start: Int32Array;

  constructor(nvec: ArrayLike<number>, start?: ArrayLike<number>) {
    super([nvec.length]);
    this.nvec = Int32Array.from(nvec);
    this.start = start === undefined ? new Int32Array(nvec.length) : Int32Array.from(start);
    if (this.start.length !== this.nvec.length) throw new InvalidArgument('MultiDiscrete: start and nvec lengths differ');
    for (let i = 0; i < nvec.length; i++) {
      if (!Number.isInteger(nvec[i]) || nvec[i]! <= 0) throw new InvalidArgument(`MultiDiscrete: nvec[${i}] must be a positive integer, got ${nvec[i]}`);
    }
  }

  /**
   * Uniform element, as Gymnasium: `trunc(np_random.random(k) · nvec) + start` (one uniform per
   * variable). With a mask (one 0/1 array per variable, as Gymnasium's tuple of masks), variable
   * k is `start[k] + np_random.choice(allowed)`, or `start[k]` (no draw) when none is allowed.
   */
  sample(mask?: ArrayLike<ArrayLike<number>>): Int32Array {
    const out = new Int32Array(this.nvec.length);
    const rng = this.npRandom;
    if (mask === undefined) {
      for (let k = 0; k < out.length; k++) out[k] = Math.trunc(rng.random() * this.nvec[k]!) + this.start[k]!;
      return out;
    }
    if (mask.length !== this.nvec.length) throw new InvalidArgument(`${this.toString()}.sample: expected ${this.nvec.length} masks, got ${mask.length}`);
    for (let k = 0; k < out.length; k++) {
      const n = this.nvec[k]!;
      const m = mask[k]!;
      if (m === undefined || m === null || m.length !== n) throw new InvalidArgument(`${this.toString()}.sample: mask[${k}] must have length ${n}`);
      const allowed: number[] = [];
      for (let i = 0; i < n; i++) {
        if (m[i] === 1) allowed.push(i);
        else if (m[i] !== 0) throw new InvalidArgument(`${this.toString()}.sample: mask values must be 0 or 1, got mask[${k}][${i}] = ${m[i]}`);
      }
      out[k] = this.start[k]! + (allowed.length ? rng.choice(allowed) : 0);
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberList(x) || x.length !== this.nvec.length) return false;
    for (let k = 0; k < x.length; k++) {
      const v = x[k]!;
      if (!Number.isInteger(v) || v < this.start[k]! || v >= this.start[k]! + this.nvec[k]!) return false;
    }
    return true;
  }

  equals(other: Space<unknown>): boolean {
    return (
      other instanceof MultiDiscrete &&
      other.nvec.length === this.nvec.length &&
      other.nvec.every((v, i) => v === this.nvec[i] && other.start[i] === this.start[i])
    );
  }

  toString(): string {
    return `MultiDiscrete([${Array.from(this.nvec).join(', ')}])`;
  }
}

/** n binary variables (Gymnasium `MultiBinary(n)`); elements are Int8Arrays of 0/1. */
export class MultiBinary extends Space<Int8Array> {
  constructor(readonly n: number) {
    super([n]);
    if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgument(`MultiBinary: n must be a positive integer, got ${n}`);
  }

  /**
   * Uniform element, as Gymnasium (`np_random.integers(0, 2, size=n, dtype=int8)`: numpy slices
   * 32-bit draws into bytes); with a mask, entries 0/1 force the value and 2 leaves it random
   * (all n values are still drawn, as Gymnasium's `np.where` does).
   */
  sample(mask?: ArrayLike<number>): Int8Array {
    if (mask !== undefined && mask.length !== this.n) throw new InvalidArgument(`MultiBinary(${this.n}).sample: mask must have length ${this.n}, got ${mask.length}`);
    const out = this.npRandom.integersFill(new Int8Array(this.n), 0, 2, 'int8');
    if (mask !== undefined) {
      for (let i = 0; i < this.n; i++) {
        const m = mask[i];
        if (m === 0 || m === 1) out[i] = m;
        else if (m !== 2) throw new InvalidArgument(`MultiBinary(${this.n}).sample: mask values must be 0, 1 or 2, got mask[${i}] = ${m}`);
      }
    }
    return out;
  }

  contains(x: unknown): boolean {
    if (!isNumberList(x) || x.length !== this.n) return false;
    for (let i = 0; i < this.n; i++) if (x[i] !== 0 && x[i] !== 1) return false;
    return true;
  }

  equals(other: Space<unknown>): boolean {
    return other instanceof MultiBinary && other.n === this.n;
  }

  toString(): string {
    return `MultiBinary(${this.n})`;
  }
}
