/**
 * The admin listener: `GET /healthz` (dockgate answers and the engine
 * answers its `_ping`) and `GET /metrics` (Prometheus text). It is plain
 * HTTP on its own TCP address, off by default and on loopback by default,
 * and it never forwards anything to the engine but a `_ping`.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { parseListenAddr } from "../listener/listen.ts";
import { exchangeWithEngine } from "../upstream/engine_exchange.ts";
import type { EnginePool } from "../upstream/engine_pool.ts";
import type { Metrics } from "./metrics.ts";

/** Options of {@linkcode startAdminServer}. */
export interface AdminOptions {
  /** TCP `host:port`; port 0 picks a free one. */
  addr: string;
  metrics: Metrics;
  pool: EnginePool;
  /** Time the engine gets to answer `_ping`. Default: 2000 ms. */
  pingTimeoutMs?: number;
}

/** A running admin listener. */
export interface AdminServer {
  /** `http://host:port` it listens on. */
  readonly endpoint: string;
  shutdown(): Promise<void>;
}

const DEFAULT_PING_TIMEOUT_MS = 2_000;
const logger = getLogger(["dockgate", "admin"]);

/** Asks the engine for `_ping`; resolves with null when it answered 200. */
export async function pingEngine(
  pool: EnginePool,
  timeoutMs: number,
): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(
      () => resolve(`no answer within ${timeoutMs} ms`),
      timeoutMs,
    );
  });
  const ping = (async () => {
    const response = await exchangeWithEngine(pool, {
      method: "GET",
      target: "/_ping",
      headers: [],
      body: { kind: "none" },
    }, { dedicated: true });
    try {
      for await (const _ of response.body()) {
        // Drained so the connection closes cleanly.
      }
    } finally {
      response.abort();
    }
    const status = response.head.status;
    return status === 200 ? null : `engine answered ${status}`;
  })().catch((error) => error instanceof Error ? error.message : String(error));
  try {
    return await Promise.race([ping, late]);
  } finally {
    clearTimeout(timer);
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/**
 * Starts the admin listener.
 *
 * @throws {Deno.errors.AddrInUse} and the like when it cannot listen
 */
export function startAdminServer(options: AdminOptions): AdminServer {
  const { hostname, port } = parseListenAddr(options.addr);
  const timeoutMs = options.pingTimeoutMs ?? DEFAULT_PING_TIMEOUT_MS;
  const server = Deno.serve({
    hostname,
    port,
    onListen: () => {},
  }, async (request) => {
    const { pathname } = new URL(request.url);
    if (request.method !== "GET" && request.method !== "HEAD") {
      return json(405, { message: "only GET is served" });
    }
    if (pathname === "/healthz") {
      const problem = await pingEngine(options.pool, timeoutMs);
      if (problem !== null) {
        logger.warn("Health check failed: {problem}", { problem });
        return json(503, { status: "unavailable", engine: problem });
      }
      return json(200, { status: "ok", engine: "reachable" });
    }
    if (pathname === "/metrics") {
      return new Response(options.metrics.render(), {
        headers: { "Content-Type": "text/plain; version=0.0.4" },
      });
    }
    return json(404, { message: `not found: ${pathname}` });
  });
  const bound = server.addr as Deno.NetAddr;
  const host = bound.hostname.includes(":")
    ? `[${bound.hostname}]`
    : bound.hostname;
  return {
    endpoint: `http://${host}:${bound.port}`,
    shutdown: () => server.shutdown(),
  };
}
