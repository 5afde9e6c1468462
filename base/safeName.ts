/**
 * The one rule for a name that becomes a file or folder name: a run's, a sweep's, a checkpoint's
 * model or optimizer. Letters, digits, `_ . -` only and no leading dot, so no name is `.`, `..`,
 * a hidden file or a path. No imports: every room may use it.
 */
export const SAFE_NAME = Object.freeze({ pattern: /^[\w-][\w.-]*$/, rule: 'letters, digits, _ . - only, not starting with a dot' });

/** True when `name` follows SAFE_NAME. */
export function isSafeName(name: string): boolean {
  return SAFE_NAME.pattern.test(name);
}
