/**
 * The env registry (Gymnasium `gymnasium.envs.registration`): `register`, `make`, `makeAsync`,
 * `spec`, `registry`.
 *
 * Ids are `[namespace/]Name-vN`. `make` is synchronous and makes registered ids (unknown ids get
 * "did you mean"; older versions are reported as deprecated). `makeAsync` additionally accepts
 * Gymnasium's `"module:Env-v0"` form — the module (a relative or absolute path, a `file:` URL, or
 * a package name) is imported first, which registers its envs — and resolves string entry points
 * `"module.js:ExportName"`. Once a module has been imported, `make('./mod.js:Env-v0')` works
 * synchronously too.
 *
 * `make` wraps like Gymnasium: `TimeLimit(OrderEnforcing(PassiveEnvChecker(env)))`, each wrapper
 * depending on the spec (`maxEpisodeSteps`, `orderEnforce`, `disableEnvChecker`) and options.
 *
 * The registry lives on `globalThis` so that every copy of this module (e.g. one loaded by a
 * custom env module through another path) shares it.
 */
import * as nodePath from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Env, EnvCreator, EnvSpec, VectorEnvCreator } from './core.js';
import {
  DeprecatedEnv,
  EnvError,
  EnvModuleError,
  NameNotFound,
  NamespaceNotFound,
  RegistrationError,
  VersionNotFound,
} from './errors.js';
import { closestMatch, didYouMean } from './utils/didYouMean.js';
import { logger } from './utils/logger.js';
import { OrderEnforcing } from './wrappers/orderEnforcing.js';
import { PassiveEnvChecker } from './wrappers/passiveEnvChecker.js';
import { checkMaxEpisodeSteps, TimeLimit } from './wrappers/timeLimit.js';
import { errorMessage } from '../base/plainData.js';

const REGISTRY_KEY = Symbol.for('nnlab.envs.registry');

/** The registry on globalThis under REGISTRY_KEY, made on first use (shared across module copies). */
function sharedRegistry(): Map<string, EnvSpec> {
  const existing: unknown = Reflect.get(globalThis, REGISTRY_KEY);
  if (existing instanceof Map) return existing;
  if (existing !== undefined) throw new Error(`globalThis[Symbol.for('nnlab.envs.registry')] holds a ${typeof existing}, not the env registry's Map`);
  const made = new Map<string, EnvSpec>();
  Reflect.set(globalThis, REGISTRY_KEY, made);
  return made;
}

/** All registered specs by id (shared across module copies). */
export const registry: Map<string, EnvSpec> = sharedRegistry();

const ENV_ID_RE = /^(?:([\w:.-]+)\/)?(?:([\w:.-]+?))(?:-v(\d+))?$/;

/** Parse `[namespace/]Name[-vN]` (Gymnasium `parse_env_id`). */
export function parseEnvId(id: string): { namespace: string | null; name: string; version: number | null } {
  const m = ENV_ID_RE.exec(id);
  if (m === null) {
    throw new RegistrationError(`Malformed environment ID: '${id}'. (Currently all IDs must be of the form [namespace/](env-name)-v(version). (namespace is optional))`);
  }
  return { namespace: m[1] ?? null, name: m[2]!, version: m[3] === undefined ? null : Number(m[3]) };
}

/** Gymnasium `get_env_id`. */
export function getEnvId(namespace: string | null, name: string, version: number | null): string {
  return `${namespace === null ? '' : `${namespace}/`}${name}${version === null ? '' : `-v${version}`}`;
}

/** Arguments of `register` (Gymnasium's keyword names in camelCase). */
export interface RegisterArgs {
  id: string;
  /** An Env class (constructed with the kwargs object), a factory `(kwargs) => Env`, or `"module.js:ExportName"`. */
  entryPoint: EnvCreator | string;
  rewardThreshold?: number | null;
  nondeterministic?: boolean;
  maxEpisodeSteps?: number | null;
  orderEnforce?: boolean;
  disableEnvChecker?: boolean;
  kwargs?: Record<string, unknown>;
  /** Batched implementation used by `makeVec` (Gymnasium `vector_entry_point`). */
  vectorEntryPoint?: VectorEnvCreator | null;
}

