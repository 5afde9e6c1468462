/**
 * The layering of docs/architecture.md, checked on the source: every `.ts` (and `.cts`) file's imports (static
 * `import` / `export … from`, `import('…')` calls and `import('…')` types, all with literal paths)
 * are read with the TypeScript parser, each is mapped to the room it points into, and the rules
 * below must hold. A dynamic `import()` whose path is not a literal hides the edge from tsc and
 * from this check; it is allowed only where the target is outside the repo (an optional npm
 * package, a user's env module), each listed with its reason.
 *
 * A self-check feeds `checkImports` synthetic edges that break each rule, so this test cannot pass
 * by finding nothing.
 */
import { test } from './helpers.js';
import * as assert from 'uvu/assert';
import ts from 'typescript';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The rooms of the repo. `index` is the package entry index.ts; `dashboard` is dashboard/src. */
const ROOMS = ['base', 'envs', 'core', 'agents', 'generative', 'protocol', 'workers', 'drivers', 'coordinator', 'dashboard', 'bench', 'test', 'experiments', 'index'] as const;
type Room = (typeof ROOMS)[number];

/** Which rooms each room may import (its own room is always allowed); 'any' for the top. */
const MAY_IMPORT: Readonly<Record<Room, readonly Room[] | 'any'>> = {
  base: [],
  envs: ['base'],
  core: ['base'],
  agents: ['core', 'envs', 'base'],
  generative: ['core', 'base'],
  protocol: ['base'],
  workers: ['protocol', 'agents', 'generative', 'envs', 'core', 'base'],
  // drivers train (off-policy, on-policy, generative, trials) on the executors' code; the coordinator calls them
  drivers: ['protocol', 'workers', 'agents', 'generative', 'envs', 'core', 'base'],
  coordinator: 'any',
  dashboard: ['envs', 'base'],
  // experiments/ holds example specs and a user-style custom env: it may use what a user may.
  experiments: ['envs', 'base'],
  bench: 'any',
  test: 'any',
  index: 'any',
};

/**
 * Rooms that may load only the packages listed (node: built-ins included), or not tfjs. base/ loads
 * zod alone (plain JavaScript validation: base/schemas.ts, the atoms of every schema).
 */
const ONLY_PACKAGES: Readonly<Partial<Record<Room, readonly string[]>>> = { base: ['zod'] };
const NO_TFJS: readonly Room[] = ['base', 'envs', 'protocol', 'experiments'];
// dashboard/ may: the page runs the streamed policy with tfjs-core and its cpu backend, bundled.

/**
 * Rooms whose types (type-only imports, erased at build time) a room may use beyond MAY_IMPORT:
 * the contract names the tensors-as-data, learner states, image batches and env states it carries, and the page the contract.
 */
const MAY_IMPORT_TYPES: Readonly<Partial<Record<Room, readonly Room[]>>> = {
  protocol: ['core', 'agents', 'generative', 'envs'],
  dashboard: ['protocol'],
};

/**
 * The import-free name lists and constants: files that import nothing at all, so a room may
 * import their values beyond MAY_IMPORT without loading anything else of their room (no tfjs, no
 * backend, no zod). Each names the rooms that may: the contract names algorithms, models and
 * activations in its schemas, the page takes the protocol version and close codes, and the page and
 * generative/ the metric names. A file here
 * that gains an import, or that none of its rooms imports any more, fails the test.
 */
const IMPORT_FREE: ReadonlyMap<string, readonly Room[]> = new Map([
  // the algorithms' families and the generative kinds (which are conditional, their grids' layout): by the page too, for what a run's controls do and its samples' caption
  ['agents/algos.ts', ['protocol', 'dashboard']],
  ['generative/kinds.ts', ['protocol', 'dashboard']],
  ['core/activation.ts', ['protocol']],
  ['protocol/constants.ts', ['dashboard']],
  // the metric names the rooms write and the page charts (its fallback trial metrics for a coordinator that names none);
  // generative/ names its throughput (charts/steps_per_s) from here, beside the RL loops' charts/sps, for the page's speed panel
  ['agents/metricNames.ts', ['dashboard', 'generative']],
  // the networks' names in published parameters (q, pi, …) and their layers', by which the page finds the network it runs
  ['agents/netNames.ts', ['dashboard']],
]);

