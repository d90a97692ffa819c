/**
 * Picks a TCP port for a listener a test starts.
 *
 * @module
 */

/** A port on `hostname` (default 127.0.0.1) that was free a moment ago. */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
