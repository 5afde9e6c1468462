/**
 * The coordinator's network face: one `http.Server` (or `https.Server` with `tls`) with a `ws`
 * WebSocketServer on it (the dashboard's page is served from the same port). Peers speak msgpack
 * frames of protocol.ts's union. A remote worker and the coordinator authenticate each other by
 * challenge–response over the run's token (protocol/auth.ts), so the token never travels; a
 * dashboard page shows the token in the upgrade URL (`?token=`), as its own page URL does.
 *
 * Defences (docs/security.md): the `Origin` of browser peers must be the coordinator's own (403);
 * at most `maxPending` connections may be unauthenticated at once (more close with 1013); a peer
 * may send `preAuthBytes` (64 KiB) before its hello is accepted — counted on the raw socket, so a
 * large frame is refused with 1009 as its first bytes arrive, not after it was buffered; then
 * `maxPayload` (64 MiB). Every frame is msgpack-decoded and schema-validated (an error frame names
 * the problem; an authenticated peer survives bad frames up to a limit); nothing but the
 * handshake before authentication (else 4401); a hello deadline; the protocol version check; and
 * heartbeats that `terminate()` a peer from which nothing at all (no pong, no byte of any frame)
 * arrived for a whole interval. Remote workers become scheduler executors; one that refuses the
 * run's shipped code is removed with the reason; a malformed answer to a task a worker holds fails
 * that task at once (the scheduler requeues it and counts a strike), and a quarantined worker is
 * closed with CLOSE.quarantined and the reason.
 */
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { packr } from '../core/tensors.js';
import { withSource } from '../workers/envModules.js';
import { REMOTE_TASK_KINDS, shipSource, withoutOutDir, type Task, type TaskKind, type TaskResult } from '../protocol/tasks.js';
import { BadResult, ExecutorLost, type Executor, type TaskFaultCode, type Scheduler } from './scheduler.js';
import { coordinatorProof, newNonce, proofsEqual, tokensEqual, workerProof } from '../protocol/auth.js';
import { rawBytes } from '../protocol/rawBytes.js';
import { CLOSE, PATHS, PROTOCOL_VERSION } from '../protocol/constants.js';
import { FRAME_BYTES, PRE_AUTH_BYTES, parsePeerMessage, type CoordinatorMessage, type ErrorMessage, type HelloMessage, type PeerMessage, type RefusedMessage } from '../protocol/messages.js';
import { errorMessage, ownField } from '../base/plainData.js';

/** The address the coordinator listens on unless told otherwise: this machine only (docs/security.md). */
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions {
  token: string;
  runId: string;
  port?: number;
  host?: string;
  /** Serve https / wss with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Largest accepted frame in bytes once a peer is authenticated (default FRAME_BYTES.toCoordinator, 64 MiB: a rollout of a big vector env fits). */
  maxPayload?: number;
  /** Bytes a peer may send before its hello is accepted (default 64 KiB; the handshake needs ~200). */
  preAuthBytes?: number;
  /** Connections that are not yet authenticated, at most (default 16); more are closed with 1013. */
  maxPending?: number;
  heartbeatMs?: number;
  helloTimeoutMs?: number;
  /** Invalid frames tolerated from an authenticated peer before it is closed. */
  maxBadFrames?: number;
  scheduler: Scheduler;
  /** Serves HTTP requests other than the socket upgrade (the dashboard). */
  httpHandler?: (req: http.IncomingMessage, res: http.ServerResponse) => void;
  /** A dashboard asked to stop the run or to checkpoint. */
  onControl?: (action: 'stop' | 'checkpoint') => void;
  /** A dashboard attached: send it the history. */
  onDashboard?: (send: (m: CoordinatorMessage) => void) => void;
  log?: (line: string) => void;
}

/** How often peers are pinged by default; a peer that sent nothing for a whole period is dropped. */
const HEARTBEAT_MS = 5000;

/**
 * Where a peer is in the handshake. challenged: sent a challenge with `nonce`, waits for the
 * worker's proof of it; proven: the peer showed the token (its proof, or `?token=` at the upgrade)
 * and may say hello; ready: hello accepted.
 */
