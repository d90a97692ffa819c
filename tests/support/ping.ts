/**
 * Readiness probes and one-shot status requests, for the engine, dockgate
 * and the benchmark's targets.
 *
 * @module
 */

const STATUS_LINE_REGEXP = /^HTTP\/1\.[01] (\d{3}) /;

/**
 * Sends one request with `Connection: close` on a fresh connection and
 * resolves with the answer's status code, or `undefined` when nothing valid
 * answered within `timeoutMs` (not listening yet, refused, closed early,
 * garbage).
 */
export async function requestStatus(
  address: Deno.ConnectOptions | Deno.UnixConnectOptions,
  method: string,
  target: string,
  timeoutMs = 2_000,
): Promise<number | undefined> {
  let connection: Deno.Conn | undefined;
  const timer = setTimeout(() => connection?.close(), timeoutMs);
  try {
    connection = "path" in address
      ? await Deno.connect(address)
      : await Deno.connect(address);
    const request = `${method} ${target} HTTP/1.1\r\nHost: localhost\r\n` +
      "Content-Length: 0\r\nConnection: close\r\n\r\n";
    await connection.write(new TextEncoder().encode(request));
    const buffer = new Uint8Array(512);
    let received = "";
    while (!received.includes("\r\n")) {
      const count = await connection.read(buffer);
      if (count === null) break;
      received += new TextDecoder().decode(buffer.subarray(0, count));
    }
    const match = STATUS_LINE_REGEXP.exec(received);
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    // Not listening yet, or the deadline closed the connection.
    return undefined;
  } finally {
    clearTimeout(timer);
    try {
      connection?.close();
    } catch {
      // Already closed by the deadline.
    }
  }
}

/**
 * Sends `GET /_ping` to the HTTP server on the Unix socket `path` and
 * resolves with the status code, or `undefined` when nothing answered in
 * `timeoutMs`.
 */
export function pingSocket(
  path: string,
  timeoutMs = 2_000,
): Promise<number | undefined> {
  return requestStatus({ transport: "unix", path }, "GET", "/_ping", timeoutMs);
}

/**
 * Polls {@linkcode pingSocket} until it answers 200, `stopped` resolves
 * (the server died) or `timeoutMs` runs out. Throws in the last two cases.
 */
export async function waitForPing(
  path: string,
  options: { timeoutMs: number; stopped?: Promise<unknown>; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let exited = false;
  void options.stopped?.then(() => exited = true);
  let last: number | undefined;
  while (Date.now() < deadline) {
    if (exited) {
      throw new Error(`${options.what} exited before it answered _ping`);
    }
    last = await pingSocket(path);
    if (last === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `${options.what} did not answer _ping with 200 within ` +
      `${options.timeoutMs} ms: last answer ${last ?? "none"}`,
  );
}
