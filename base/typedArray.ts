/**
 * Typed arrays, told apart from the other `ArrayBufferView` (DataView) at run time, so code that
 * walks plain data (env snapshots, deep equality, messages) can index and copy them with types.
 * No imports: every room may use it.
 */

/** The typed arrays whose elements are numbers. */
export type NumberArray = Int8Array | Uint8Array | Uint8ClampedArray | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array;

/** Every typed array: the number ones and the bigint ones. */
export type TypedArray = NumberArray | BigInt64Array | BigUint64Array;

/** True for a typed array of any element type (not a DataView, not a plain array). */
export function isTypedArray(value: unknown): value is TypedArray {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** True for a typed array whose elements are numbers. */
export function isNumberArray(value: unknown): value is NumberArray {
  return isTypedArray(value) && !(value instanceof BigInt64Array) && !(value instanceof BigUint64Array);
}

/** True for a list of numbers: a typed array of numbers, or a plain array whose every element is a number. */
export function isNumberList(value: unknown): value is ArrayLike<number> {
  return isNumberArray(value) || (Array.isArray(value) && value.every((v) => typeof v === 'number'));
}
