/**
 * One-shot HTTP requests over loopback TCP: readiness polls and the ACL
 * self-check. Each request uses its own connection, closed afterwards.
 *
 * @module
 */

import { freePort } from "../tests/support/free_port.ts";
import { requestStatus } from "../tests/support/ping.ts";

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
export function probeStatus(
  addr: string,
  method: string,
  target: string,
  timeoutMs = 2_000,
): Promise<number | undefined> {
  return requestStatus(splitAddr(addr), method, target, timeoutMs);
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

export { freePort };
