/**
 * The run token, handled so it never travels: constant-time comparison, fresh nonces, and the two
 * HMAC-SHA256 proofs of the mutual challenge–response between a remote worker and the coordinator
 * (protocol/messages.ts, docs/security.md). Where the token comes from (flags, a token file,
 * `NNLAB_TOKEN`) is workers/runToken.ts's, not the contract's.
 *
 * Each proof is keyed with the token and covers both fresh nonces, with a label per direction
 * ("nnlab worker" / "nnlab coordinator") and the nonces in opposite order, so a proof seen in one
 * direction can never be reflected back as the other.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { NONCE_BYTES } from './messages.js';

/** Constant-time string comparison (lengths may differ: then false). */
export function tokensEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Constant-time comparison of two proofs. */
export function proofsEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

function hmac(token: string, label: string, first: Uint8Array, second: Uint8Array): Uint8Array {
  const h = createHmac('sha256', token);
  h.update(label);
  h.update(Uint8Array.of(0));
  h.update(first);
  h.update(second);
  return new Uint8Array(h.digest());
}

/** What a worker sends: HMAC(token, "nnlab worker" ‖ 0 ‖ nonce_c ‖ nonce_w). */
export function workerProof(token: string, nonceC: Uint8Array, nonceW: Uint8Array): Uint8Array {
  return hmac(token, 'nnlab worker', nonceC, nonceW);
}

/** What the coordinator answers: HMAC(token, "nnlab coordinator" ‖ 0 ‖ nonce_w ‖ nonce_c). */
export function coordinatorProof(token: string, nonceW: Uint8Array, nonceC: Uint8Array): Uint8Array {
  return hmac(token, 'nnlab coordinator', nonceW, nonceC);
}
