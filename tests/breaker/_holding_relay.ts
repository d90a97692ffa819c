/**
 * A byte relay between dockgate and the engine that can hold one request
 * on its way to the engine. Holding the request dockgate has already
 * judged, while the test changes the engine's state, turns a race between
 * the check and the engine's action into a deterministic test.
 *
 * @module
 */

const DECODER = new TextDecoder("latin1");

/** A running relay. */
export interface HoldingRelay {
  /** The relay's socket: give it to dockgate as DOCKER_SOCKET. */
  readonly socketPath: string;
  /** Resolves with the held request's first line once it arrives. */
  readonly held: Promise<string>;
  /** Lets the held request through to the engine. */
  release(): void;
  /** Stops listening and closes every relayed connection. */
  close(): Promise<void>;
}

/**
 * Starts a relay to the engine socket `enginePath`. The first request
 * whose first line matches `hold` is kept back until `release()`.
 */
export async function startHoldingRelay(
  enginePath: string,
  hold: RegExp,
): Promise<HoldingRelay> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgr-" });
  const socketPath = `${dir}/relay.sock`;
  const listener = Deno.listen({ transport: "unix", path: socketPath });
  const conns = new Set<Deno.Conn>();
  let markHeld: (line: string) => void = () => {};
  const held = new Promise<string>((resolve) => markHeld = resolve);
  let release: () => void = () => {};
  const released = new Promise<void>((resolve) => release = resolve);
  let holding = true;

  async function pipe(
    from: Deno.Conn,
    to: Deno.Conn,
    inspect: boolean,
  ): Promise<void> {
    const buffer = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const count = await from.read(buffer);
        if (count === null) break;
        const chunk = buffer.slice(0, count);
        if (inspect && holding) {
          const line = DECODER.decode(chunk).split("\r\n", 1)[0] ?? "";
          if (hold.test(line)) {
            holding = false;
            markHeld(line);
            await released;
          }
        }
        let written = 0;
        while (written < chunk.length) {
          written += await to.write(chunk.subarray(written));
        }
      }
    } catch {
      // One side went away; the finally below closes the other.
    } finally {
      for (const conn of [from, to]) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
        conns.delete(conn);
      }
    }
  }

  const accepting = (async () => {
    for await (const client of listener) {
      const engine = await Deno.connect({
        transport: "unix",
        path: enginePath,
      });
      conns.add(client);
      conns.add(engine);
      void pipe(client, engine, true);
      void pipe(engine, client, false);
    }
  })().catch(() => {});

  return {
    socketPath,
    held,
    release: () => release(),
    async close() {
      release();
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      }
      await accepting;
      await Deno.remove(dir, { recursive: true });
    },
  };
}
