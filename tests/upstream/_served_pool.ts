/**
 * An engine pool in front of a stand-in engine: a Deno HTTP server on a
 * Unix socket of its own, for tests of the calls policy makes itself.
 *
 * @module
 */

import { EnginePool } from "../../src/upstream/engine_pool.ts";

/**
 * Serves `handler` on a new socket under /tmp, runs `fn` with a pool to it,
 * then closes the pool and the server and removes the socket's dir.
 */
export async function withServedPool(
  handler: (request: Request) => Response | Promise<Response>,
  fn: (pool: EnginePool) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgf-" });
  const path = `${dir}/engine.sock`;
  const server = Deno.serve({ path, onListen() {} }, handler);
  const pool = new EnginePool({ kind: "unix", path });
  try {
    await fn(pool);
  } finally {
    pool.closeAll();
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
}
