/**
 * PCG64's block buffering is invisible: draws, states and checkpoints are numpy's across block
 * boundaries, on both kernels (WebAssembly and plain JavaScript). Reference values from
 * test/fixtures/pcg64_blocks.json, written by bench/python/pcg64_blocks.py with numpy.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import { npRandom, PCG64, restoreState, SeedSequence, snapshotState, type PCG64State } from '../envs/index.js';
import { PCG64_BLOCK } from '../envs/utils/pcg64.js';
import { jsKernel, OUT_WORD, pcg64Kernel, pcg64WasmUnavailable, wasmKernel, type PCG64Kernel } from '../envs/utils/pcg64Block.js';
import { assembleModule } from '../envs/utils/wasmAssembler.js';

interface StateAfter {
  state: string;
  hasUint32: number;
  uinteger: number;
}
interface Fixture {
  numpy: string;
  seed: number;
  inc: string;
  /** numpy `random_raw` (next_uint64) from SeedSequence(seed), 16 hex digits each. */
  raw: string[];
  states: (StateAfter & { draws: number })[];
  next32: { what: 'random' | 'uint32'; values: number[]; after: StateAfter }[];
  jumped: { state: string; inc: string; raw: string[] };
}

const fixture = JSON.parse(readFileSync(new URL('../../test/fixtures/pcg64_blocks.json', import.meta.url), 'utf8')) as Fixture;

const hex64 = (hi: number, lo: number): string => hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');

/** A 128-bit number in 32 hex digits as uint32 words, lowest first (the kernels' layout). */
const hexWords = (hex: string): number[] => [3, 2, 1, 0].map((i) => parseInt(hex.slice(8 * i, 8 * i + 8), 16));

/** `n` raw draws with the kernel from `state`, and the state after them (as hex). */
function kernelDraws(kernel: PCG64Kernel, state: string, inc: string, n: number): { raw: string[]; after: string } {
  kernel.words.set([...hexWords(state), ...hexWords(inc)], 0);
  kernel.fill(n);
  const w = kernel.words;
  const raw = Array.from({ length: n }, (_, k) => hex64(w[OUT_WORD + 2 * k + 1]!, w[OUT_WORD + 2 * k]!));
  const at = OUT_WORD + 2 * n;
  return { raw, after: [3, 2, 1, 0].map((i) => w[at + i]!.toString(16).padStart(8, '0')).join('') };
}

const seeded = (): PCG64 => new PCG64(new SeedSequence(fixture.seed));
const stateOf = (g: { getState(): PCG64State }): StateAfter => {
  const { state, hasUint32, uinteger } = g.getState();
  return { state, hasUint32, uinteger };
};

test('in Node the generator runs on the WebAssembly kernel', () => {
  assert.is(pcg64WasmUnavailable, null);
  assert.is(pcg64Kernel.kind, 'wasm');
});

test("both kernels step numpy's LCG: 300 draws and the states between, and 40 draws from a state 2^100 steps along", () => {
  const wasm = wasmKernel();
  assert.ok('fill' in wasm, `WebAssembly kernel: ${'reason' in wasm ? wasm.reason : ''}`);
  const initial = fixture.states.find((s) => s.draws === 0)!.state;
  for (const kernel of [wasm, jsKernel()]) {
    assert.equal(kernelDraws(kernel, initial, fixture.inc, fixture.raw.length).raw, fixture.raw, `${kernel.kind}: raw stream`);
    for (const s of fixture.states) assert.is(kernelDraws(kernel, initial, fixture.inc, s.draws).after, s.state, `${kernel.kind}: state after ${s.draws} draws`);
    const j = fixture.jumped;
    assert.equal(kernelDraws(kernel, j.state, j.inc, j.raw.length).raw, j.raw, `${kernel.kind}: draws after advance(2^100 + 12345)`);
  }
});

test("draws across block boundaries are numpy's stream, and getState after n draws is numpy's state (mid-block, at and past a boundary)", () => {
  assert.ok(fixture.states.some((s) => s.draws > 0 && s.draws % PCG64_BLOCK === 0), 'the fixture has a count at a block boundary');
  assert.ok(fixture.states.some((s) => s.draws > PCG64_BLOCK && s.draws % PCG64_BLOCK !== 0), 'the fixture has a count inside a later block');
  for (const s of fixture.states) {
    const g = seeded();
    const raw = Array.from({ length: s.draws }, () => hex64(...g.nextUint64()));
    assert.equal(raw, fixture.raw.slice(0, s.draws), `first ${s.draws} draws`);
    assert.equal(stateOf(g), { state: s.state, hasUint32: 0, uinteger: 0 }, `state after ${s.draws} draws`);
    assert.is(g.getState().inc, fixture.inc);
  }
});

