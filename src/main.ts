/**
 * dockgate: a policy gate in front of the Docker Engine API socket.
 *
 * Exit codes: 0 after a clean shutdown, 1 for a bad configuration, 2 when
 * the proxy cannot set itself up (a socket path in use, a port taken).
 */
import { getLogger } from "@logtape/logtape";
import { startAdminServer } from "./admin/admin_server.ts";
import { Metrics } from "./admin/metrics.ts";
import { runCheck } from "./cli/check.ts";
import { runExplain } from "./cli/explain.ts";
import { runHealthcheck } from "./cli/healthcheck.ts";
import { checkPermissions, readProblem } from "./cli/permission_check.ts";
import { readProcessEnv } from "./cli/process_env.ts";
import { VERSION } from "./cli/version.ts";
import { ConfigError } from "./config/config_error.ts";
import { loadConfig } from "./config/load_config.ts";
import type { DockgateConfig } from "./config/schema.ts";
import { isLoopback, parseListenAddr } from "./listener/listen.ts";
import { redactPolicyForLog, setupLogging } from "./log/setup_logging.ts";
import { configFiles, startReloader } from "./profiles/config_reloader.ts";
import { Gateway } from "./profiles/gateway.ts";
import { detectOwnContainerId } from "./upstream/own_container.ts";
import { detectApiVersion } from "./upstream/api_version.ts";
import { EnginePool } from "./upstream/engine_pool.ts";

export { VERSION };

const EXIT_CONFIG = 1;
const EXIT_RUNTIME = 2;

const USAGE = `Usage: dockgate [--config FILE]
       dockgate healthcheck [--config FILE]
       dockgate check [--config FILE]
       dockgate explain [--config FILE] [--profile NAME] METHOD PATH [BODY]
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

function readStdinSync(): Uint8Array {
  const pieces: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  while (true) {
    const count = Deno.stdin.readSync(buffer);
    if (count === null || count === 0) break;
    pieces.push(buffer.slice(0, count));
  }
  const bytes = new Uint8Array(
    pieces.reduce((sum, piece) => sum + piece.length, 0),
  );
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

interface Arguments {
  configFile: string | undefined;
  command: "serve" | "healthcheck" | "check" | "version" | "help";
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
    } else if (arg === "check" && i === 0) {
      command = "check";
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

async function serve(
  config: DockgateConfig,
  configFile: string | undefined,
): Promise<number> {
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
  const metrics = new Metrics();
  const gateway = new Gateway(config, { pool, ownContainerId, metrics });
  try {
    await gateway.start();
  } catch (error) {
    logger.fatal("Cannot start listening: {error}", {
      error: error instanceof Error ? error.message : String(error),
    });
    return EXIT_RUNTIME;
  }
  const { limits, admin } = config;
  let adminServer;
  if (admin.enabled && admin.addr !== null) {
    try {
      adminServer = startAdminServer({ addr: admin.addr, metrics, pool });
    } catch (error) {
      logger.fatal("Cannot listen on {addr} for the admin listener: {error}", {
        addr: admin.addr,
        error: error instanceof Error ? error.message : String(error),
      });
      await gateway.shutdown(0);
      return EXIT_RUNTIME;
    }
    if (!isLoopback(parseListenAddr(admin.addr).hostname)) {
      logger.warn("Admin listener {addr} is reachable from other machines", {
        addr: admin.addr,
      });
    }
  }
  logger.info("dockgate {version} listening on {endpoints}, engine {engine}", {
    version: VERSION,
    endpoints: gateway.endpoints,
    engine: pool.description,
    ...(adminServer === undefined ? {} : { admin: adminServer.endpoint }),
  });
  const reloader = startReloader({
    files: configFiles(config, configFile, readProcessEnv()),
    onResult: (ok) => metrics.reloaded(ok),
    reload: async () => {
      const env = readProcessEnv();
      const next = loadConfig({ env, configFile, readProblem });
      await gateway.reload(next);
      logger.info("Effective policy: {policy}", {
        policy: redactPolicyForLog(next),
      });
      return configFiles(next, configFile, env);
    },
  });
  const stopped = Promise.withResolvers<void>();
  const stop = () => stopped.resolve();
  Deno.addSignalListener("SIGTERM", stop);
  Deno.addSignalListener("SIGINT", stop);
  await stopped.promise;
  logger.info("Shutting down: finishing requests for up to {graceMs} ms", {
    graceMs: limits.shutdown_grace_ms,
  });
  reloader.stop();
  await adminServer?.shutdown();
  await gateway.shutdown(limits.shutdown_grace_ms);
  pool.closeAll();
  Deno.removeSignalListener("SIGTERM", stop);
  Deno.removeSignalListener("SIGINT", stop);
  return 0;
}

/** Runs the command line; returns the process exit code. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "explain") {
    try {
      return runExplain({
        args: args.slice(1),
        env: readProcessEnv(),
        write: writeStdout,
        readStdin: readStdinSync,
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      writeStderr(`dockgate: ${error.message}\n`);
      return EXIT_CONFIG;
    }
  }
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
  if (parsed.command === "check") {
    try {
      return runCheck({
        env: readProcessEnv(),
        configFile: parsed.configFile,
        write: writeStdout,
        readProblem,
      });
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      writeStderr(`dockgate: ${error.message}\n`);
      return EXIT_CONFIG;
    }
  }
  let config: DockgateConfig;
  try {
    config = loadConfig({
      env: readProcessEnv(),
      configFile: parsed.configFile,
      readProblem,
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    writeStderr(`dockgate: ${error.message}\n`);
    return EXIT_CONFIG;
  }
  if (parsed.command === "healthcheck") {
    return await runHealthcheck(config);
  }
  await setupLogging({ level: config.log.level, format: config.log.format });
  if (!checkPermissions(config)) return EXIT_RUNTIME;
  return await serve(config, parsed.configFile);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
