/**
 * The coordinator's network face: one `http.Server` with a `ws` WebSocketServer on it (the
 * dashboard's page is served from the same port). Every peer authenticates with the run's token —
 * in the URL (`?token=`) or in its hello — and speaks msgpack frames of protocol.ts's union.
 *
 * Defences: `maxPayload` (oversized frames close with 1009), msgpack decoding and schema
 * validation of every frame (an error frame names the problem; the connection survives bad
 * frames from an authenticated peer up to a limit), nothing but a hello before authentication
 * (else close 4401), a hello deadline, protocol version check, ping/pong heartbeats that
 * `terminate()` dead peers. Remote workers become scheduler executors; a malformed answer to a
 * task a worker holds fails that task at once (the scheduler requeues it and counts a strike), and
 * a quarantined worker is closed with 4403 and the reason.
 */
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { packr } from '../core/tensors.js';
import { withSource } from '../workers/envModules.js';
import type { Task, TaskKind, TaskResult } from '../workers/tasks.js';
import { BadResult, ExecutorLost, type Executor, type RefusalCode, type Scheduler } from './scheduler.js';
import { CLOSE, PROTOCOL_VERSION, parsePeerMessage, type CoordinatorMessage, type ErrorMessage, type HelloMessage, type PeerMessage } from './protocol.js';

