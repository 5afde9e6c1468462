/**
 * A tiny assembler from a subset of the WebAssembly text format (WAT) to a module's bytes, so
 * that a hand-written kernel (pcg64Block.ts) lives in the repo as readable instructions, not as an
 * opaque blob, with no toolchain and no dependency. It builds a module of one exported function
 * over one exported memory of fixed size (no imports, no tables, no globals), which is all the
 * kernels need; the binary format is the WebAssembly Core Specification's, section 5.
 *
 * The body is one instruction per line, `;;` comments, locals named by `$name`:
 * - structured control: `block`, `loop`, `end`, `br N`, `br_if N` (N: relative depth);
 * - `local.get $x`, `local.set $x`, `local.tee $x`;
 * - `i32.const N`, `i64.const N` (decimal or 0x hex, BigInt-exact);
 * - `i64.load offset=N`, `i64.store offset=N` (8-byte aligned);
 * - the numeric instructions without immediates listed in `PLAIN`.
 * Anything else is an error naming the line.
 */

/** The value types the kernels use. */
export type ValType = 'i32' | 'i64';

const VALTYPE: Record<ValType, number> = { i32: 0x7f, i64: 0x7e };

/** Opcodes of instructions without immediates (spec 5.4). */
const PLAIN: Readonly<Record<string, number>> = {
  'i32.ge_u': 0x4f,
  'i32.add': 0x6a,
  'i32.shl': 0x74,
  'i64.lt_u': 0x54,
  'i64.add': 0x7c,
  'i64.mul': 0x7e,
  'i64.and': 0x83,
  'i64.xor': 0x85,
  'i64.shr_u': 0x88,
  'i64.rotr': 0x8a,
  'i64.extend_i32_u': 0xad,
};

/** Unsigned LEB128 (spec 5.2.2). */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 of a 64-bit integer (spec 5.2.2). */
function sleb(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n; // arithmetic shift: BigInt keeps the sign
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** A vector: its length, then its items (spec 5.1.3). */
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
/** A UTF-8 name (ASCII here). */
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));
/** A section: id, byte size, contents (spec 5.5.2). */
const section = (id: number, content: number[]): number[] => [id, ...uleb(content.length), ...content];

/** One exported function over one exported memory. */
export interface WasmFunction {
  /** Export name of the function. */
  exportName: string;
  /** Export name of the memory. */
  memoryName: string;
  /** Memory size in 64 KiB pages (fixed: the memory never grows, so views on it stay valid). */
  memoryPages: number;
  /** Parameters, in order, as [name, type]; the function returns nothing. */
  params: readonly (readonly [string, ValType])[];
  /** Locals beyond the parameters, as [name, type]. */
  locals: readonly (readonly [string, ValType])[];
  /** The body in the WAT subset above. */
  body: string;
}

/** Encodes the body's instructions, resolving `$name`s to local indices. */
function assembleBody(body: string, index: ReadonlyMap<string, number>): number[] {
  const code: number[] = [];
  body.split('\n').forEach((raw, lineNo) => {
    const line = raw.replace(/;;.*$/, '').trim();
    if (line === '') return;
    const [op, arg, ...extra] = line.split(/\s+/);
    const where = `wasm assembler: line ${lineNo + 1} '${line}'`;
    const needArg = (): string => {
      if (arg === undefined || extra.length > 0) throw new SyntaxError(`${where}: expected one operand`);
      return arg;
    };
    const local = (): number => {
      const i = index.get(needArg());
      if (i === undefined) throw new SyntaxError(`${where}: unknown local`);
      return i;
    };
    const offset = (): number => {
      const m = /^offset=(\d+)$/.exec(needArg());
      if (m === null) throw new SyntaxError(`${where}: expected offset=N`);
      return Number(m[1]);
    };
    if (op !== undefined && op in PLAIN) {
      if (arg !== undefined) throw new SyntaxError(`${where}: takes no operand`);
      code.push(PLAIN[op]!);
      return;
    }
    switch (op) {
      case 'block':
        code.push(0x02, 0x40); // 0x40: empty block type
        return;
      case 'loop':
        code.push(0x03, 0x40);
        return;
      case 'end':
        code.push(0x0b);
        return;
      case 'br':
        code.push(0x0c, ...uleb(Number(needArg())));
        return;
      case 'br_if':
        code.push(0x0d, ...uleb(Number(needArg())));
        return;
      case 'local.get':
        code.push(0x20, ...uleb(local()));
        return;
      case 'local.set':
        code.push(0x21, ...uleb(local()));
        return;
      case 'local.tee':
        code.push(0x22, ...uleb(local()));
        return;
      case 'i32.const':
        code.push(0x41, ...sleb(BigInt.asIntN(32, BigInt(needArg()))));
        return;
      case 'i64.const':
        code.push(0x42, ...sleb(BigInt.asIntN(64, BigInt(needArg()))));
        return;
      case 'i64.load':
        code.push(0x29, 3, ...uleb(offset())); // memarg: align 2^3, offset
        return;
      case 'i64.store':
        code.push(0x37, 3, ...uleb(offset()));
        return;
      default:
        throw new SyntaxError(`${where}: unknown instruction`);
    }
  });
  return code;
}

/** The module's bytes. */
export function assembleModule(f: WasmFunction): Uint8Array<ArrayBuffer> {
  const index = new Map<string, number>();
  [...f.params, ...f.locals].forEach(([n], i) => index.set(n, i));
  const funcType = [0x60, ...vec(f.params.map(([, t]) => [VALTYPE[t]])), ...vec([])];
  // Locals are declared as runs of (count, type).
  const localDecls = vec(f.locals.map(([, t]) => [1, VALTYPE[t]]));
  const funcBody = [...localDecls, ...assembleBody(f.body, index), 0x0b];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d], // magic "\0asm"
    ...[0x01, 0x00, 0x00, 0x00], // version 1
    ...section(1, vec([funcType])), // type section: type 0 = the function's signature
    ...section(3, vec([uleb(0)])), // function section: function 0 has type 0
    ...section(5, vec([[0x01, ...uleb(f.memoryPages), ...uleb(f.memoryPages)]])), // memory 0: min = max pages
    ...section(7, vec([[...name(f.exportName), 0x00, 0], [...name(f.memoryName), 0x02, 0]])), // exports: func 0, memory 0
    ...section(10, vec([[...uleb(funcBody.length), ...funcBody]])), // code section
  ]);
}
