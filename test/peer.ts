/**
 * A test peer on a real socket: connects to a coordinator, authenticates (a worker answers the
 * challenge and checks the coordinator's proof; a dashboard shows the token in its URL, as the page
 * does), says hello, and records every frame and the close. The one place the tests speak the
 * handshake (a change of the handshake is made here only).
 */
import { WebSocket } from 'ws';
import { coordinatorProof, newNonce, proofsEqual, workerProof } from '../protocol/auth.js';
import { packr } from '../core/tensors.js';
import { PROTOCOL_VERSION, type CoordinatorMessage, type ErrorMessage, type PeerMessage, type Role } from '../protocol/messages.js';
import type { TaskKind } from '../protocol/tasks.js';

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