/** `import(x)` with a non-literal x: allowed only here, where x is outside the repo. */
const DYNAMIC_ALLOWED: ReadonlyMap<string, string> = new Map([
  ['core/backend.ts', 'optional @tensorflow/tfjs-node(-gpu), present only when the user installed it'],
  ['core/webgpu.ts', "optional npm packages 'webgpu' and '@tensorflow/tfjs-backend-webgpu'"],
  ['envs/registration.ts', "a user's env module named in make('module:Id')"],
  ['workers/envModules.ts', "a user's env module file shipped to a worker"],
  ['bench/envsAb.ts', "another nnlab build's envs (a baseline checkout's dist/), timed against this one"],
  ['test/dashboard.browser.test.ts', 'scripts/build-dashboard.mjs, outside the compiled tree'],
  ['test/dashboard.page.test.ts', 'a dashboard module bundled by esbuild at test time'],
]);

/** One import edge: `from` and `to` are repo-relative paths, or `to` is an npm / node: package name. */
interface Edge {
  from: string;
  to: string;
  isPackage: boolean;
  typeOnly: boolean;
  line: number;
}

/** The room a repo-relative path belongs to, or undefined for paths outside every room. */
function roomOf(file: string): Room | undefined {
  if (file === 'index.ts') return 'index';
  if (file.startsWith('dashboard/src/')) return 'dashboard';
  const first = file.split('/')[0] as Room;
  return (ROOMS as readonly string[]).includes(first) && first !== 'dashboard' && first !== 'index' ? first : undefined;
}

/** The package's own name resolved to its room: 'nnlab' → index.ts, 'nnlab/envs' → envs/index.ts. */
function selfReference(spec: string): string | undefined {
  if (spec === 'nnlab') return 'index.ts';
  const m = /^nnlab\/([a-z]+)$/.exec(spec);
  return m === null ? undefined : `${m[1]}/index.ts`;
}

/** Every rule violation among `edges`, one line each; `nonLiteral` lists files with `import(expr)`. */
function checkImports(edges: readonly Edge[], nonLiteral: readonly { file: string; line: number }[] = []): string[] {
  const problems: string[] = [];
  for (const e of edges) {
    const from = roomOf(e.from);
    if (from === undefined) continue;
    const where = `${e.from}:${e.line} imports '${e.to}'`;
    if (e.isPackage) {
      const only = ONLY_PACKAGES[from];
      if (only !== undefined && !only.includes(e.to)) problems.push(`${where}: ${from}/ imports no package but ${only.join(', ')}`);
      else if (NO_TFJS.includes(from) && e.to.startsWith('@tensorflow/')) problems.push(`${where}: ${from}/ never loads tfjs`);
      continue;
    }
    const to = roomOf(e.to);
    if (to === undefined || to === from) continue;
    if (e.typeOnly && (MAY_IMPORT_TYPES[from] ?? []).includes(to)) continue;
    if ((IMPORT_FREE.get(e.to) ?? []).includes(from)) continue;
    const may = MAY_IMPORT[from];
    if (to === 'coordinator' && !['coordinator', 'bench', 'test', 'index'].includes(from)) {
      problems.push(`${where}: nothing imports coordinator/ except coordinator/, bench/, test/ and index.ts`);
    } else if (may !== 'any' && !may.includes(to)) {
      problems.push(`${where}: ${from}/ may import only ${may.length === 0 ? 'itself' : may.map((r) => `${r}/`).join(', ')}`);
    }
  }
  for (const n of nonLiteral) {
    if (!DYNAMIC_ALLOWED.has(n.file)) problems.push(`${n.file}:${n.line}: import() of a computed path hides the edge from tsc and from this check`);
  }
  return problems;
}

/**
 * What breaks IMPORT_FREE: a listed file with an import of any kind (types included), a listed
 * file that is missing, and one that none of the rooms it is listed for imports any more.
 */
