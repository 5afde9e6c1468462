import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { sizeOf } from '../base/shape.js';
import { tensorDataSchema } from '../base/schemas.js';

test('sizeOf: the product of the dimensions, 1 for a scalar, 0 with an empty dimension', () => {
  assert.is(sizeOf([]), 1);
  assert.is(sizeOf([7]), 7);
  assert.is(sizeOf([2, 3, 4]), 24);
  assert.is(sizeOf([3, 0, 5]), 0);
});

test('a tensor as data holds exactly sizeOf(shape) values: the schema names data and both counts otherwise', () => {
  assert.ok(tensorDataSchema.safeParse({ shape: [2, 3], data: new Float32Array(6) }).success);
  assert.ok(tensorDataSchema.safeParse({ shape: [], data: new Float32Array(1) }).success);
  const r = tensorDataSchema.safeParse({ shape: [2, 3], data: new Float32Array(5) });
  assert.not.ok(r.success);
  assert.equal(
    r.error?.issues.map((i) => [i.path, i.message]),
    [[['data'], '5 values for shape [2, 3] (6)']],
  );
});

test.run();