/** Register an env id (re-registering an id replaces it, with a warning, as Gymnasium). */
export function register(args: RegisterArgs): EnvSpec {
  if (typeof args !== 'object' || args === null) throw new RegistrationError('register: expected { id, entryPoint, ... }');
  const { id, entryPoint } = args;
  if (typeof id !== 'string') throw new RegistrationError(`register: id must be a string, got ${String(id)}`);
  const { namespace, name, version } = parseEnvId(id);
  if (typeof entryPoint !== 'function' && typeof entryPoint !== 'string') {
    throw new RegistrationError(`register('${id}'): entryPoint must be an Env class, a factory function or "module.js:ExportName"`);
  }
  if (typeof entryPoint === 'string') stringEntryPoint(`register('${id}')`, entryPoint);
  const mes = checkMaxEpisodeSteps(`register('${id}')`, args.maxEpisodeSteps ?? null, { nullable: true, error: RegistrationError });
  if (registry.has(id)) logger.warn(`Overriding environment ${id} already in registry.`);
  const spec: EnvSpec = {
    id,
    entryPoint,
    namespace,
    name,
    version,
    rewardThreshold: args.rewardThreshold ?? null,
    nondeterministic: args.nondeterministic ?? false,
    maxEpisodeSteps: mes,
    orderEnforce: args.orderEnforce ?? true,
    disableEnvChecker: args.disableEnvChecker ?? false,
    kwargs: { ...(args.kwargs ?? {}) },
    vectorEntryPoint: args.vectorEntryPoint ?? null,
  };
  registry.set(id, spec);
  return spec;
}

/** Remove an id from the registry (returns whether it was there). */
export function unregister(id: string): boolean {
  return registry.delete(id);
}

/** The spec of a registered id (throws with "did you mean" when unknown). */
export function spec(id: string): EnvSpec {
  return findSpec(id);
}

function findSpec(id: string): EnvSpec {
  if (typeof id !== 'string') throw new NameNotFound(`Environment id must be a string, got ${String(id)}`);
  const found = registry.get(id);
  if (found !== undefined) return found;
  const { namespace, name, version } = parseEnvId(id);
  const all = [...registry.values()];
  if (namespace !== null && !all.some((s) => s.namespace === namespace)) {
    const namespaces = new Set(all.map((s) => s.namespace).filter((n): n is string => n !== null));
    throw new NamespaceNotFound(`Namespace ${namespace} not found.${didYouMean(namespace, namespaces)} Have you installed / imported the proper package?`);
  }
  const sameNs = all.filter((s) => s.namespace === namespace);
  const sameName = sameNs.filter((s) => s.name === name);
  if (sameName.length === 0) {
    const match = closestMatch(name, new Set(sameNs.map((s) => s.name)));
    const suggestion = match === undefined ? '' : ` Did you mean: \`${latestId(namespace, match) ?? match}\`?`;
    throw new NameNotFound(
      `Environment \`${name}\` doesn't exist${namespace === null ? '' : ` in namespace ${namespace}`}.${suggestion}` +
        (suggestion ? '' : ` Registered ids: ${[...registry.keys()].sort().join(', ')}.`),
    );
  }
  const versions = sameName.map((s) => s.version).filter((v): v is number => v !== null);
  const latest = versions.length ? Math.max(...versions) : null;
  if (version === null) {
    if (latest !== null) {
      const latestSpec = registry.get(getEnvId(namespace, name, latest))!;
      logger.warn(`Using the latest versioned environment \`${latestSpec.id}\` instead of the unversioned environment \`${id}\`.`);
      return latestSpec;
    }
  } else if (latest !== null && version < latest) {
    throw new DeprecatedEnv(`Environment version v${version} for \`${getEnvId(namespace, name, null)}\` is deprecated. Please use \`${getEnvId(namespace, name, latest)}\` instead.`);
  }
  const listed = versions.sort((a, b) => a - b).map((v) => `\`v${v}\``).join(', ');
  throw new VersionNotFound(
    `Environment version \`v${version}\` for environment \`${getEnvId(namespace, name, null)}\` doesn't exist. ` +
      `It provides versioned environments: [ ${listed} ].` +
      (latest !== null ? ` Did you mean \`${getEnvId(namespace, name, latest)}\`?` : ''),
  );
}

