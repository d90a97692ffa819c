/**
 * dockgate: a policy gate in front of the Docker Engine API socket.
 *
 * Exit codes: 0 after a clean shutdown, 1 for a bad configuration, 2 when
 * the proxy cannot set itself up (a socket path in use, a port taken).
 */
import { getLogger } from "@logtape/logtape";
import { auditExchange, auditProtocolError } from "./app/audit.ts";
import { createApp } from "./app/create_app.ts";
import { runHealthcheck } from "./cli/healthcheck.ts";
import { checkPermissions } from "./cli/permission_check.ts";
import { readProcessEnv } from "./cli/process_env.ts";
import { VERSION } from "./cli/version.ts";
import { ConfigError } from "./config/config_error.ts";
import { loadConfig } from "./config/load_config.ts";
import type { DockgateConfig } from "./config/schema.ts";
import { isLoopback, parseListenAddr, ProxyServer } from "./listener/listen.ts";
import { redactPolicyForLog, setupLogging } from "./log/setup_logging.ts";
import { deny } from "./policy/deny.ts";
import { createEndpointAcl } from "./policy/endpoint_acl.ts";
import { createRequestFilters } from "./policy/filters/request_filters.ts";
import { createRequestInspector } from "./policy/inspect_request.ts";
import { detectOwnContainerId } from "./upstream/own_container.ts";
import { detectApiVersion } from "./upstream/api_version.ts";
import { EnginePool } from "./upstream/engine_pool.ts";

export { VERSION };

const EXIT_CONFIG = 1;
const EXIT_RUNTIME = 2;

const USAGE = `Usage: dockgate [--config FILE]
       dockgate healthcheck [--config FILE]
       dockgate --version

Listens for Docker API clients and forwards what policy allows to the engine.
Settings come from environment variables and an optional YAML or JSON file;
see the README for every setting.
`;

const logger = getLogger(["dockgate"]);

function writeStderr(text: string) {
  Deno.stderr.writeSync(new TextEncoder().encode(text));
}

function writeStdout(text: string) {
  Deno.stdout.writeSync(new TextEncoder().encode(text));
}

interface Arguments {
  configFile: string | undefined;
  command: "serve" | "healthcheck" | "version" | "help";
}

function parseArguments(args: string[]): Arguments {
  let configFile: string | undefined;
  let command: Arguments["command"] = "serve";
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--config" || arg === "-c") {
      configFile = args[++i];
      if (configFile === undefined) {
        throw new TypeError("--config needs a file");
      }
    } else if (arg?.startsWith("--config=")) {
      configFile = arg.slice("--config=".length);
    } else if (arg === "--version" || arg === "-v") {
      command = "version";
    } else if (arg === "--help" || arg === "-h") {
      command = "help";
    } else if (arg === "healthcheck" && i === 0) {
      command = "healthcheck";
    } else {
      throw new TypeError(`unknown argument: ${JSON.stringify(arg)}`);
    }
  }
  return { configFile, command };
}

function watchApiVersion(pool: EnginePool, config: DockgateConfig) {
  const configured = config.docker.api_version;
  if (configured !== null) {
    logger.info("Using API version {apiVersion} from configuration", {
      apiVersion: configured,
    });
    return;
  }
  const detect = () =>
    detectApiVersion(pool).then(
      (apiVersion) =>
        logger.info("Engine at {engine} speaks API {apiVersion}", {
          engine: pool.description,
          apiVersion,
        }),
      (error) =>
        logger.warn("Engine at {engine} not reachable yet: {error}", {
          engine: pool.description,
          error: error instanceof Error ? error.message : String(error),
        }),
    );
  pool.onReconnect = () => void detect();
  void detect();
}

async function serve(config: DockgateConfig): Promise<number> {
  logger.info("Effective policy: {policy}", {
    policy: redactPolicyForLog(config),
  });
  const pool = new EnginePool(config.docker.socket);
  watchApiVersion(pool, config);
  const ownContainerId = await detectOwnContainerId();
  if (ownContainerId !== null) {
    logger.info("Running in container {containerId}: it is protected", {
      containerId: ownContainerId,
    });
  }
  const engine = config.docker.socket;
  const filters = createRequestFilters({
    ...config.filters,
    engine_socket_paths: engine.kind === "unix" ? [engine.path] : [],
    proxy_container_id: ownContainerId,
  });
  const app = createApp({
    acl: createEndpointAcl({
      sections: config.sections,
      methods: config.methods,
      actions: config.actions,
    }),
    pool,
    apiVersion: config.docker.api_version,
    inspect: createRequestInspector({
      filters,
      maxBodyBytes: config.limits.max_body_bytes,
      pool,
    }),
  });
  const { limits } = config;
  const server = new ProxyServer({
    addr: config.listen.addr,
    socket: config.listen.socket,
    socketPerms: config.listen.socket_perms,
    maxConnections: limits.max_connections,
    maxConnectionsPerClient: limits.max_connections_per_client,
    limits: {
      maxHeaderBytes: limits.max_header_bytes,
      maxHeaders: limits.max_headers,
      headerTimeoutMs: limits.header_timeout_ms,
      idleTimeoutMs: limits.idle_timeout_ms,
    },
    handler: {
      fetch: async (request, exchange) => await app.fetch(request, exchange),
      rejectTarget: (exchange, error) =>
        deny(exchange, 400, "target:invalid", error.message),
      audit: auditExchange,
      protocolError: auditProtocolError,
    },
  });
  try {
    await server.start();
  } catch (error) {
    const targets = [config.listen.addr, config.listen.socket]
      .filter((target) => target !== null);
    logger.fatal("Cannot listen on {targets}: {error}", {
      targets,
      error: error instanceof Error ? error.message : String(error),
    });
    return EXIT_RUNTIME;
  }
  if (config.listen.addr !== null) {
    const { hostname } = parseListenAddr(config.listen.addr);
    if (!isLoopback(hostname)) {
      logger.warn(
        "Listening on {addr}, reachable from other machines: anyone who can connect gets what policy allows",
        { addr: config.listen.addr },
      );
    }
  }
  logger.info("dockgate {version} listening on {endpoints}, engine {engine}", {
    version: VERSION,
    endpoints: server.endpoints,
    engine: pool.description,
  });
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await stopped.promise;
  logger.info("Shutting down: finishing requests for up to {graceMs} ms", {
    graceMs: limits.shutdown_grace_ms,
  });
  await server.shutdown(limits.shutdown_grace_ms);
  pool.closeAll();
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  return 0;
}

/** Runs the command line; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  let parsed: Arguments;
  try {
    parsed = parseArguments(args);
  } catch (error) {
    writeStderr(`dockgate: ${(error as Error).message}\n\n${USAGE}`);
    return EXIT_CONFIG;
  }
  if (parsed.command === "version") {
    writeStdout(`dockgate ${VERSION}\n`);
    return 0;
  }
  if (parsed.command === "help") {
    writeStdout(USAGE);
    return 0;
  }
  let config: DockgateConfig;
  try {
    config = loadConfig({
      env: readProcessEnv(),
      configFile: parsed.configFile,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeStderr(`dockgate: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  if (parsed.command === "healthcheck") {
    return await runHealthcheck(config.listen);
  }
  await setupLogging({ level: config.log.level, format: config.log.format });
  if (!checkPermissions(config)) return EXIT_RUNTIME;
  return await serve(config);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
