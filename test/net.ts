/**
 * Ports on loopback, for tests and benchmarks that start servers of their own (a redis-server, a
 * scripted coordinator). No test set-up (test/helpers.ts's exit checks), so bench/queue.ts imports it too.
 */
import net from 'node:net';

/** The TCP port `server` listens on; throws before listen() (address() is null) or for a pipe (a string). */
export function boundPort(server: { address(): net.AddressInfo | string | null }): number {
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') throw new Error(`not listening on a TCP port (address ${String(addr)}); listen() first`);
  return addr.port;
}

/** A TCP port free on 127.0.0.1 just now (the OS's choice), for a server that cannot listen on port 0 itself. */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = boundPort(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