function importFreeProblems(files: readonly string[], edges: readonly Edge[], list: ReadonlyMap<string, readonly Room[]> = IMPORT_FREE): string[] {
  const problems: string[] = [];
  for (const [file, rooms] of list) {
    if (!files.includes(file)) {
      problems.push(`IMPORT_FREE has ${file}, which does not exist: remove it`);
      continue;
    }
    for (const e of edges.filter((x) => x.from === file)) problems.push(`${file}:${e.line} imports '${e.to}': an import-free file (IMPORT_FREE) imports nothing`);
    const used = edges.some((e) => e.to === file && !e.typeOnly && rooms.includes(roomOf(e.from) ?? 'index'));
    if (!used) problems.push(`IMPORT_FREE has ${file} for ${rooms.map((r) => `${r}/`).join(', ')}, which no longer import it: remove it`);
  }
  return problems;
}

/** The files the page's bundle takes in that load `pkg`: value imports followed from dashboard/src/, type imports erased. */
function pageLoads(edges: readonly Edge[], pkg: string): string[] {
  const seen = new Set<string>();
  const queue = [...new Set(edges.filter((e) => roomOf(e.from) === 'dashboard').map((e) => e.from))];
  const found: string[] = [];
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const e of edges) {
      if (e.from !== file || e.typeOnly) continue;
      if (e.isPackage) {
        if (e.to === pkg) found.push(`${file}:${e.line}`);
      } else queue.push(e.to);
    }
  }
  return found;
}

/** The source file of a relative module path as tsc compiles it: `x.js` from `x.ts`, `x.cjs` from `x.cts`, `x.mjs` from `x.mts`. */
function sourceOf(file: string): string {
  return file.replace(/\.([cm]?)js$/, '.$1ts');
}

/** The `.ts`, `.cts` and `.mts` files under `dir` (declaration files aside). */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(ROOT, dir))) {
    const rel = `${dir}/${name}`;
    if (name === 'node_modules' || name === 'dist' || name === 'static') continue;
    if (statSync(path.join(ROOT, rel)).isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.[cm]?ts$/.test(name) && !/\.d\.[cm]?ts$/.test(name)) out.push(rel);
  }
  return out;
}