test("next32 keeps the upper half of a 64-bit draw across a block refill, as numpy's next_uint32 (with random() between)", () => {
  const [rng] = npRandom(fixture.seed);
  for (const [i, step] of fixture.next32.entries()) {
    const values = step.values.map(() => (step.what === 'random' ? rng.random() : rng.integers(0, 2 ** 32, 'uint32')));
    assert.equal(values, step.values, `step ${i}: ${step.values.length} × ${step.what}`);
    assert.equal(stateOf(rng), step.after, `step ${i}: state after`);
  }
});

test('setState mid-block discards the buffered draws (a state along the same stream, and one 2^100 steps along)', () => {
  const g = seeded();
  for (let k = 0; k < 5; k++) g.nextUint64();
  const at33 = fixture.states.find((s) => s.draws === 33)!;
  g.setState({ bitGenerator: 'PCG64', state: at33.state, inc: fixture.inc, hasUint32: 0, uinteger: 0 });
  assert.is(g.getState().state, at33.state);
  assert.equal(Array.from({ length: 40 }, () => hex64(...g.nextUint64())), fixture.raw.slice(33, 73));
  const j = fixture.jumped;
  g.setState({ bitGenerator: 'PCG64', state: j.state, inc: j.inc, hasUint32: 1, uinteger: 123 });
  assert.is(g.nextUint32(), 123, 'the kept half given in the state comes first');
  assert.equal(Array.from({ length: j.raw.length }, () => hex64(...g.nextUint64())), j.raw);
});

test('snapshotState / restoreState mid-block: into a fresh generator, and back into the same one after it moved blocks on', () => {
  const [a] = npRandom(fixture.seed);
  for (let k = 0; k < 20; k++) a.random();
  a.integers(0, 2 ** 32, 'uint32'); // draw 21, mid-block: its upper half is kept
  const at21 = fixture.states.find((s) => s.draws === 21)!;
  const expected = a.getState();
  assert.is(expected.state, at21.state, "numpy's state after 21 draws");
  assert.is(expected.hasUint32, 1);
  const snap = structuredClone(snapshotState(a));
  const draws = (g: typeof a) => Array.from({ length: 60 }, (_, k) => (k % 3 === 0 ? g.integers(0, 2 ** 32, 'uint32') : g.random()));
  const after = draws(a);

  const [b] = npRandom(7);
  for (let k = 0; k < 3; k++) b.random();
  restoreState(b, snap);
  assert.equal(b.getState(), expected, 'fresh generator: state');
  assert.equal(draws(b), after, 'fresh generator: draws');

  restoreState(a, snap);
  assert.equal(a.getState(), expected, 'rewound generator: state');
  assert.equal(draws(a), after, 'rewound generator: draws');
});

test('where WebAssembly is unavailable (node --jitless) the JavaScript kernel draws the same numbers', () => {
  const module = fileURLToPath(new URL('../envs/index.js', import.meta.url));
  const kernel = fileURLToPath(new URL('../envs/utils/pcg64Block.js', import.meta.url));
  const script = `
    const { PCG64, SeedSequence } = await import(${JSON.stringify(module)});
    const { pcg64Kernel, pcg64WasmUnavailable } = await import(${JSON.stringify(kernel)});
    const g = new PCG64(new SeedSequence(${fixture.seed}));
    const raw = Array.from({ length: 100 }, () => g.nextUint64().map((v) => v.toString(16).padStart(8, '0')).join(''));
    console.log(JSON.stringify({ kind: pcg64Kernel.kind, reason: pcg64WasmUnavailable, raw, state: g.getState().state }));`;
  const out = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const r = JSON.parse(out) as { kind: string; reason: string | null; raw: string[]; state: string };
  assert.is(r.kind, 'js');
  assert.match(r.reason ?? '', /WebAssembly is not defined/);
  assert.equal(r.raw, fixture.raw.slice(0, 100));
  assert.is(r.state, fixture.states.find((s) => s.draws === 100)!.state);
});

test('the wasm assembler names the line of an unknown instruction, an unknown local and a missing operand', () => {
  const build = (body: string) => () =>
    assembleModule({ exportName: 'f', memoryName: 'memory', memoryPages: 1, params: [['$n', 'i32']], locals: [['$x', 'i64']], body });
  assert.throws(build('local.get $n\ni64.frobnicate'), /wasm assembler: line 2 'i64\.frobnicate': unknown instruction/);
  assert.throws(build('local.get $y'), /line 1 'local\.get \$y': unknown local/);
  assert.throws(build('\n\ni64.const'), /line 3 'i64\.const': expected one operand/);
  assert.throws(build('i64.add 3'), /line 1 'i64\.add 3': takes no operand/);
  assert.throws(build('i64.load 8'), /line 1 'i64\.load 8': expected offset=N/);
});

test.run();
