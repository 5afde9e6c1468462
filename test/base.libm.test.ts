/**
 * base/libm: the exact fused multiply-add against exact rational arithmetic, and the glibc ports
 * (sin, cos, pow, powf) against glibc itself, through test/fixtures/glibc_libm.json, written by
 * bench/python/glibc_libm.py on x86-64 glibc 2.36 with FMA: the test rebuilds the script's argument
 * sequences with the same float64 arithmetic and compares digests of the results.
 */
import { readFileSync } from 'node:fs';
import * as assert from 'uvu/assert';
import { float64Digest as digest, test } from './helpers.js';
import { fma } from '../base/libm/fma.js';
import { cos, sin } from '../base/libm/sincos.js';
import { pow } from '../base/libm/pow.js';
import { powf } from '../base/libm/powf.js';
import { highWord, lowWord } from '../base/libm/bits.js';
import { Rng } from '../base/rng.js';

interface Entry {
  digest: string;
  first: number[];
}
interface Fixture {
  made_with: { libc: string; machine: string; cpu: string[] };
  n: number;
  sin: Entry;
  cos: Entry;
  pow: Entry;
  powf: Entry;
}
const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/glibc_libm.json', import.meta.url), 'utf8')) as Fixture;

// ---- the script's argument sequences (bench/python/glibc_libm.py), in the same float64 arithmetic ----
const PHI = 0.6180339887498949;
const SQRT2 = 1.4142135623730951;
const TRIG_SCALES = [0.26, 1.8, 5.0, 200.0, 2.0e6];
const frac = (x: number) => x % 1.0;

function trigArgs(): number[] {
  return Array.from({ length: fixture.n }, (_, i) => frac(i * PHI) * TRIG_SCALES[i % 5]! - TRIG_SCALES[i % 5]! / 2);
}

function powArgs(): [number, number][] {
  return Array.from({ length: fixture.n }, (_, i): [number, number] => {
    const u = frac(i * PHI);
    const v = frac(i * SQRT2);
    switch (i % 4) {
      case 0:
        return [u * 40 - 20, 2.0];
      case 1:
        return [u * 50, v * 16 - 8];
      case 2:
        return [-u * 10, Math.trunc(v * 19) - 9];
      default:
        return [0.99 + u * 0.02, v * 6000 - 3000];
    }
  });
}

/** Compares results with the fixture: the first values one by one (a readable failure), then the digest of all. */
function matches(name: keyof Pick<Fixture, 'sin' | 'cos' | 'pow' | 'powf'>, got: number[]): void {
  const want = fixture[name];
  want.first.forEach((w, i) => assert.ok(Object.is(got[i], w), `${name} #${i}: got ${got[i]}, glibc ${w}`));
  assert.is(digest(got), want.digest, `${name}: all ${got.length} results`);
}

// ---- fma against exact arithmetic ----

/** A finite double as sign·m·2^e with integer m (BigInt). */
function decompose(x: number): { m: bigint; e: number } {
  const hi = highWord(x);
  const lo = lowWord(x);
  const biased = (hi >>> 20) & 0x7ff;
  const frac52 = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  const m = biased === 0 ? frac52 : frac52 | (1n << 52n);
  return { m: hi >>> 31 === 1 ? -m : m, e: (biased === 0 ? 1 : biased) - 1075 };
}

/** a·b + c rounded once to nearest-even: exact BigInt arithmetic, then `Number()` (which rounds to nearest-even). */
function exactFma(a: number, b: number, c: number): number {
  const A = decompose(a);
  const B = decompose(b);
  const C = decompose(c);
  const ep = A.e + B.e;
  const e = Math.min(ep, C.e);
  const sum = ((A.m * B.m) << BigInt(ep - e)) + (C.m << BigInt(C.e - e));
  return Number(sum) * 2 ** e; // |e| stays far from the subnormal range for these operands
}

