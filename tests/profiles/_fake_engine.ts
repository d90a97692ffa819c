/**
 * A stand-in for the engine on a Unix socket: it answers every request
 * with 200 and a small JSON body, and keeps the request heads it saw, so a
 * test can check what dockgate forwards.
 *
 * @module
 */

import type { Engine } from "../support/engine.ts";

/** A running fake engine. */
export interface FakeEngine extends Engine {
  /** Every request head received, as text. */
  readonly heads: string[];
}

const ANSWER = "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\n" +
  "Content-Type: application/json\r\nContent-Length: 3\r\n\r\n[]\n";

async function serve(conn: Deno.Conn, heads: string[]): Promise<void> {
  const buffer = new Uint8Array(65536);
  let pending = "";
  try {
    while (true) {
      const count = await conn.read(buffer);
      if (count === null) return;
      pending += new TextDecoder().decode(buffer.subarray(0, count));
      let end = pending.indexOf("\r\n\r\n");
      while (end >= 0) {
        const head = pending.slice(0, end);
        heads.push(head);
        const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
        pending = pending.slice(end + 4 + Number(length ?? 0));
        await conn.write(new TextEncoder().encode(ANSWER));
        end = pending.indexOf("\r\n\r\n");
      }
    }
  } catch {
    // The client went away.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

/** Starts a fake engine in a new temp dir. */
export async function startFakeEngine(): Promise<FakeEngine> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgf-" });
  const socketPath = `${dir}/engine.sock`;
  const listener = Deno.listen({ transport: "unix", path: socketPath });
  const heads: string[] = [];
  const conns = new Set<Deno.Conn>();
  void (async () => {
    try {
      for await (const conn of listener) {
        conns.add(conn);
        void serve(conn, heads).finally(() => conns.delete(conn));
      }
    } catch {
      // Closed by stop().
    }
  })();
  let stopped = false;
  return {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    heads,
    logs: () => "",
    async stop() {
      if (stopped) return;
      stopped = true;
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await Deno.remove(dir, { recursive: true }).catch(() => undefined);
    },
  };
}
