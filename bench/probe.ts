/**
 * One-shot HTTP requests over loopback TCP: readiness polls and the ACL
 * self-check. Each request uses its own connection, closed afterwards.
 *
 * @module
 */

const STATUS_LINE_REGEXP = /^HTTP\/1\.[01] (\d{3}) /;
const ENCODER = new TextEncoder();

/** Splits `host:port`. */
export function splitAddr(addr: string): { hostname: string; port: number } {
  const colon = addr.lastIndexOf(":");
  return {
    hostname: addr.slice(0, colon),
    port: Number(addr.slice(colon + 1)),
  };
}

/**
 * Sends `method target` to `addr` and resolves with the status code, or
 * `undefined` when nothing valid answered within `timeoutMs`.
 */
export async function probeStatus(
  addr: string,
  method: string,
  target: string,
  timeoutMs = 2_000,
): Promise<number | undefined> {
  let conn: Deno.TcpConn | undefined;
  const timer = setTimeout(() => conn?.close(), timeoutMs);
  try {
    conn = await Deno.connect(splitAddr(addr));
    const request = `${method} ${target} HTTP/1.1\r\nHost: bench\r\n` +
      "Content-Length: 0\r\nConnection: close\r\n\r\n";
    await conn.write(ENCODER.encode(request));
    const buffer = new Uint8Array(256);
    let received = "";
    while (!received.includes("\r\n")) {
      const count = await conn.read(buffer);
      if (count === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, count));
    }
    const match = STATUS_LINE_REGEXP.exec(received);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    // Not listening yet, reset, or closed by the deadline.
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // Already closed by the deadline.
    }
  }
}

/**
 * Polls `GET /_ping` on `addr` every `intervalMs` until it answers 200 and
 * resolves with the milliseconds waited. Throws when `stopped` resolves
 * first (the server died) or `timeoutMs` runs out.
 */
export async function waitForTcpPing(
  addr: string,
  options: {
    timeoutMs: number;
    stopped: Promise<unknown>;
    what: string;
    intervalMs?: number;
  },
): Promise<number> {
  const startedAt = performance.now();
  const deadline = startedAt + options.timeoutMs;
  let exited = false;
  void options.stopped.then(() => exited = true);
  let last: number | undefined;
  while (performance.now() < deadline) {
    if (exited) throw new Error(`${options.what} exited before it answered`);
    last = await probeStatus(addr, "GET", "/_ping", 1_000);
    if (last === 200) return performance.now() - startedAt;
    await new Promise((resolve) =>
      setTimeout(resolve, options.intervalMs ?? 5)
    );
  }
  throw new Error(
    `${options.what} did not answer GET /_ping on ${addr} within ` +
      `${options.timeoutMs} ms: last status ${last ?? "none"}`,
  );
}

/** A free loopback TCP port (bound and released; fine on a private box). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
