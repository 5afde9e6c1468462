/**
 * The page's WebSocket to the coordinator: msgpack binary frames (the coordinator's own Packr
 * settings, base/msgpack.ts, so Float32Array parameters arrive intact). The page authenticates with the token in
 * the upgrade URL — the secret its own URL already holds, so no new exposure (docs/security.md) —
 * and then says hello; the coordinator checks the Origin is its own. A refused upgrade (HTTP 401) cannot be read from a browser WebSocket, so a socket
 * that closes before opening asks the page URL whether the token is still good. A frame that is not
 * a message the page shows (frames.ts) is dropped with a console warning.
 */
import { Packr } from 'msgpackr';
import { MSGPACK_OPTIONS } from '../../base/msgpack.js';
import { CLOSE, PATHS, PROTOCOL_VERSION, type PeerMessage } from './types.js';
import { frameProblem, isPageMessage, type PageMessage } from './frames.js';

const packr = new Packr({ ...MSGPACK_OPTIONS });

export type ConnectionStatus = 'connecting' | 'open' | 'ended' | 'unauthorised' | 'lost';

export interface ConnectionEvents {
  /** A frame of a type the page shows, its first fields checked (frames.ts). */
  message(m: PageMessage): void;
  status(s: ConnectionStatus, detail: string): void;
}

/** Reconnect attempts after an unexpected close (2 s apart) before giving up. */
const MAX_RETRIES = 30;

export class Connection {
  private ws: WebSocket | undefined;
  private retries = 0;
  private done = false;

  constructor(
    private readonly token: string,
    private readonly on: ConnectionEvents,
  ) {}

  open(): void {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${proto}//${location.host}${PATHS.socket}?token=${encodeURIComponent(this.token)}`);
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    this.on.status('connecting', this.retries > 0 ? `reconnecting (attempt ${this.retries})` : 'connecting');
    ws.onopen = () => {
      opened = true;
      this.retries = 0;
      this.send({ type: 'hello', protocol: PROTOCOL_VERSION, role: 'dashboard', name: `browser ${navigator.userAgent.slice(0, 80)}` });
    };
    ws.onmessage = (ev: MessageEvent<ArrayBuffer | string>) => {
      if (typeof ev.data === 'string') return;
      let value: unknown;
      try {
        value = packr.unpack(new Uint8Array(ev.data));
      } catch (e) {
        console.warn('nnlab: dropped an undecodable frame from the coordinator', e);
        return;
      }
      if (!isPageMessage(value)) {
        console.warn(`nnlab: dropped a frame from the coordinator: ${frameProblem(value)}`);
        return;
      }
      const msg = value;
      if (msg.type === 'welcome') this.on.status('open', `connected to run ${msg.runId}`);
      if (msg.type === 'error' && msg.code === 'unauthorized') this.refuse(msg.message);
      this.on.message(msg);
    };
    ws.onclose = (ev: CloseEvent) => {
      if (this.done) return;
      if (ev.code === CLOSE.runEnded) {
        this.done = true;
        this.on.status('ended', ev.reason || 'the run ended');
      } else if (ev.code === CLOSE.unauthorized) this.refuse(ev.reason || 'wrong token');
      else if (!opened) void this.checkToken().then((ok) => (ok ? this.retry('cannot reach the coordinator') : this.refuse('the coordinator refused the token')));
      else this.retry(`connection lost (${ev.code})`);
    };
  }

  /** Sends a frame; false when the socket is not open. */
  send(m: PeerMessage): boolean {
    if (this.ws === undefined || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(packr.pack(m));
    return true;
  }

  private refuse(detail: string): void {
    this.done = true;
    this.ws?.close();
    this.on.status('unauthorised', detail);
  }

  private retry(detail: string): void {
    if (++this.retries > MAX_RETRIES) {
      this.done = true;
      this.on.status('lost', `${detail}; gave up after ${MAX_RETRIES} attempts`);
      return;
    }
    this.on.status('lost', `${detail}; retrying`);
    setTimeout(() => this.open(), 2000);
  }

  /** True when the page URL still accepts the token (or the coordinator is unreachable). */
  private async checkToken(): Promise<boolean> {
    try {
      const r = await fetch(`/?token=${encodeURIComponent(this.token)}`, { method: 'HEAD', cache: 'no-store' });
      return r.status !== 401;
    } catch {
      return true;
    }
  }
}