function latestId(namespace: string | null, name: string): string | undefined {
  let best: EnvSpec | undefined;
  for (const s of registry.values()) if (s.namespace === namespace && s.name === name && (best === undefined || (s.version ?? -1) > (best.version ?? -1))) best = s;
  return best?.id;
}

/**
 * Split `"module:Name-v0"` (or an entry point `"module.js:Export"`) at the last colon whose
 * right-hand side is an id / identifier. Returns null for plain ids. Works with `file:` URLs and
 * Windows drive letters.
 */
export function splitModuleRef(ref: string): { module: string; name: string } | null {
  const i = ref.lastIndexOf(':');
  if (i <= 0) return null;
  const module = ref.slice(0, i);
  const name = ref.slice(i + 1);
  if (name === '' || name.startsWith('/') || name.startsWith('\\') || !ENV_ID_RE.test(name)) return null;
  if (/^[A-Za-z]$/.test(module)) return null; // a bare drive letter
  return { module, name };
}

/**
 * The module and export a string entry point names; a RegistrationError naming `who` (the call or
 * spec it came in) and the entry point when it does not look like "path/to/module.js:ExportName".
 * register checks it, and resolveSpecAsync again for an EnvSpec built by hand.
 */
function stringEntryPoint(who: string, entryPoint: string): { module: string; name: string } {
  const ref = splitModuleRef(entryPoint);
  if (ref === null) throw new RegistrationError(`${who}: string entryPoint must look like "path/to/module.js:ExportName", got '${entryPoint}'`);
  return ref;
}

/** Resolve a module specifier as Gymnasium resolves `module:` prefixes: paths relative to the cwd, file URLs, or package names. */
export function resolveModuleSpecifier(specifier: string): string {
  if (/^(file|data|node):/.test(specifier)) return specifier;
  if (nodePath.isAbsolute(specifier) || specifier.startsWith('./') || specifier.startsWith('../') || specifier.startsWith('.\\') || specifier === '.') {
    return pathToFileURL(nodePath.resolve(process.cwd(), specifier)).href;
  }
  return specifier;
}

/** Import an env module (its top level registers its envs). */
export async function importEnvModule(specifier: string): Promise<Record<string, unknown>> {
  const url = resolveModuleSpecifier(specifier);
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new EnvModuleError(`Cannot import env module '${specifier}' (resolved to ${url}): ${errorMessage(err)}`);
  }
}

/** Options of `make` that are not env kwargs. */
export interface MakeOptions {
  /** Override the spec's TimeLimit (null: no TimeLimit). */
  maxEpisodeSteps?: number | null;
  /** Skip the PassiveEnvChecker. */
  disableEnvChecker?: boolean;
  /** Override the spec's OrderEnforcing. */
  orderEnforce?: boolean;
}