/** The import edges of one file, and its `import(expr)` calls with a computed path. */
function importsOf(file: string): { edges: Edge[]; nonLiteral: { file: string; line: number }[] } {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const nonLiteral: { file: string; line: number }[] = [];
  const lineOf = (n: ts.Node): number => sf.getLineAndCharacterOfPosition(n.getStart(sf)).line + 1;
  const add = (spec: string, typeOnly: boolean, node: ts.Node): void => {
    const self = selfReference(spec);
    if (spec.startsWith('.')) {
      const to = sourceOf(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
      edges.push({ from: file, to, isPackage: false, typeOnly, line: lineOf(node) });
    } else {
      edges.push({ from: file, to: self ?? spec, isPackage: self === undefined, typeOnly, line: lineOf(node) });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const typeOnly =
        c !== undefined &&
        (c.isTypeOnly ||
          (c.name === undefined && c.namedBindings !== undefined && ts.isNamedImports(c.namedBindings) && c.namedBindings.elements.length > 0 && c.namedBindings.elements.every((el) => el.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly, node);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly, node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg !== undefined && ts.isStringLiteralLike(arg)) add(arg.text, false, node);
      else nonLiteral.push({ file, line: lineOf(node) });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, true, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { edges, nonLiteral };
}

let scanned: { files: string[]; edges: Edge[]; nonLiteral: { file: string; line: number }[] } | undefined;

/** Every source file of the rooms, parsed once. */
function repoImports(): { files: string[]; edges: Edge[]; nonLiteral: { file: string; line: number }[] } {
  if (scanned !== undefined) return scanned;
  const files = ['index.ts', ...['base', 'envs', 'core', 'agents', 'generative', 'protocol', 'workers', 'drivers', 'coordinator', 'dashboard/src', 'bench', 'test', 'experiments'].flatMap(sourceFiles)];
  const edges: Edge[] = [];
  const nonLiteral: { file: string; line: number }[] = [];
  for (const f of files) {
    const r = importsOf(f);
    edges.push(...r.edges);
    nonLiteral.push(...r.nonLiteral);
  }
  scanned = { files, edges, nonLiteral };
  return scanned;
}

test('the source follows the import rules of docs/architecture.md', () => {
  const { files, edges, nonLiteral } = repoImports();
  assert.ok(files.length > 100, `found only ${files.length} source files under ${ROOT}`);
  assert.ok(edges.length > 500, `found only ${edges.length} imports`);
  const problems = checkImports(edges, nonLiteral);
  assert.equal(problems, [], `layering broken:\n  ${problems.join('\n  ')}`);
});

/** `x as unknown as T` (a cast that tells the compiler something it cannot check), each as file:line. */
function doubleCasts(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isAsExpression(node)) {
      let inner: ts.Expression = node.expression;
      while (ts.isParenthesizedExpression(inner)) inner = inner.expression;
      if (ts.isAsExpression(inner) && (inner.type.kind === ts.SyntaxKind.UnknownKeyword || inner.type.kind === ts.SyntaxKind.AnyKeyword)) {
        found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

test('the import-free files (IMPORT_FREE) import nothing, and each is still imported where it is allowed', () => {
  const { files, edges } = repoImports();
  assert.equal(importFreeProblems(files, edges), []);
});

test('the page bundles no zod: nothing it imports as a value loads it (base/schemas.ts, protocol/ schemas)', () => {
  const { edges } = repoImports();
  assert.equal(pageLoads(edges, 'zod'), []);
  assert.ok(pageLoads(edges, 'msgpackr').some((l) => l.startsWith('dashboard/src/socket.ts:')), 'the walk sees the packages the page does load');
  // the walk finds what it looks for: through a base/ file, and not through a type import
  const e = (from: string, to: string, typeOnly = false): Edge => ({ from, to, isPackage: !to.endsWith('.ts'), typeOnly, line: 1 });
  assert.equal(pageLoads([e('dashboard/src/a.ts', 'base/schemas.ts'), e('base/schemas.ts', 'zod')], 'zod'), ['base/schemas.ts:1']);
  assert.equal(pageLoads([e('dashboard/src/a.ts', 'protocol/messages.ts', true), e('protocol/messages.ts', 'zod')], 'zod'), []);
});

test('no source file casts through unknown or any (`as unknown as T`): untyped input is checked, or passed the way a JavaScript caller would', () => {
  const { files } = repoImports();
  assert.equal(files.flatMap((f) => doubleCasts(f)), []);
  // the check finds what it looks for
  assert.equal(doubleCasts('x.ts', 'const a = 1 as unknown as string;\nconst b = ((2 as any)) as number;\nconst c = 3 as number;'), ['x.ts:1', 'x.ts:2']);
});

test('every relative import points at a file that exists', () => {
  const { edges } = repoImports();
  const missing = edges.filter((e) => !e.isPackage).filter((e) => {
    try {
      return !statSync(path.join(ROOT, e.to)).isFile();
    } catch {
      return true;
    }
  });
  assert.equal(missing.map((e) => `${e.from}:${e.line} -> ${e.to}`), []);
});

test('the allow-list names only files that exist (so it shrinks when the code does)', () => {
  const { nonLiteral } = repoImports();
  for (const file of DYNAMIC_ALLOWED.keys()) {
    assert.ok(nonLiteral.some((n) => n.file === file), `DYNAMIC_ALLOWED has ${file}, which no longer has a computed import(): remove it`);
  }
});

test('self-check: each rule fails on a synthetic edge that breaks it', () => {
  const edge = (from: string, to: string, typeOnly = false): Edge => ({ from, to, isPackage: !to.endsWith('.ts'), typeOnly, line: 1 });
  const broken: [Edge, RegExp][] = [
    [edge('base/rng.ts', 'core/nn.ts'), /base\/ may import only itself/],
    [edge('base/rng.ts', 'node:fs'), /base\/ imports no package but zod/],
    [edge('base/schemas.ts', 'yaml'), /base\/ imports no package but zod/],
    [edge('protocol/workerFrames.ts', 'agents/registry.ts'), /protocol\/ may import only base\//], // not an import-free name list
    [edge('dashboard/src/socket.ts', 'core/activation.ts'), /dashboard\/ may import only/], // import-free, but not listed for the page
    [edge('envs/core.ts', '@tensorflow/tfjs'), /envs\/ never loads tfjs/],
    [edge('envs/core.ts', 'core/nn.ts', true), /envs\/ may import only base\//],
    [edge('core/nn.ts', 'agents/dqn.ts'), /core\/ may import only base\//],
    [edge('core/nn.ts', 'envs/core.ts'), /core\/ may import only base\//],
    [edge('agents/dqn.ts', 'generative/gan.ts'), /agents\/ may import only core\/, envs\/, base\//],
    [edge('generative/gan.ts', 'envs/core.ts'), /generative\/ may import only core\/, base\//],
    [edge('generative/gan.ts', 'workers/thread.ts'), /generative\/ may import only/],
    [edge('workers/rollout.ts', 'drivers/spec.ts', true), /workers\/ may import only/],
    [edge('drivers/offPolicy.ts', 'coordinator/scheduler.ts', true), /nothing imports coordinator\//],
    [edge('workers/dqnLearnerHost.ts', 'drivers/learner.ts', true), /workers\/ may import only/],
    [edge('agents/dqn.ts', 'protocol/messages.ts', true), /agents\/ may import only/],
    [edge('protocol/messages.ts', 'core/tensors.ts'), /protocol\/ may import only base\//], // a value import where only types may go
    [edge('dashboard/src/socket.ts', 'protocol/messages.ts'), /dashboard\/ may import only/],
    [edge('protocol/messages.ts', '@tensorflow/tfjs'), /protocol\/ never loads tfjs/],
    [edge('dashboard/src/main.ts', 'core/nn.ts'), /dashboard\/ may import only envs\/, base\//],
    [edge('experiments/gridmaze.ts', '@tensorflow/tfjs'), /experiments\/ never loads tfjs/],
    [edge('workers/remote.ts', 'coordinator/server.ts'), /nothing imports coordinator\//],
    [edge('agents/dqn.ts', 'drivers/offPolicy.ts'), /agents\/ may import only/],
    [edge('experiments/gridmaze.ts', 'coordinator/cli.ts'), /nothing imports coordinator\//],
  ];
  for (const [e, message] of broken) {
    const problems = checkImports([e]);
    assert.is(problems.length, 1, `${e.from} -> ${e.to}: expected one problem, got ${JSON.stringify(problems)}`);
    assert.match(problems[0]!, message);
  }
  const fine = [
    edge('workers/dqnLearnerHost.ts', 'protocol/messages.ts'),
    edge('protocol/tasks.ts', 'core/tensors.ts', true),
    edge('dashboard/src/types.ts', 'protocol/messages.ts', true),
    edge('coordinator/cli.ts', 'workers/remote.ts'),
    edge('test/x.test.ts', 'coordinator/server.ts'),
    edge('envs/core.ts', 'base/rng.ts'),
    edge('agents/dqn.ts', 'envs/core.ts'),
    edge('core/nn.ts', '@tensorflow/tfjs'),
    edge('base/schemas.ts', 'zod'),
    edge('protocol/workerFrames.ts', 'agents/algos.ts'),
    edge('protocol/workerFrames.ts', 'generative/kinds.ts'),
    edge('dashboard/src/types.ts', 'protocol/constants.ts'),
  ];
  assert.equal(checkImports(fine), []);
  assert.equal(checkImports([], [{ file: 'core/fused.ts', line: 3 }]).length, 1, 'a computed import() outside the allow-list');
  assert.equal(checkImports([], [{ file: 'core/backend.ts', line: 3 }]), []);
  // An import-free file that gains an import, one listed that nothing imports, one that is gone.
  const list = new Map<string, readonly Room[]>([['agents/algos.ts', ['protocol']]]);
  const used = edge('protocol/workerFrames.ts', 'agents/algos.ts');
  assert.equal(importFreeProblems(['agents/algos.ts'], [used], list), []);
  assert.match(importFreeProblems(['agents/algos.ts'], [used, edge('agents/algos.ts', 'base/rng.ts', true)], list).join(), /agents\/algos\.ts:1 imports 'base\/rng\.ts': an import-free file/);
  assert.match(importFreeProblems(['agents/algos.ts'], [edge('protocol/workerFrames.ts', 'agents/algos.ts', true)], list).join(), /no longer import it/);
  assert.match(importFreeProblems([], [used], list).join(), /does not exist/);
  // The parser sees every import form.
  const probe = importsOf('test/architecture.test.ts');
  assert.ok(probe.edges.some((e) => e.to === 'typescript'), 'a default import');
  assert.ok(probe.edges.some((e) => e.to === 'test/helpers.ts'), 'a relative import resolved to its .ts file');
});

/** GitHub's anchor of a markdown heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

test('every link of README.md and docs/ points at a file (and heading) inside the repo', () => {
  const pages = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  let links = 0;
  for (const page of pages) {
    const text = readFileSync(path.join(ROOT, page), 'utf8').replace(/```[\s\S]*?```/g, '');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!;
      if (/^(https?|mailto):/.test(target)) continue;
      links++;
      const [file = '', anchor] = target.split('#');
      const resolved = file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file));
      if (resolved.startsWith('../') || path.posix.isAbsolute(resolved)) {
        broken.push(`${page}: '${target}' points outside the repo`);
        continue;
      }
      let content: string;
      try {
        content = readFileSync(path.join(ROOT, resolved), 'utf8');
      } catch {
        broken.push(`${page}: '${target}': no file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md')) {
        const anchors = [...content.matchAll(/^#{1,6} (.+)$/gm)].map((h) => slug(h[1]!));
        if (!anchors.includes(anchor)) broken.push(`${page}: '${target}': ${resolved} has no heading #${anchor}`);
      }
    }
  }
  assert.ok(links > 20, `found only ${links} links`);
  assert.equal(broken, []);
  assert.is(slug('What a run reports is what it saved'), 'what-a-run-reports-is-what-it-saved');
  assert.is(slug('Environments (`nnlab/envs`)'), 'environments-nnlabenvs');
});

// ---- Entry URLs: the modules a thread or a process starts from ----

/** Whether `n` is `import.meta.url`. */
function isImportMetaUrl(n: ts.Node | undefined): boolean {
  return n !== undefined && ts.isPropertyAccessExpression(n) && ts.isMetaProperty(n.expression) && n.expression.keywordToken === ts.SyntaxKind.ImportKeyword && n.name.text === 'url';
}

/**
 * A piscina `filename` or a `fork` path is written `new URL('…', import.meta.url)`: a string tsc
 * does not follow, so neither does the import check above. Each such literal that names a module
 * (.js, .cjs, .ts…) is an edge here as an import would be: the module's source must exist (the
 * `.ts` or `.cts` beside where its `.js` or `.cjs` is compiled) and the room that starts it must be
 * allowed to import it.
 */
function entryUrlsOf(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): Edge[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const edges: Edge[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'URL') {
      const [spec, base] = node.arguments ?? [];
      if (spec !== undefined && ts.isStringLiteralLike(spec) && /\.[cm]?[jt]s$/.test(spec.text) && isImportMetaUrl(base)) {
        const to = sourceOf(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec.text)));
        // a path out of the compiled tree (scripts/build-native.cjs from dist/test/) names no source module
        if (!to.startsWith('../')) edges.push({ from: file, to, isPackage: false, typeOnly: false, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1 });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** The entry edges whose module has no source file, one line each. */
function missingEntries(edges: readonly Edge[]): string[] {
  return edges
    .filter((e) => {
      try {
        return !statSync(path.join(ROOT, e.to)).isFile();
      } catch {
        return true;
      }
    })
    .map((e) => `${e.from}:${e.line} starts '${e.to}', which does not exist`);
}

test('every thread or process entry URL (new URL(…, import.meta.url) of a module) names a source file its room may import', () => {
  const entries = repoImports().files.flatMap((f) => entryUrlsOf(f));
  const found = new Set(entries.map((e) => `${e.from} -> ${e.to}`));
  for (const known of ['coordinator/executors.ts -> workers/threadEntry.cts', 'workers/remote.ts -> workers/threadEntry.cts', 'workers/queueWorker.ts -> workers/queueThreadEntry.cts', 'drivers/learner.ts -> workers/learnerProcess.ts']) {
    assert.ok(found.has(known), `${known} not found among ${[...found].join(', ')}`);
  }
  assert.equal([...missingEntries(entries), ...checkImports(entries)], []);
});

test('self-check: an entry URL breaking a rule or naming no file is found; other URLs are not entries', () => {
  const probe = entryUrlsOf(
    'workers/probe.ts',
    [
      "const a = new URL('../coordinator/server.js', import.meta.url);",
      "const b = new URL('./thread.js', import.meta.url).href;",
      "const c = new URL('../../package.json', import.meta.url);",
      "const d = new URL('./thread.js', 'file:///elsewhere/');",
      "const e = new URL('../drivers/nope.ts', import.meta.url);",
      "const f = new URL('../../scripts/build-native.cjs', import.meta.url);",
    ].join('\n'),
  );
  assert.equal(probe.map((e) => `${e.line} ${e.to}`), ['1 coordinator/server.ts', '2 workers/thread.ts', '5 drivers/nope.ts']);
  const [server, thread, nope] = probe;
  assert.equal(checkImports(server === undefined ? [] : [server]).length, 1);
  assert.match(checkImports(probe).join('\n'), /workers\/probe\.ts:1 imports 'coordinator\/server\.ts': nothing imports coordinator\//);
  assert.match(checkImports(probe).join('\n'), /workers\/probe\.ts:5 imports 'drivers\/nope\.ts': workers\/ may import only/);
  assert.equal(missingEntries(thread === undefined ? [] : [thread]), []);
  assert.equal(missingEntries(nope === undefined ? [] : [nope]), ["workers/probe.ts:5 starts 'drivers/nope.ts', which does not exist"]);
  assert.equal(entryUrlsOf('coordinator/probe.ts', "new URL('../workers/threadEntry.cjs', import.meta.url)").map((e) => e.to), ['workers/threadEntry.cts']);
});

// ---- piscina entries: CommonJS, never an ES module ----

/**
 * What each `new Piscina({ filename })` of `file` starts its threads from, with its file:line: the
 * path of the `new URL('…', import.meta.url)` it is given, inline or as a `const` of the same file
 * (`.href` or not), or undefined when it is given anything else or no filename.
 */
function piscinaFilenames(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): { where: string; spec: string | undefined }[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const consts = new Map<string, ts.Expression>();
  const collect = (node: ts.Node): void => {
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) consts.set(node.name.text, node.initializer);
    ts.forEachChild(node, collect);
  };
  collect(sf);
  const urlPath = (n: ts.Expression | undefined): string | undefined => {
    if (n === undefined) return undefined;
    if (ts.isIdentifier(n)) return urlPath(consts.get(n.text));
    if (ts.isPropertyAccessExpression(n) && n.name.text === 'href') return urlPath(n.expression);
    if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'URL') {
      const [spec, base] = n.arguments ?? [];
      if (spec !== undefined && ts.isStringLiteralLike(spec) && isImportMetaUrl(base)) return spec.text;
    }
    return undefined;
  };
  const found: { where: string; spec: string | undefined }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Piscina') {
      const options = node.arguments?.[0];
      let filename: ts.Expression | undefined;
      if (options !== undefined && ts.isObjectLiteralExpression(options)) {
        for (const p of options.properties) {
          if (p.name === undefined || !ts.isIdentifier(p.name) || p.name.text !== 'filename') continue;
          if (ts.isPropertyAssignment(p)) filename = p.initializer;
          else if (ts.isShorthandPropertyAssignment(p)) filename = p.name;
        }
      }
      found.push({ where: `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`, spec: urlPath(filename) });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/**
 * The pools whose entry is not a `.cjs` file, one line each. piscina 5 loads a thread's filename
 * with `require()` first, and Node 20's require() of an ES module once killed a test's process
 * with a V8 fatal error (workers/esmHandler.cts): a pool starts from a CommonJS entry.
 */
function piscinaEntryProblems(pools: readonly { where: string; spec: string | undefined }[]): string[] {
  return pools
    .filter((p) => p.spec === undefined || !p.spec.endsWith('.cjs'))
    .map((p) =>
      p.spec === undefined
        ? `${p.where}: new Piscina's filename is not a new URL('….cjs', import.meta.url) (inline or a const of the file), so this check cannot read it`
        : `${p.where}: new Piscina's filename '${p.spec}' is not a CommonJS entry (.cjs): piscina require()s it, and require() of an ES module crashed a thread`,
    );
}

/**
 * The static imports of repo modules in a CommonJS file that are not CommonJS, one line each: tsc
 * compiles them to `require()`, which would load an ES module with require(esm) after all. A
 * CommonJS entry reaches an ES module by `import()` (a type-only import is erased).
 */
function requiredEsm(file: string, text = readFileSync(path.join(ROOT, file), 'utf8')): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: string[] = [];
  const check = (spec: ts.Expression | undefined, typeOnly: boolean, node: ts.Node): void => {
    if (spec === undefined || !ts.isStringLiteralLike(spec) || !spec.text.startsWith('.') || typeOnly || spec.text.endsWith('.cjs')) return;
    found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1} requires '${spec.text}', not a CommonJS module: import() it`);
  };
  for (const node of sf.statements) {
    if (ts.isImportDeclaration(node)) check(node.moduleSpecifier, node.importClause?.isTypeOnly === true, node);
    else if (ts.isExportDeclaration(node)) check(node.moduleSpecifier, node.isTypeOnly, node);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) check(node.moduleReference.expression, node.isTypeOnly, node);
  }
  return found;
}

test('every piscina pool starts from a CommonJS entry (.cjs), which loads its ES module by import(), never require()', () => {
  const { files } = repoImports();
  const pools = files.flatMap((f) => piscinaFilenames(f));
  assert.ok(pools.length >= 3, `found only ${pools.length} new Piscina: ${pools.map((p) => p.where).join(', ')}`);
  assert.equal(piscinaEntryProblems(pools), []);
  const cjs = files.filter((f) => f.endsWith('.cts'));
  assert.ok(cjs.includes('workers/threadEntry.cts') && cjs.includes('workers/queueThreadEntry.cts'), `the CommonJS files found: ${cjs.join(', ')}`);
  assert.equal(cjs.flatMap((f) => requiredEsm(f)), []);
});

test('self-check: a pool given an ES module or an unreadable filename is found, and so is a CommonJS file requiring an ES module', () => {
  const pools = piscinaFilenames(
    'workers/probe.ts',
    [
      "const ENTRY = new URL('./threadEntry.cjs', import.meta.url).href;",
      'new Piscina({ filename: ENTRY, minThreads: 1 });',
      "new Piscina({ filename: new URL('./thread.js', import.meta.url).href });",
      'new Piscina({ filename: somewhere() });',
      'new Piscina({ minThreads: 1 });',
      "const filename = new URL('./queueThreadEntry.cjs', import.meta.url);",
      'new Piscina({ filename });',
    ].join('\n'),
  );
  assert.equal(pools.map((p) => `${p.where} ${p.spec ?? '?'}`), [
    'workers/probe.ts:2 ./threadEntry.cjs',
    'workers/probe.ts:3 ./thread.js',
    'workers/probe.ts:4 ?',
    'workers/probe.ts:5 ?',
    'workers/probe.ts:7 ./queueThreadEntry.cjs',
  ]);
  assert.equal(piscinaEntryProblems(pools).map((l) => l.split(': ')[0]), ['workers/probe.ts:3', 'workers/probe.ts:4', 'workers/probe.ts:5']);
  const probe = [
    "import { esmHandler } from './esmHandler.cjs';",
    "import type { Task } from '../protocol/tasks.js';",
    "import { execute } from './thread.js';",
    "export { x } from './rollout.js';",
    "import y = require('./trial.js');",
    "import { move } from 'piscina';",
    "export default esmHandler(() => import('./thread.js'));",
  ].join('\n');
  assert.equal(requiredEsm('workers/probe.cts', probe).map((l) => l.split(' ')[0]), ['workers/probe.cts:3', 'workers/probe.cts:4', 'workers/probe.cts:5']);
});

test.run();
