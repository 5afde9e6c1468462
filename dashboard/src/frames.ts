/**
 * The frames the page acts on, checked by hand before main.ts sees them (the page bundles no zod):
 * a decoded frame must be one of the message types the page shows, and the fields its handler reads
 * first must be of the right kind (a string, a number, an object, a list, bytes). Anything else is
 * dropped with a console warning naming the problem.
 *
 * The check is shallow on purpose. The page only displays what the coordinator sends, and the
 * coordinator is the server of this very page (app.js): a hostile one could serve another page, so
 * a full validation here would stop nothing it could not do anyway. What it stops is a coordinator
 * of another version or with a bug sending a frame the page would misread; a bad field deeper down
 * makes its handler throw inside the socket's onmessage, which the browser reports without closing
 * the socket. The coordinator validates what comes from pages (protocol/messages.ts), and remote
 * workers what comes from it (protocol/workerFrames.ts).
 */
import type { CoordinatorMessage } from './types.js';
import { describeValue, ownField } from '../../base/plainData.js';

/** The messages the page shows (main.ts onMessage). */
export type PageMessage = Extract<CoordinatorMessage, { type: 'welcome' | 'error' | 'run_state' | 'metrics' | 'params' | 'samples' }>;

type FieldKind = 'string' | 'number' | 'object' | 'list' | 'bytes';

/** Per message type, the fields the page reads first and their kinds (tsc checks every type has its entry, and the names). */
const FIELDS: { [T in PageMessage['type']]: Partial<Record<keyof Extract<PageMessage, { type: T }>, FieldKind>> } = {
  welcome: { runId: 'string' },
  error: { code: 'string', message: 'string' },
  run_state: { run: 'object', workers: 'list' },
  metrics: { points: 'list' },
  params: { version: 'number', params: 'object' },
  samples: { epoch: 'number', png: 'bytes' },
};

function kindOf(v: unknown): FieldKind | 'other' {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return 'number';
  if (v instanceof Uint8Array) return 'bytes';
  if (Array.isArray(v)) return 'list';
  if (typeof v === 'object' && v !== null && !ArrayBuffer.isView(v)) return 'object';
  return 'other';
}

function isPageType(t: unknown): t is PageMessage['type'] {
  return typeof t === 'string' && Object.hasOwn(FIELDS, t);
}

/** Why the page drops this decoded frame; undefined when it is a message the page shows. */
export function frameProblem(value: unknown): string | undefined {
  if (kindOf(value) !== 'object') return `not a message: ${describeValue(value)}`;
  const type = ownField(value, 'type');
  if (!isPageType(type)) {
    const shown = type === undefined ? 'no type' : `type ${describeValue(type)}`;
    return `${shown}: not a message the page shows (${Object.keys(FIELDS).join(', ')})`;
  }
  for (const [name, kind] of Object.entries<FieldKind | undefined>(FIELDS[type])) {
    const field = ownField(value, name);
    if (kindOf(field) !== kind) return `${type}.${name}: expected ${kind === 'list' ? 'a list' : kind === 'object' ? 'an object' : kind}, got ${describeValue(field)}`;
  }
  return undefined;
}

/** Whether a decoded frame is a message the page shows: its type, and the kinds of the fields read first (module doc). */
export function isPageMessage(value: unknown): value is PageMessage {
  return frameProblem(value) === undefined;
}

/** A sweep's trial list (`/api/trials`): each row's index and the values it sets; undefined when the reply is not one. */
export function trialRows(v: unknown): { index: number; overrides: object }[] | undefined {
  if (!Array.isArray(v)) return undefined;
  const rows: { index: number; overrides: object }[] = [];
  for (const r of v) {
    const index = ownField(r, 'index');
    const overrides = ownField(r, 'overrides');
    if (typeof index !== 'number' || typeof overrides !== 'object' || overrides === null) return undefined;
    rows.push({ index, overrides });
  }
  return rows;
}
