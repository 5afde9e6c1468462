/**
 * The bytes of a binary WebSocket frame as `ws` hands them over, for the one msgpack decoder of
 * both ends of the socket (coordinator/server.ts and workers/remote.ts). `ws` gives a message as a
 * Buffer (its default binaryType, 'nodebuffer'), but its type `RawData` also admits an ArrayBuffer
 * ('arraybuffer') and a list of fragments ('fragments'): each is turned into one Buffer here rather
 * than assumed away with a cast. Node only (Buffer); the page never imports it.
 */
import type { RawData } from 'ws';

/** One Buffer of a frame's bytes (the same Buffer when it already is one; no copy of an ArrayBuffer). */
export function rawBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
