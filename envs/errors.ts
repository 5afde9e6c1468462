/**
 * Errors raised by nnlab/envs, named after Gymnasium's `gymnasium.error` classes.
 * Each carries a message that names the problem and, where possible, the fix.
 */

/** Base class of every envs error. */
export class EnvError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An id that is not in the registry (base of the more specific id errors). */
export class UnregisteredEnv extends EnvError {}
/** No env of that name is registered (in that namespace). */
export class NameNotFound extends UnregisteredEnv {}
/** The name is registered, but not with that version. */
export class VersionNotFound extends UnregisteredEnv {}
/** No env is registered in that namespace. */
export class NamespaceNotFound extends UnregisteredEnv {}
/** A version older than the newest registered one (e.g. Taxi-v3 when Taxi-v4 exists). */
export class DeprecatedEnv extends UnregisteredEnv {}
/** `register` called with a malformed or conflicting spec. */
export class RegistrationError extends EnvError {}
/** `step` called before `reset`, or after the episode terminated. */
export class ResetNeeded extends EnvError {}
/** An action outside the env's action space. */
export class InvalidAction extends EnvError {}
/** An unknown keyword argument, a bad kwarg value, or a bad reset option. */
export class InvalidArgument extends EnvError {}
/** A `module:Env-v0` id whose module cannot be imported or does not register the env. */
export class EnvModuleError extends EnvError {}
/** A failed `checkEnv` / passive-checker check. */
export class EnvCheckError extends EnvError {}
