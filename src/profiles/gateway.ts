/**
 * Every listener of a configuration, each serving its clients under their
 * profile, and the reload that swaps in a new configuration.
 *
 * A loaded configuration is a `Generation`: compiled profiles and the
 * client rules of each listener. A connection takes the generation that is
 * current when it is accepted and keeps it until it closes, so a reload
 * never changes the rules in the middle of someone's session; new
 * connections get the new generation.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { auditExchange, auditProtocolError } from "../app/audit.ts";
import type { Metrics } from "../admin/metrics.ts";
import type { DockgateConfig } from "../config/schema.ts";
import {
  isLoopback,
  parseListenAddr,
  ProxyServer,
} from "../listener/listen.ts";
import type { EnginePool } from "../upstream/engine_pool.ts";
import { compileProfile, type ProfileContext } from "./compile_profile.ts";
import {
  connectionHandler,
  type Generation,
  type RouterHooks,
} from "./profile_router.ts";
import {
  type ListenerSpec,
  listenerSpecs,
  profileSpecs,
} from "./profile_specs.ts";

/** What the gateway shares across generations. */
export interface GatewayOptions {
  pool: EnginePool;
  ownContainerId: string | null;
  metrics: Metrics;
}

interface RunningListener {
  spec: ListenerSpec;
  server: ProxyServer;
}

/** Settings read once at startup; a reload that changes them warns. */
const RESTART_KEYS = ["docker", "log", "limits", "admin"] as const;

const logger = getLogger(["dockgate"]);

/**
 * Compiles every profile and listener rule of `config`.
 *
 * @throws {TypeError} when a profile's filters cannot be compiled
 */