/** Whether an entry point is a class (called with `new`): class syntax, or a function whose prototype has step or reset. */
function isConstructor(fn: EnvCreator): fn is Extract<EnvCreator, new (...args: never[]) => unknown> {
  const src = Function.prototype.toString.call(fn);
  if (/^class[\s{]/.test(src)) return true;
  const proto: unknown = fn.prototype;
  return typeof proto === 'object' && proto !== null && (typeof Reflect.get(proto, 'step') === 'function' || typeof Reflect.get(proto, 'reset') === 'function');
}

/** Call an entry point with kwargs (`new` for classes). */
export function instantiate(creator: EnvCreator, kwargs: Record<string, unknown>, id: string): Env<unknown, unknown> {
  const env = isConstructor(creator) ? new creator(kwargs) : creator(kwargs);
  if (env === null || typeof env !== 'object' || typeof env.step !== 'function' || typeof env.reset !== 'function') {
    throw new EnvError(`Entry point of '${id}' did not return an Env (an object with reset and step)`);
  }
  return env;
}

/**
 * The spec of `id` without importing anything: a registered id, or a `"module:Env-v0"` id whose
 * module is already imported (else an EnvModuleError naming `asyncName`, the call that imports it).
 */
export function resolveSpecSync(id: string | EnvSpec, asyncName = 'makeAsync'): EnvSpec {
  if (typeof id !== 'string') return id;
  const ref = splitModuleRef(id);
  if (ref === null || registry.has(id)) return findSpec(id);
  if (!registry.has(ref.name)) {
    throw new EnvModuleError(`'${id}' names the module '${ref.module}', which has not been imported yet: use \`await ${asyncName}('${id}')\`.`);
  }
  return findSpec(ref.name);
}

/**
 * Make a registered env, wrapped like Gymnasium's `make`. `kwargs` (Gymnasium's names in
 * camelCase, e.g. `{ mapName: '8x8', isSlippery: false }`) are merged over the spec's kwargs and
 * validated by the env.
 *
 * The env is `Env<unknown, unknown>`, as Gymnasium's `make` returns `Env[Any, Any]`: an id says
 * nothing at compile time about its spaces. Its actions may be passed in as they are (`step`
 * takes `unknown`, the PassiveEnvChecker checks them); code that needs typed observations or
 * actions narrows it with `withSpaces(env, DISCRETE, DISCRETE)` (envs/core.ts), a run-time check
 * of its spaces.
 */
export function make(id: string | EnvSpec, kwargs: Record<string, unknown> = {}, options: MakeOptions = {}): Env<unknown, unknown> {
  const envSpec = resolveSpecSync(id);
  if (typeof envSpec.entryPoint === 'string') {
    throw new EnvModuleError(`'${envSpec.id}' has the string entry point '${envSpec.entryPoint}'; use \`await makeAsync('${envSpec.id}')\` to import it.`);
  }
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
    throw new EnvError(`make('${envSpec.id}'): kwargs must be an object`);
  }
  const allKwargs = { ...envSpec.kwargs, ...kwargs };
  let env = instantiate(envSpec.entryPoint, allKwargs, envSpec.id);
  const maxEpisodeSteps = options.maxEpisodeSteps !== undefined ? options.maxEpisodeSteps : envSpec.maxEpisodeSteps;
  env.unwrapped.spec = { ...envSpec, kwargs: allKwargs, maxEpisodeSteps };
  if (!(options.disableEnvChecker ?? envSpec.disableEnvChecker)) env = new PassiveEnvChecker(env);
  if (options.orderEnforce ?? envSpec.orderEnforce) env = new OrderEnforcing(env);
  if (maxEpisodeSteps !== null) env = new TimeLimit(env, maxEpisodeSteps);
  return env;
}

/**
 * Resolve an id that may carry a module (`"./my_env.js:MyEnv-v0"`, an absolute path or a
 * `file:` URL before the colon): imports the module, checks that it registered the id, and
 * resolves a string entry point. Returns the spec.
 */
export async function resolveSpecAsync(id: string | EnvSpec): Promise<EnvSpec> {
  let envSpec: EnvSpec;
  if (typeof id === 'string') {
    const ref = splitModuleRef(id);
    if (ref !== null && !registry.has(id)) {
      await importEnvModule(ref.module);
      if (!registry.has(ref.name)) {
        const hint = closestMatch(ref.name, registry.keys());
        throw new EnvModuleError(
          `Module '${ref.module}' was imported but did not register an environment with id '${ref.name}'.` +
            (hint ? ` Did you mean \`${hint}\`?` : '') +
            ' A custom env module should call register({ id, entryPoint }) at its top level.',
        );
      }
      envSpec = findSpec(ref.name);
    } else envSpec = findSpec(id);
  } else envSpec = id;
  if (typeof envSpec.entryPoint === 'string') {
    // a spec passed in was never checked by register
    const ref = stringEntryPoint(`the EnvSpec of '${envSpec.id}'`, envSpec.entryPoint);
    const mod = await importEnvModule(ref.module);
    const creator = mod[ref.name];
    if (typeof creator !== 'function') {
      throw new EnvModuleError(
        `Module '${ref.module}' has no export '${ref.name}' (the entry point of '${envSpec.id}'). Exports: ${Object.keys(mod).join(', ') || '(none)'}.`,
      );
    }
    envSpec.entryPoint = creator as EnvCreator;
  }
  return envSpec;
}

/** `make` for ids with a module prefix or a string entry point (see `resolveSpecAsync`). */
export async function makeAsync(id: string | EnvSpec, kwargs: Record<string, unknown> = {}, options: MakeOptions = {}): Promise<Env<unknown, unknown>> {
  return make(await resolveSpecAsync(id), kwargs, options);
}

/** Registered ids, sorted (Gymnasium `pprint_registry` data). */
export function registeredIds(): string[] {
  return [...registry.keys()].sort();
}
