/**
 * Gymnasium-style warnings (`gymnasium.logger.warn`). Each distinct message is printed once;
 * set `logger.level = 'error'` to silence warnings (tests do this).
 */
export const logger = {
  level: 'warn' as 'warn' | 'error',
  seen: new Set<string>(),
  warn(message: string): void {
    if (this.level !== 'warn' || this.seen.has(message)) return;
    this.seen.add(message);
    console.warn(`nnlab/envs WARN: ${message}`);
  },
};