export function buildGeneration(
  config: DockgateConfig,
  context: ProfileContext,
): Generation {
  const profiles = new Map(
    profileSpecs(config).map((spec) => [
      spec.name,
      compileProfile(spec, context),
    ]),
  );
  const rules = new Map(
    listenerSpecs(config).map((spec) => [spec.endpoint, spec.rules]),
  );
  return { profiles, rules };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The listeners and profiles of the running proxy. */
export class Gateway {
  #config: DockgateConfig;
  #generation: Generation;
  readonly #options: GatewayOptions;
  readonly #listeners = new Map<string, RunningListener>();
  readonly #hooks: RouterHooks;

  /** @throws {TypeError} when a profile cannot be compiled */
  constructor(config: DockgateConfig, options: GatewayOptions) {
    this.#config = config;
    this.#options = options;
    this.#generation = buildGeneration(config, this.#context(config));
    const { metrics } = options;
    this.#hooks = {
      started: (exchange) => metrics.started(exchange),
      audit: (exchange, status) => {
        auditExchange(exchange, status);
        metrics.finished(exchange, status);
      },
      protocolError: (client, status, message) => {
        auditProtocolError(client, status, message);
        metrics.protocolError(status);
      },
    };
    metrics.connections = () =>
      new Map(
        [...this.#listeners].map((
          [endpoint, { server }],
        ) => [endpoint, server.activeConnections]),
      );
  }

  #context(config: DockgateConfig): ProfileContext {
    return {
      pool: this.#options.pool,
      engine: config.docker.socket,
      ownContainerId: this.#options.ownContainerId,
      maxBodyBytes: config.limits.max_body_bytes,
      apiVersion: config.docker.api_version,
    };
  }

  /** Where the proxy listens, for logs and tests. */
  get endpoints(): string[] {
    return [...this.#listeners.values()].flatMap(({ server }) =>
      server.endpoints
    );
  }

  /** Opens every listener; on failure closes those already open. */
  async start(): Promise<void> {
    try {
      for (const spec of listenerSpecs(this.#config)) await this.#open(spec);
    } catch (error) {
      await this.shutdown(0);
      throw error;
    }
  }

  async #open(spec: ListenerSpec): Promise<void> {
    const { limits } = this.#config;
    const endpoint = spec.endpoint;
    const server = new ProxyServer({
      addr: "addr" in spec ? spec.addr : null,
      tls: "addr" in spec ? spec.tls : null,
      socket: "socket" in spec ? spec.socket : null,
      socketPerms: "socket" in spec ? spec.socketPerms : 0o660,
      maxConnections: limits.max_connections,
      maxConnectionsPerClient: limits.max_connections_per_client,
      limits: {
        maxHeaderBytes: limits.max_header_bytes,
        maxHeaders: limits.max_headers,
        headerTimeoutMs: limits.header_timeout_ms,
        idleTimeoutMs: limits.idle_timeout_ms,
      },
      handler: connectionHandler(this.#generation, endpoint, this.#hooks),
      handlerFor: () =>
        connectionHandler(this.#generation, endpoint, this.#hooks),
    });
    try {
      await server.start();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot listen on ${endpoint}: ${detail}`);
    }
    this.#listeners.set(endpoint, { spec, server });
    if ("addr" in spec && spec.tls !== null) {
      logger.info("Serving TLS on {endpoint} with certificate {certFile}", {
        endpoint,
        certFile: spec.tls.certFile,
      });
    }
    if ("addr" in spec && !isLoopback(parseListenAddr(spec.addr).hostname)) {
      logger.warn(
        "Listening on {addr}, reachable from other machines: anyone who can connect gets what policy allows",
        { addr: spec.addr },
      );
    }
  }

  /**
   * Swaps in `config`: compiles it first (throwing, with nothing changed,
   * when it cannot be), then opens added listeners and closes removed
   * ones. Settings read only at startup keep their running values.
   *
   * @throws {TypeError} when a profile cannot be compiled
   */
  async reload(config: DockgateConfig): Promise<void> {
    const next = buildGeneration(config, this.#context(this.#config));
    for (const key of RESTART_KEYS) {
      if (!sameJson(config[key], this.#config[key])) {
        logger.warn(
          "Configuration reload: {key} changed, which takes a restart; the running values stay",
          { key },
        );
      }
    }
    const wanted = new Map(
      listenerSpecs(config).map((spec) => [spec.endpoint, spec]),
    );
    this.#generation = next;
    const running = this.#config;
    this.#config = { ...config, ...pick(running, RESTART_KEYS) };
    for (const [endpoint, listener] of [...this.#listeners]) {
      const spec = wanted.get(endpoint);
      if (spec === undefined) {
        this.#listeners.delete(endpoint);
        logger.info("Closing listener {endpoint}: no longer configured", {
          endpoint,
        });
        void listener.server.shutdown(running.limits.shutdown_grace_ms);
      } else if (
        "socket" in spec && "socket" in listener.spec &&
        spec.socketPerms !== listener.spec.socketPerms
      ) {
        await Deno.chmod(spec.socket, spec.socketPerms);
        listener.spec = spec;
      } else if (
        "addr" in spec && "addr" in listener.spec &&
        !sameJson(spec.tls, listener.spec.tls)
      ) {
        // Deno cannot change the certificate of an open TLS listener, and
        // closing it would cut the connections that reloads leave alone.
        logger.warn(
          "Configuration reload: TLS of {endpoint} changed, which takes a restart; the running certificate stays",
          { endpoint },
        );
      }
    }
    for (const [endpoint, spec] of wanted) {
      if (this.#listeners.has(endpoint)) continue;
      // The new profiles are in force already; one address that cannot be
      // opened must not take the others back.
      await this.#open(spec).catch((error) =>
        logger.error("Configuration reload: {error}", {
          error: error instanceof Error ? error.message : String(error),
        })
      );
    }
  }

  /** Stops every listener; see `ProxyServer.shutdown`. */
  async shutdown(graceMs: number): Promise<void> {
    const servers = [...this.#listeners.values()];
    this.#listeners.clear();
    await Promise.all(servers.map(({ server }) => server.shutdown(graceMs)));
  }
}

function pick<T extends object, K extends keyof T>(
  object: T,
  keys: readonly K[],
): Pick<T, K> {
  const picked = {} as Pick<T, K>;
  for (const key of keys) picked[key] = object[key];
  return picked;
}
