/** base/plainData: own-field reads of unchecked data, and the one description of a value in an error message. */
import * as assert from 'uvu/assert';
import { test } from './helpers.js';
import { describeValue, errorCode, errorMessage, ownField, valueAt } from '../base/plainData.js';

test('ownField and valueAt read own fields only', () => {
  const v = JSON.parse('{"a": {"b": 2}, "__proto__": {"c": 3}}') as unknown;
  assert.is(valueAt(v, ['a', 'b']), 2);
  assert.equal(ownField(v, '__proto__'), { c: 3 });
  assert.is(ownField({}, 'constructor'), undefined);
  assert.is(ownField(5, 'x'), undefined);
});

test('describeValue: short values as themselves, NaN as NaN (not JSON null), strings quoted', () => {
  assert.is(describeValue(undefined), 'undefined');
  assert.is(describeValue(null), 'null');
  assert.is(describeValue(3), '3');
  assert.is(describeValue(Number.NaN), 'NaN');
  assert.is(describeValue(-Infinity), '-Infinity');
  assert.is(describeValue(true), 'true');
  assert.is(describeValue(2n), '2n');
  assert.is(describeValue('three'), '"three"');
  assert.is(describeValue([1, 'a', null]), '[1, "a", null]');
  assert.is(describeValue(new Float32Array([0.5, 1])), 'Float32Array[0.5, 1]');
  assert.is(describeValue({}), '{}');
  assert.is(describeValue({ id: 'x', n: [1, 2] }), '{ id: "x", n: [1, 2] }');
  assert.is(describeValue(new Map()), 'Map {}');
  assert.is(describeValue(() => 1), 'a function');
});

test('describeValue: bounded however large or deep the value, with the length of what it cut', () => {
  const big = describeValue(new Float64Array(1_000_000));
  assert.ok(big.length < 90, big);
  assert.match(big, /^Float64Array\[0, 0, .*, \.\.\. 1000000 in all\]$/);
  assert.match(describeValue('x'.repeat(500)), /^"x+\.\.\.$/);
  assert.ok(describeValue('x'.repeat(500)).length <= 60);
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.is(describeValue(deep), '[[an Array of 1]]');
  const wide = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
  assert.match(describeValue(wide), /^\{ k0: 0, k1: 1, .*, \.\.\. 1000 fields \}$/);
  assert.is(describeValue({ a: { b: { c: 1 } } }), '{ a: { b: an object with 1 field(s) } }');
  assert.is(describeValue(['y'.repeat(100)]), `["${'y'.repeat(56)}...]`);
  assert.is(describeValue([{ ['z'.repeat(100)]: 1 }, 2]), `[{ ${'z'.repeat(57)}...: 1 }, ... 2 in all]`);
});


test('errorMessage: the message of whatever was thrown, never undefined', () => {
  assert.is(errorMessage(new RangeError('lr must be positive')), 'lr must be positive');
  assert.is(errorMessage('the env broke'), 'the env broke');
  assert.is(errorMessage({ message: 'an Error of another realm' }), 'an Error of another realm');
  assert.is(errorMessage({ code: 3 }), 'a non-Error was thrown: { code: 3 }');
  assert.is(errorMessage(undefined), 'a non-Error was thrown: undefined');
  assert.is(errorMessage(null), 'a non-Error was thrown: null');
  // an object without a prototype, which String() cannot convert
  assert.is(errorMessage(Object.create(null)), 'a non-Error was thrown: {}');
});

test('errorCode: a string code, or undefined', () => {
  assert.is(errorCode(Object.assign(new Error('no'), { code: 'ENOENT' })), 'ENOENT');
  assert.is(errorCode(new Error('no')), undefined);
  assert.is(errorCode({ code: 3 }), undefined);
  assert.is(errorCode(undefined), undefined);
});

test.run();