export interface ServerOptions {
  token: string;
  runId: string;
  port?: number;
  host?: string;
  /** Largest accepted frame in bytes (default 64 MiB: a rollout of a big vector env fits). */
  maxPayload?: number;
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

interface Peer {
  id: number;
  ws: WebSocket;
  authed: boolean;
  role?: HelloMessage['role'];
  name?: string;
  alive: boolean;
  badFrames: number;
  executor?: RemoteExecutor;
}

export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class CoordinatorServer {
  readonly http: http.Server;
  private readonly wss: WebSocketServer;
  private readonly peers = new Set<Peer>();
  private nextPeer = 1;
  private heartbeat?: NodeJS.Timeout;
  /** Frames rejected, by reason (the fuzz test reads these). */
  readonly rejected: Record<string, number> = {};

  constructor(private readonly opts: ServerOptions) {
    this.http = http.createServer((req, res) => {
      if (req.url?.startsWith('/healthz')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, runId: opts.runId, protocol: PROTOCOL_VERSION }));
        return;
      }
      if (opts.httpHandler !== undefined) return opts.httpHandler(req, res);
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    });
    this.wss = new WebSocketServer({ noServer: true, maxPayload: opts.maxPayload ?? 64 * 1024 * 1024 });
    this.http.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname !== '/ws') {
        socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
        return;
      }
      const token = url.searchParams.get('token');
      if (token !== null && !tokensEqual(token, opts.token)) {
        this.count('unauthorized');
        socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nnot authorised: wrong token\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, token !== null));
    });
  }

  /** Listens; resolves with the bound port. */
  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve());
    });
    const every = this.opts.heartbeatMs ?? 5000;
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
    return (this.http.address() as { port: number }).port;
  }

  get port(): number {
    return (this.http.address() as { port: number }).port;
  }

  /** Sends to every authenticated dashboard. */
  broadcast(msg: CoordinatorMessage): void {
    let bytes: Uint8Array | undefined;
    for (const p of this.peers) {
      if (p.authed && p.role === 'dashboard' && p.ws.readyState === WebSocket.OPEN) p.ws.send((bytes ??= packr.pack(msg)));
    }
  }

  get dashboards(): number {
    return [...this.peers].filter((p) => p.authed && p.role === 'dashboard').length;
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

  private accept(ws: WebSocket, tokenInUrl: boolean): void {
    const peer: Peer = { id: this.nextPeer++, ws, authed: false, alive: true, badFrames: 0 };
    ws.on('error', () => ws.terminate());
    this.peers.add(peer);
    const deadline = setTimeout(() => {
      if (!peer.authed) {
        this.count('hello_timeout');
        ws.close(CLOSE.helloTimeout, 'no hello');
      }
    }, this.opts.helloTimeoutMs ?? 10_000);
    ws.on('pong', () => {
      peer.alive = true;
      if (peer.executor !== undefined) this.opts.scheduler.touch(peer.executor.id);
    });
    ws.on('message', (data, isBinary) => this.onFrame(peer, data, isBinary, tokenInUrl));
    ws.on('close', () => {
      clearTimeout(deadline);
      this.peers.delete(peer);
      if (peer.executor !== undefined) {
        peer.executor.lost(`remote worker ${peer.executor.id} disconnected`);
        this.opts.scheduler.removeExecutor(peer.executor.id, 'disconnected');
      }
    });
  }

  private reject(peer: Peer, code: ErrorMessage['code'], message: string): void {
    this.count(code);
    this.send(peer, { type: 'error', code, message });
    if (!peer.authed) {
      peer.ws.close(code === 'protocol_version' ? CLOSE.badHello : CLOSE.unauthorized, message.slice(0, 100));
      return;
    }
    if (++peer.badFrames > (this.opts.maxBadFrames ?? 100)) peer.ws.close(1008, 'too many invalid frames');
  }

  private onFrame(peer: Peer, data: RawData, isBinary: boolean, tokenInUrl: boolean): void {
    if (!isBinary) return this.reject(peer, 'bad_message', 'text frames are not accepted: send msgpack binary frames');
    let decoded: unknown;
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      decoded = packr.unpack(buf);
    } catch (e) {
      return this.reject(peer, 'bad_msgpack', `frame is not valid msgpack: ${(e as Error).message.split('\n')[0]}`);
    }
    const parsed = parsePeerMessage(decoded);
    if (!parsed.ok) {
      // a malformed answer to a task this worker holds fails the task (requeued elsewhere, a strike), it does not hold it forever
      const taskId = answerTaskId(decoded);
      if (peer.authed && taskId !== undefined && peer.executor?.fail(taskId, new BadResult(parsed.reason)) === true) return this.count('bad_message');
      return this.reject(peer, 'bad_message', parsed.reason);
    }
    const msg = parsed.message;
    if (!peer.authed) {
      if (msg.type !== 'hello') return this.reject(peer, 'unauthorized', `send a hello with the run token first (got '${msg.type}')`);
      if (msg.protocol !== PROTOCOL_VERSION) return this.reject(peer, 'protocol_version', `protocol version ${msg.protocol} is not supported (coordinator speaks ${PROTOCOL_VERSION})`);
      if (!tokensEqual(msg.token, this.opts.token)) return this.reject(peer, 'unauthorized', 'not authorised: wrong token');
      return this.welcome(peer, msg);
    }
    this.handle(peer, msg, tokenInUrl);
  }

  private welcome(peer: Peer, hello: HelloMessage): void {
    peer.authed = true;
    peer.role = hello.role;
    peer.name = hello.name;
    this.send(peer, { type: 'welcome', protocol: PROTOCOL_VERSION, peerId: peer.id, runId: this.opts.runId });
    if (hello.role === 'worker') {
      const kinds = new Set<TaskKind>(hello.kinds ?? ['rollout', 'trial']);
      peer.executor = new RemoteExecutor(`remote-${peer.id}-${hello.name}`, hello.threads ?? 1, kinds, (m) => this.send(peer, m), (reason) => {
        // a close reason is at most 123 bytes: ASCII, cut
        peer.ws.close(CLOSE.quarantined, `quarantined: ${reason}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 120));
        setTimeout(() => peer.ws.terminate(), 1000).unref(); // a peer that does not answer the close is cut
      });
      this.opts.log?.(`remote worker ${peer.executor.id} joined (${peer.executor.capacity} threads)`);
      this.opts.scheduler.addExecutor(peer.executor);
    } else this.opts.onDashboard?.((m) => this.send(peer, m));
  }

  private handle(peer: Peer, msg: PeerMessage, _tokenInUrl: boolean): void {
    switch (msg.type) {
      case 'hello':
        return this.reject(peer, 'not_allowed', 'already said hello');
      case 'result':
      case 'task_error':
        if (peer.executor === undefined) return this.reject(peer, 'not_allowed', `a ${peer.role} cannot send ${msg.type}`);
        if (!peer.executor.settle(msg)) this.reject(peer, 'unknown_task', `task ${msg.taskId} is not held by this worker`);
        return;
      case 'control':
        if (peer.role !== 'dashboard') return this.reject(peer, 'not_allowed', 'only dashboards send control messages');
        this.opts.onControl?.(msg.action);
        return;
    }
  }

  private send(peer: Peer, msg: CoordinatorMessage): void {
    if (peer.ws.readyState === WebSocket.OPEN) peer.ws.send(packr.pack(msg));
  }

  private beat(): void {
    for (const p of this.peers) {
      if (!p.alive) {
        p.ws.terminate();
        continue;
      }
      p.alive = false;
      p.ws.ping();
    }
  }
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
        out = { ...task, env: { ...task.env, module: withSource(mod) } } as Task;
        this.modulesSent.add(mod.hash);
      }
      this.sendFrame({ type: 'task', taskId, task: out });
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

  refuse(taskId: number, code: RefusalCode, message: string): void {
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
