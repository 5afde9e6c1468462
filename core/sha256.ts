/**
 * The one SHA-256 of the repo: of a string (its UTF-8 bytes) or bytes, as 64 lowercase hex digits
 * (what protocol/tasks.ts SHA256_HEX accepts). A shipped env module's identity and its checks
 * (workers/envModules.ts), the cached MNIST classifier's weights check (generative/lenet.ts) and a
 * queue-backed sweep's id (drivers/queue.ts). In core/, not base/, because base/ loads no `node:`
 * built-in; no tfjs, so a rollout thread may use it.
 */
import { createHash } from 'node:crypto';

/** SHA-256 of `data` in hex. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
