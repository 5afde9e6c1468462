/**
 * A test peer on a real socket: connects to a coordinator, authenticates (a worker answers the
 * challenge and checks the coordinator's proof; a dashboard shows the token in its URL, as the page
 * does), says hello, and records every frame and the close. And the other side: a coordinator
 * played by a test (`serveAsCoordinator`), for a real remote worker. The one place the tests speak
 * the handshake right (a change of the handshake is made here only; coordinator.auth.test.ts
 * scripts coordinators that get it wrong).
 */
import { once } from 'node:events';
import { WebSocket, WebSocketServer } from 'ws';
import { coordinatorProof, newNonce, proofsEqual, workerProof } from '../protocol/auth.js';
import { packr } from '../core/tensors.js';
import { PROTOCOL_VERSION } from '../protocol/constants.js';
import { parsePeerMessage, type CoordinatorMessage, type ErrorMessage, type PeerMessage, type Role } from '../protocol/messages.js';
import type { TaskKind } from '../protocol/tasks.js';
import { boundPort } from './net.js';

export interface TestPeer {
  ws: WebSocket;
  /** Every frame received, in order. */
  received: CoordinatorMessage[];
  /** The error frames among them. */
  errors(): ErrorMessage[];
  send(m: PeerMessage): void;
  /** Resolves when the coordinator welcomed this peer. */
  welcomed: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
  /** Called for every frame as it arrives (after it is recorded). */
  onMessage?: (m: CoordinatorMessage) => void;
}

/** `url`: the coordinator's socket, e.g. ws://127.0.0.1:PORT/ws. */
export function connectPeer(url: string, token: string, opts: { role?: Role; name?: string; threads?: number; kinds?: TaskKind[] } = {}): TestPeer {
  const role = opts.role ?? 'worker';
  const ws = new WebSocket(role === 'dashboard' ? `${url}?token=${encodeURIComponent(token)}` : url);
  const received: CoordinatorMessage[] = [];
  let welcome!: () => void;
  const peer: TestPeer = {
    ws,
    received,
    errors: () => received.filter((m): m is ErrorMessage => m.type === 'error'),
    send: (m) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(packr.pack(m));
    },
    welcomed: new Promise<void>((resolve) => (welcome = resolve)),
    closed: new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))),
  };
  ws.on('error', () => undefined);
  const hello = () => peer.send({ type: 'hello', protocol: PROTOCOL_VERSION, role, name: opts.name ?? 'test-peer', ...(opts.threads !== undefined ? { threads: opts.threads } : {}), ...(opts.kinds !== undefined ? { kinds: opts.kinds } : {}) });
  if (role === 'dashboard') ws.on('open', hello);
  let challenge: { coordinator: Uint8Array; mine: Uint8Array } | undefined;
  ws.on('message', (data: Buffer) => {
    const m = packr.unpack(data) as CoordinatorMessage;
    received.push(m);
    if (m.type === 'challenge') {
      challenge = { coordinator: m.nonce, mine: newNonce() };
      peer.send({ type: 'auth', protocol: PROTOCOL_VERSION, nonce: challenge.mine, proof: workerProof(token, challenge.coordinator, challenge.mine) });
    } else if (m.type === 'proof') {
      if (challenge === undefined || !proofsEqual(m.proof, coordinatorProof(token, challenge.mine, challenge.coordinator))) ws.close();
      else hello();
    }
    if (m.type === 'welcome') welcome();
    peer.onMessage?.(m);
  });
  return peer;
}

/** A remote worker's connection, as the coordinator played by a test holds it. */
export interface WorkerConnection {
  ws: WebSocket;
  /** Every valid frame from the worker, in order (the handshake's included). */
  received: PeerMessage[];
  /** Why each invalid frame from the worker was (there should be none). */
  invalid: string[];
  /** Sends a message packed, or raw bytes or text as they are (garbage is the point of some tests). */
  send(m: CoordinatorMessage | Record<string, unknown> | unknown[] | Uint8Array | string): void;
}

export interface TestCoordinator {
  /** ws://127.0.0.1:PORT */
  url: string;
  /** The first worker that proved the token and said hello (it has been welcomed). */
  worker: Promise<WorkerConnection>;
  close(): Promise<void>;
}

/**
 * A coordinator played by a test, on a real socket: to each worker that connects it sends a
 * challenge, checks the worker's proof (else closes), proves the token in turn, and welcomes the
 * hello; from then on the test says what it likes.
 */
export async function serveAsCoordinator(token: string, runId = 'test-run'): Promise<TestCoordinator> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  let first!: (w: WorkerConnection) => void;
  const worker = new Promise<WorkerConnection>((resolve) => (first = resolve));
  wss.on('connection', (ws) => {
    ws.on('error', () => undefined);
    const nonceC = newNonce();
    const conn: WorkerConnection = {
      ws,
      received: [],
      invalid: [],
      send: (m) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(typeof m === 'string' || m instanceof Uint8Array ? m : packr.pack(m));
      },
    };
    ws.on('message', (data: Buffer) => {
      const parsed = parsePeerMessage(packr.unpack(data));
      if (!parsed.ok) return void conn.invalid.push(parsed.reason);
      const m = parsed.message;
      conn.received.push(m);
      if (m.type === 'auth') {
        if (!proofsEqual(m.proof, workerProof(token, nonceC, m.nonce))) return ws.close();
        conn.send({ type: 'proof', proof: coordinatorProof(token, m.nonce, nonceC) });
      } else if (m.type === 'hello') {
        conn.send({ type: 'welcome', protocol: PROTOCOL_VERSION, peerId: 1, runId });
        first(conn);
      }
    });
    conn.send({ type: 'challenge', protocol: PROTOCOL_VERSION, nonce: nonceC });
  });
  return {
    url: `ws://127.0.0.1:${boundPort(wss)}`,
    worker,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
