/**
 * dockgate's listener and app run in this process, in front of a fake
 * engine, for tests that need to control exactly what the engine answers.
 *
 * @module
 */

import { createApp } from "../../src/app/create_app.ts";
import type { Exchange } from "../../src/app/exchange.ts";
import type { ConnectionLimits } from "../../src/listener/connection.ts";
import { ProxyServer } from "../../src/listener/listen.ts";
import { deny } from "../../src/policy/deny.ts";
import { createEndpointAcl } from "../../src/policy/endpoint_acl.ts";
import {
  ACTION_SWITCH_NAMES,
  type ActionSwitch,
  type Section,
  SECTIONS,
  WRITE_METHODS,
  type WriteMethod,
} from "../../src/policy/sections.ts";
import { EnginePool } from "../../src/upstream/engine_pool.ts";
import {
  type FakeEngine,
  type FakeHandler,
  startFakeEngine,
} from "../hostile/_fake_engine.ts";

/** What the test body gets. */
export interface ProxyScope {
  fake: FakeEngine;
  server: ProxyServer;
  pool: EnginePool;
  /** Path of the proxy's Unix socket. */
  socket: string;
  /** Audit records written so far: request id, path and status. */
  audits: Array<{ id: string; path: string; status: number }>;
  /** Protocol errors logged so far. */
  protocolErrors: Array<{ status: number; message: string }>;
}

/** Options of {@linkcode withProxy}. */
export interface ProxyOptions {
  handler?: FakeHandler | null;
  limits?: Partial<ConnectionLimits>;
  maxConnections?: number;
  /** Deep inspection step, as `createApp` takes it. */
  inspect?: (exchange: Exchange) => Promise<Response | null>;
}

/** Every section, write method and action switch open. */
function openPolicy() {
  return {
    sections: Object.fromEntries(SECTIONS.map((s) => [s, true])) as Record<
      Section,
      boolean
    >,
    methods: Object.fromEntries(WRITE_METHODS.map((m) => [m, true])) as Record<
      WriteMethod,
      boolean
    >,
    actions: Object.fromEntries(
      ACTION_SWITCH_NAMES.map((a) => [a, true]),
    ) as Record<ActionSwitch, boolean>,
  };
}

/** Runs `fn` with a proxy in front of a fake engine, then tears both down. */
export async function withProxy(
  options: ProxyOptions,
  fn: (scope: ProxyScope) => Promise<void>,
): Promise<void> {
  const fake = await startFakeEngine(options.handler ?? null);
  const pool = new EnginePool({ kind: "unix", path: fake.socketPath });
  const app = createApp({
    acl: createEndpointAcl(openPolicy()),
    pool,
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  const dir = await Deno.makeTempDir({ prefix: "dgl-" });
  const socket = `${dir}/dockgate.sock`;
  const audits: ProxyScope["audits"] = [];
  const protocolErrors: ProxyScope["protocolErrors"] = [];
  const server = new ProxyServer({
    addr: null,
    socket,
    socketPerms: 0o600,
    limits: {
      maxHeaderBytes: 8192,
      maxHeaders: 100,
      headerTimeoutMs: 5000,
      idleTimeoutMs: 0,
      ...options.limits,
    },
    maxConnections: options.maxConnections ?? 64,
    maxConnectionsPerClient: 64,
    handler: {
      fetch: async (request, exchange) => await app.fetch(request, exchange),
      rejectTarget: (exchange, error) =>
        deny(exchange, 400, "target:invalid", error.message),
      audit: (exchange, status) =>
        audits.push({ id: exchange.id, path: exchange.target.path, status }),
      protocolError: (_client, status, message) =>
        protocolErrors.push({ status, message }),
    },
  });
  await server.start();
  try {
    await fn({ fake, server, pool, socket, audits, protocolErrors });
  } finally {
    await server.shutdown(200);
    pool.closeAll();
    await fake.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
