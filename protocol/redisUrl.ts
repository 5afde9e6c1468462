import { errorMessage } from '../base/plainData.js';
/**
 * The Redis URL of a queue-backed sweep: `redis://[user:pass@]HOST:PORT[/DB]`, or `rediss://…` for
 * TLS. Parsed here once (the spec's `queue` field, `--queue` of `nnlab sweep` and `nnlab worker`)
 * into connection options, and redacted (the password replaced by `***`) wherever it is printed.
 */

export interface RedisTarget {
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
  /** `rediss://`: connect over TLS (the server's certificate is checked against the system CAs). */
  tls: boolean;
}

/** Why `url` is not a usable Redis URL, or undefined when it is. */
export function redisUrlProblem(url: string): string | undefined {
  try {
    parseRedisUrl(url);
    return undefined;
  } catch (e) {
    return errorMessage(e);
  }
}

/** Parses a Redis URL (module doc); throws an Error saying what is wrong and what is expected. */
export function parseRedisUrl(url: string): RedisTarget {
  const expected = 'expected redis://[user:password@]HOST:PORT[/DB] (rediss:// for TLS)';
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`'${redactRedisUrl(url)}' is not a URL; ${expected}`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`'${redactRedisUrl(url)}': scheme ${u.protocol.replace(/:$/, '')} is not redis or rediss; ${expected}`);
  if (u.hostname === '') throw new Error(`'${redactRedisUrl(url)}' names no host; ${expected}`);
  if (u.port === '') throw new Error(`'${redactRedisUrl(url)}' names no port (Redis listens on 6379 by default); ${expected}`);
  if (u.search !== '' || u.hash !== '') throw new Error(`'${redactRedisUrl(url)}': query strings and fragments are not supported; ${expected}`);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!/^\d*$/.test(dbText) || !Number.isSafeInteger(db) || db > 15) throw new Error(`'${redactRedisUrl(url)}': database '${dbText}' is not a number 0-15; ${expected}`);
  const target: RedisTarget = { host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port: Number(u.port), db, tls: u.protocol === 'rediss:' };
  if (u.username !== '') target.username = decodeURIComponent(u.username);
  if (u.password !== '') target.password = decodeURIComponent(u.password);
  return target;
}

/** The URL with its password (if any) replaced by `***`: safe to print and log. */
export function redactRedisUrl(url: string): string {
  return url.replace(/^(\w+:\/\/[^:/@]*:)[^@/]*@/, '$1***@');
}