type Handshake = { state: 'challenged'; nonce: Uint8Array } | { state: 'proven' } | { state: 'ready' };

interface Peer {
  id: number;
  ws: WebSocket;
  handshake: Handshake;
  role?: HelloMessage['role'];
  name?: string;
  alive: boolean;
  /** Why the coordinator dropped it (the heartbeat), when it was not the peer that left. */
  dropped?: string;
  badFrames: number;
  executor?: RemoteExecutor;
}

/**
 * `/healthz` (exactly; GET or HEAD, else 405): `{"ok":true}` to anyone, for liveness probes; with
 * the run's `?token=` also the run id and protocol version. Returns false for any other path.
 */
function healthzRequest(req: http.IncomingMessage, res: http.ServerResponse, token: string, runId: string): boolean {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://x');
  } catch {
    return false;
  }
  if (url.pathname !== '/healthz') return false;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return true;
  }
  const given = url.searchParams.get('token');
  const body = JSON.stringify(given !== null && tokensEqual(given, token) ? { ok: true, runId, protocol: PROTOCOL_VERSION } : { ok: true });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
  return true;
}

export class CoordinatorServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private nextPeer = 1;
  private heartbeat?: NodeJS.Timeout;
  /** Frames and connections rejected, by reason (the tests read these). */
  readonly rejected: Record<string, number> = {};

  constructor(private readonly opts: ServerOptions) {
    // an empty key would let anyone compute the proofs and pass `?token=`
    if (opts.token.length === 0) throw new Error('CoordinatorServer: the run token is empty');
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      if (healthzRequest(req, res, opts.token, opts.runId)) return;
      if (opts.httpHandler !== undefined) return opts.httpHandler(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    };
    this.http = opts.tls !== undefined ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, handler) : http.createServer(handler);
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? FRAME_BYTES.toCoordinator });
    this.http.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      // a request target such as `//[` or `//h:99999` is no URL: refuse it here, since a throw
      // inside the 'upgrade' event is uncaught and would end the coordinator before anyone authenticated
      let url: URL;
      try {
        url = new URL(req.url ?? '/', 'http://x');
      } catch {
        this.count('bad_request');
        return refuseUpgrade(socket, 400, 'Bad Request', 'bad request: the request target is not a URL\n');
      }
      if (url.pathname !== PATHS.socket) return refuseUpgrade(socket, 404, 'Not Found', `no such socket: connect to ${PATHS.socket}\n`);
      const origin = req.headers.origin;
      if (origin !== undefined && origin.toLowerCase() !== `${opts.tls !== undefined ? 'https' : 'http'}://${req.headers.host ?? ''}`.toLowerCase()) {
        this.count('bad_origin');
        return refuseUpgrade(socket, 403, 'Forbidden', `a page from ${origin} may not open this coordinator's socket\n`);
      }
      const token = url.searchParams.get('token');
      if (token !== null && !tokensEqual(token, opts.token)) {
        this.count('unauthorized');
        return refuseUpgrade(socket, 401, 'Unauthorized', 'not authorised: wrong token\n');
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, token !== null));
    });
  }

  /** Listens; resolves with the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, this.opts.host ?? DEFAULT_HOST, () => resolve());
    });
    const every = this.opts.heartbeatMs ?? HEARTBEAT_MS;
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
    return this.port;
  }

  /** The bound TCP port; throws before listen(). */
  get port(): number {
    const addr = this.http.address(); // null before listen; a string only for a pipe or socket file
    if (addr === null || typeof addr !== 'object') throw new Error(`CoordinatorServer: not listening on a TCP port (address ${String(addr)}); call listen() first`);
    return addr.port;
  }

  /** Sends to every authenticated dashboard. */
  broadcast(msg: CoordinatorMessage): void {
    let bytes: Uint8Array | undefined;
    for (const p of this.peers) {
      if (p.handshake.state === 'ready' && p.role === 'dashboard' && p.ws.readyState === WebSocket.OPEN) p.ws.send((bytes ??= packr.pack(msg)));
    }
  }

  get dashboards(): number {
    return [...this.peers].filter((p) => p.handshake.state === 'ready' && p.role === 'dashboard').length;
  }

  async close(reason = 'run ended'): Promise<void> {
    clearInterval(this.heartbeat);
    for (const p of this.peers) {
      if (p.ws.readyState === WebSocket.OPEN) p.ws.close(CLOSE.runEnded, reason);
      else p.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections?.();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + 1;
  }

  private accept(ws: WebSocket, socket: Duplex, tokenInUrl: boolean): void {
    ws.on('error', () => ws.terminate());
    const pending = [...this.peers].filter((p) => p.handshake.state !== 'ready').length;
    const peer: Peer = { id: this.nextPeer++, ws, handshake: tokenInUrl ? { state: 'proven' } : { state: 'challenged', nonce: newNonce() }, alive: true, badFrames: 0 };
    // Every byte from the peer is life (a slow upload of a big frame has no room for a pong), and
    // until its hello is accepted it may send `preAuthBytes` in all. ws has one maxPayload per
    // server and no public way to change it per connection, so the small limit is counted here,
    // on the raw socket, as the bytes arrive: the first chunk past it stops reading (ws.pause(),
    // which ws does not undo) and closes with 1009, and nothing more of the frame is buffered.
    let received = 0;
    const limit = this.opts.preAuthBytes ?? PRE_AUTH_BYTES;
    socket.on('data', (chunk: Buffer) => {
      peer.alive = true;
      if (peer.executor !== undefined) this.opts.scheduler.touch(peer.executor.id);
      if (peer.handshake.state === 'ready' || ws.isPaused) return;
      received += chunk.length;
      if (received > limit) {
        this.count('too_large_before_auth');
        ws.pause();
        ws.close(CLOSE.tooLarge, `more than ${limit} bytes before authentication`);
        setTimeout(() => ws.terminate(), 200).unref();
      }
    });
    if (pending >= (this.opts.maxPending ?? 16)) {
      this.count('too_many_pending');
      ws.close(CLOSE.tryAgainLater, `too many unauthenticated connections (${pending}); try again later`);
      setTimeout(() => ws.terminate(), 1000).unref();
      return;
    }
    this.peers.add(peer);
    const deadline = setTimeout(() => {
      if (peer.handshake.state !== 'ready') {
        this.count('hello_timeout');
        ws.close(CLOSE.helloTimeout, 'no hello');
      }
    }, this.opts.helloTimeoutMs ?? 10_000);
    ws.on('pong', () => {
      peer.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onFrame(peer, data, isBinary));
    ws.on('close', () => {
      clearTimeout(deadline);
      this.peers.delete(peer);
      if (peer.executor !== undefined) {
        const why = peer.dropped ?? 'disconnected';
        peer.executor.lost(`remote worker ${peer.executor.id} ${why}`);
        this.opts.scheduler.removeExecutor(peer.executor.id, why);
      }
    });
    if (peer.handshake.state === 'challenged') this.send(peer, { type: 'challenge', protocol: PROTOCOL_VERSION, nonce: peer.handshake.nonce });
  }

  /** Answers a bad frame with an error frame; before the hello is accepted it also closes: with CLOSE.badHello for a `badHello` (a wrong protocol version, a malformed hello), else CLOSE.unauthorized. */
  private reject(peer: Peer, code: ErrorMessage['code'], message: string, badHello = code === 'protocol_version'): void {
    this.count(code);
    this.send(peer, { type: 'error', code, message });
    if (peer.handshake.state !== 'ready') {
      peer.ws.close(badHello ? CLOSE.badHello : CLOSE.unauthorized, message.slice(0, 100));
      return;
    }
    if (++peer.badFrames > (this.opts.maxBadFrames ?? 100)) peer.ws.close(CLOSE.tooManyBadFrames, 'too many invalid frames');
  }

  private onFrame(peer: Peer, data: RawData, isBinary: boolean): void {
    if (peer.ws.isPaused) return; // closing: over the pre-authentication limit
    if (!isBinary) return this.reject(peer, 'bad_message', 'text frames are not accepted: send msgpack binary frames');
    let decoded: unknown;
    try {
      decoded = packr.unpack(rawBytes(data));
    } catch (e) {
      return this.reject(peer, 'bad_msgpack', `frame is not valid msgpack: ${errorMessage(e).split('\n')[0]}`);
    }
    const parsed = parsePeerMessage(decoded);
    if (!parsed.ok) {
      // a malformed answer to a task this worker holds fails the task (requeued elsewhere, a strike), it does not hold it forever
      const taskId = answerTaskId(decoded);
      if (peer.handshake.state === 'ready' && taskId !== undefined && peer.executor?.fail(taskId, new BadResult(parsed.reason)) === true) return this.count('bad_message');
      // a malformed hello (threads past HELLO_LIMITS, a long name) from a peer that showed the token is a bad hello, not a bad token
      const hello = peer.handshake.state === 'proven' && ownField(decoded, 'type') === 'hello';
      return this.reject(peer, 'bad_message', hello ? `malformed hello: ${parsed.reason}` : parsed.reason, hello);
    }
    const msg = parsed.message;
    if (peer.handshake.state === 'ready') return this.handle(peer, msg);
    if ((msg.type === 'auth' || msg.type === 'hello') && msg.protocol !== PROTOCOL_VERSION) {
      return this.reject(peer, 'protocol_version', `protocol version ${msg.protocol} is not supported (coordinator speaks ${PROTOCOL_VERSION})`);
    }
    const hs = peer.handshake;
    if (hs.state === 'challenged') {
      if (msg.type !== 'auth') return this.reject(peer, 'unauthorized', `answer the challenge first (got '${msg.type}')`);
      if (!proofsEqual(msg.proof, workerProof(this.opts.token, hs.nonce, msg.nonce))) return this.reject(peer, 'unauthorized', "not authorised: the proof does not match this run's token");
      peer.handshake = { state: 'proven' };
      this.send(peer, { type: 'proof', proof: coordinatorProof(this.opts.token, msg.nonce, hs.nonce) });
      return;
    }
    if (msg.type !== 'hello') return this.reject(peer, 'unauthorized', `send a hello first (got '${msg.type}')`);
    this.welcome(peer, msg);
  }

  private welcome(peer: Peer, hello: HelloMessage): void {
    peer.handshake = { state: 'ready' };
    peer.role = hello.role;
    peer.name = hello.name;
    this.send(peer, { type: 'welcome', protocol: PROTOCOL_VERSION, peerId: peer.id, runId: this.opts.runId });
    if (hello.role === 'worker') {
      // a worker that names no kinds takes every kind a remote worker may (protocol/messages.ts HelloMessage)
      const kinds = new Set<TaskKind>(hello.kinds ?? REMOTE_TASK_KINDS);
      peer.executor = new RemoteExecutor(`remote-${peer.id}-${hello.name}`, hello.threads ?? 1, kinds, (m) => this.send(peer, m), (reason) => {
        // a close reason is at most 123 bytes: ASCII, cut
        peer.ws.close(CLOSE.quarantined, `quarantined: ${reason}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 120));
        setTimeout(() => peer.ws.terminate(), 1000).unref(); // a peer that does not answer the close is cut
      });
      this.opts.log?.(`remote worker ${peer.executor.id} joined (${peer.executor.capacity} threads)`);
      this.opts.scheduler.addExecutor(peer.executor);
    } else this.opts.onDashboard?.((m) => this.send(peer, m));
  }

  private handle(peer: Peer, msg: PeerMessage): void {
    switch (msg.type) {
      case 'auth':
      case 'hello':
        return this.reject(peer, 'not_allowed', 'already said hello');
      case 'result':
      case 'task_error':
        if (peer.executor === undefined) return this.reject(peer, 'not_allowed', `a ${peer.role} cannot send ${msg.type}`);
        if (!peer.executor.settle(msg)) this.reject(peer, 'unknown_task', `task ${msg.taskId} is not held by this worker`);
        return;
      case 'refused':
        if (peer.executor === undefined) return this.reject(peer, 'not_allowed', `a ${peer.role} cannot send ${msg.type}`);
        return this.refused(peer, peer.executor, msg);
      case 'control':
        if (peer.role !== 'dashboard') return this.reject(peer, 'not_allowed', 'only dashboards send control messages');
        this.opts.onControl?.(msg.action);
        return;
    }
  }

  /** A worker will not run this run's tasks: it leaves the scheduler (its tasks go to others) with the reason, and is closed. */
  private refused(peer: Peer, executor: RemoteExecutor, msg: RefusedMessage): void {
    const reason = `refused task ${msg.taskId} (${msg.code}): ${msg.message}`;
    this.opts.log?.(`remote worker ${executor.id} ${reason}`);
    this.opts.scheduler.removeExecutor(executor.id, reason);
    executor.lost(reason);
    peer.ws.close(CLOSE.codeRefused, msg.code);
  }

  private send(peer: Peer, msg: CoordinatorMessage): void {
    if (peer.ws.readyState === WebSocket.OPEN) peer.ws.send(packr.pack(msg));
  }

  private beat(): void {
    for (const p of this.peers) {
      if (!p.alive) {
        p.dropped = `sent nothing for a heartbeat period (${this.opts.heartbeatMs ?? HEARTBEAT_MS} ms): no answer to the ping`;
        p.ws.terminate();
        continue;
      }
      p.alive = false;
      p.ws.ping();
    }
  }
}

/** Answers an upgrade request with an HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, statusText: string, body: string): void {
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** The task id of a frame that claims to answer a task (a result or task_error), if it has one. */
function answerTaskId(v: unknown): number | undefined {
  if (typeof v !== 'object' || v === null || !('type' in v) || !('taskId' in v)) return undefined;
  return (v.type === 'result' || v.type === 'task_error') && typeof v.taskId === 'number' ? v.taskId : undefined;
}

/** A remote worker as a scheduler executor: tasks go out as frames, results come back by task id. */
export class RemoteExecutor implements Executor {
  readonly kind = 'remote';
  private readonly waiting = new Map<number, { resolve: (r: TaskResult) => void; reject: (e: Error) => void }>();
  private readonly modulesSent = new Set<string>();

  constructor(
    readonly id: string,
    readonly capacity: number,
    readonly kinds: ReadonlySet<TaskKind>,
    private readonly sendFrame: (m: CoordinatorMessage) => void,
    private readonly drop: (reason: string) => void = () => undefined,
  ) {}

  run(taskId: number, task: Task): Promise<TaskResult> {
    return new Promise((resolve, reject) => {
      this.waiting.set(taskId, { resolve, reject });
      let out = task;
      const mod = 'env' in task ? task.env.module : undefined;
      if (mod !== undefined && 'env' in task && !this.modulesSent.has(mod.hash)) {
        out = shipSource(task, withSource(mod));
        this.modulesSent.add(mod.hash);
      }
      this.sendFrame({ type: 'task', taskId, task: withoutOutDir(out) });
    });
  }

  /** A result or task error arrived; false if this worker holds no such task. */
  settle(msg: { type: 'result'; taskId: number; result: TaskResult } | { type: 'task_error'; taskId: number; message: string }): boolean {
    const w = this.waiting.get(msg.taskId);
    if (w === undefined) return false;
    this.waiting.delete(msg.taskId);
    if (msg.type === 'result') w.resolve(msg.result);
    else w.reject(new Error(msg.message));
    return true;
  }

  /** Fails a task this worker holds (its answer was malformed); false if it holds no such task. */
  fail(taskId: number, error: Error): boolean {
    const w = this.waiting.get(taskId);
    if (w === undefined) return false;
    this.waiting.delete(taskId);
    w.reject(error);
    return true;
  }

  refuse(taskId: number, code: TaskFaultCode, message: string): void {
    this.sendFrame({ type: 'error', code, message, taskId });
  }

  quarantine(reason: string): void {
    this.drop(reason);
  }

  lost(reason: string): void {
    for (const w of this.waiting.values()) w.reject(new ExecutorLost(reason));
    this.waiting.clear();
  }

  async close(): Promise<void> {
    this.lost('closed');
  }
}