test('fma(a, b, c) is a·b + c rounded once, random operands and sums that land next to a tie', () => {
  const rng = new Rng(2024);
  const wide = () => (rng.uniform(1, 2) * 2 ** Math.floor(rng.uniform(-40, 40))) * (rng.uniform(0, 1) < 0.5 ? -1 : 1);
  let ties = 0;
  for (let i = 0; i < 20000; i++) {
    const a = wide();
    const b = wide();
    const c = i % 2 === 0 ? wide() : -a * b * (1 + rng.uniform(-1e-15, 1e-15)); // heavy cancellation
    assert.ok(Object.is(fma(a, b, c), exactFma(a, b, c)), `fma(${a}, ${b}, ${c})`);
  }
  for (let i = 0; i < 20000; i++) {
    // a·b ≈ ±half an ulp of c (times 1 or 3): a·b + c sits within an ulp of its last bit of a tie
    const c = rng.uniform(1, 2) * 2 ** Math.floor(rng.uniform(-10, 10)) * (rng.uniform(0, 1) < 0.5 ? -1 : 1);
    const ulp = 2 ** (Math.floor(Math.log2(Math.abs(c))) - 52);
    const a = rng.uniform(1, 2) * 2 ** Math.floor(rng.uniform(-3, 3));
    const b = ((ulp / 2) * (rng.uniform(0, 1) < 0.25 ? 3 : 1) * (rng.uniform(0, 1) < 0.5 ? -1 : 1)) / a;
    const want = exactFma(a, b, c);
    if (want !== c + a * b) ties++;
    assert.ok(Object.is(fma(a, b, c), want), `fma(${a}, ${b}, ${c})`);
  }
  assert.ok(ties > 1000, `the near-tie cases must include many where a·b + c rounded twice is wrong (${ties})`);
  assert.is(fma(0, 5, -0), 0);
  assert.ok(Object.is(fma(-0, 5, -0), -0));
  assert.is(fma(Infinity, 1, 1), Infinity);
  assert.ok(Number.isNaN(fma(Infinity, 0, 1)));
});

// ---- the glibc ports against glibc ----

test(`the fixture was made by glibc on x86-64 with FMA (${fixture.made_with.libc})`, () => {
  assert.match(fixture.made_with.libc, /^glibc 2\.\d+/);
  assert.is(fixture.made_with.machine, 'x86_64');
  assert.equal(fixture.made_with.cpu, ['avx2', 'fma']);
});

test('sin and cos are glibc\'s, bit for bit, over every branch (|x| < 0.126 … 10^6)', () => {
  const xs = trigArgs();
  matches('sin', xs.map(sin));
  matches('cos', xs.map(cos));
  // the point of the port: V8's Math.sin and Math.cos (fdlibm) differ from glibc's on some of these
  assert.not.equal(digest(xs.map((x) => Math.sin(x))), fixture.sin.digest);
  assert.not.equal(digest(xs.map((x) => Math.cos(x))), fixture.cos.digest);
});

test('sin and cos keep signed zeros, NaN and the infinities as glibc does', () => {
  assert.ok(Object.is(sin(-0), -0));
  assert.ok(Object.is(sin(0), 0));
  assert.is(cos(-0), 1);
  assert.is(sin(1e-9), 1e-9);
  for (const x of [NaN, Infinity, -Infinity]) {
    assert.ok(Number.isNaN(sin(x)), `sin(${x})`);
    assert.ok(Number.isNaN(cos(x)), `cos(${x})`);
  }
});

test('pow is glibc\'s, bit for bit: squares, fractional and negative integer powers, results near overflow', () => {
  const pairs = powArgs();
  matches('pow', pairs.map(([x, y]) => pow(x, y)));
  // squares: glibc's pow(x, 2) is not always x·x, and numpy's ** uses it
  const squares = pairs.filter(([, y]) => y === 2);
  assert.ok(squares.some(([x]) => pow(x, 2) !== x * x), 'some glibc squares differ from x·x');
});

test('pow\'s special cases are C99\'s', () => {
  assert.is(pow(0, -1), Infinity);
  assert.is(pow(-0, -1), -Infinity);
  assert.is(pow(-0, -2), Infinity);
  assert.ok(Number.isNaN(pow(-8, 1 / 3)));
  assert.is(pow(1, NaN), 1);
  assert.is(pow(NaN, 0), 1);
  assert.is(pow(-1, Infinity), 1);
  assert.is(pow(0.5, Infinity), 0);
  assert.is(pow(2, 1e10), Infinity);
  assert.is(pow(-2, 1e10 + 1), -Infinity); // an odd exponent keeps the sign
  assert.is(pow(-2, 2 ** 60), Infinity); // |y| ≥ 2^53 is even
  assert.is(pow(0.5, 1e10), 0);
  assert.is(pow(-2, 3), -8);
  assert.is(pow(2 ** -1074, 0.5), 2 ** -537); // a subnormal base
});

test('powf is glibc\'s (numpy\'s float32 **), bit for bit', () => {
  const pairs = powArgs().map(([x, y]) => [Math.fround(x), Math.fround(y)] as const);
  const got = pairs.map(([x, y]) => powf(x, y));
  matches('powf', got);
  assert.ok(got.every((v) => Number.isNaN(v) || Math.fround(v) === v), 'results are float32 values');
  assert.ok(pairs.some(([x, y]) => y === 2 && powf(x, 2) !== Math.fround(x * x)), 'some glibc float32 squares differ from fround(x·x)');
  assert.is(powf(0, -1), Infinity);
  assert.is(powf(-2, 3), -8);
  assert.ok(Number.isNaN(powf(-2, 0.5)));
  assert.is(powf(10, 40), Infinity);
});
test.run();
