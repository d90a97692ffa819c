/**
 * Runs the real dockgate (`src/main.ts`) as a child process in front of a
 * test engine, on a fresh Unix socket.
 *
 * Debugging switch: with `DOCKGATE_TEST_DIRECT=1` in the environment,
 * {@linkcode startDockgate} starts nothing and hands out the engine's own
 * socket, so the same tests show whether a failure comes from the harness,
 * the engine or dockgate. Tests that need dockgate's policy (denials) are
 * skipped in that mode.
 *
 * @module
 */

import type { Engine } from "./engine.ts";
import { collectText, killQuietly, terminate } from "./docker_cli.ts";
import { messageOf } from "./deadline.ts";
import { waitForPing } from "./ping.ts";

export { docker, dockerEnv } from "./docker_cli.ts";
export type { CommandResult, DockerOptions } from "./docker_cli.ts";

/** Options of {@linkcode startDockgate}. */
export interface DockgateOptions {
  /** The engine dockgate forwards to (DOCKER_SOCKET). */
  engine: Engine;
  /**
   * Policy switches and other settings, e.g. `{ CONTAINERS: "1" }`. They
   * override the harness defaults (LOG_LEVEL=debug, LOG_FORMAT=json).
   */
  env?: Record<string, string>;
  /** Path of a YAML or JSON configuration file, passed as `--config`. */
  configFile?: string;
}

/** A running dockgate. */
export interface Dockgate {
  /** The Unix socket dockgate listens on. */
  readonly socketPath: string;
  /** `unix://` URL of that socket, for DOCKER_HOST. */
  readonly dockerHost: string;
  /** Everything dockgate wrote to stderr and stdout so far. */
  logs(): string;
  /**
   * Sends SIGTERM, waits for the exit and resolves with the exit code.
   * Throws when dockgate does not exit in time or exits with another
   * code than 0.
   */
  stop(): Promise<number>;
}

/** True when `DOCKGATE_TEST_DIRECT=1`: tests talk to the engine directly. */
export const DIRECT_MODE = Deno.env.get("DOCKGATE_TEST_DIRECT") === "1";

const MAIN_PATH = decodeURIComponent(
  new URL("../../src/main.ts", import.meta.url).pathname,
);
const REPO_ROOT = decodeURIComponent(
  new URL("../..", import.meta.url).pathname,
);

/** Generous: the first run may still fetch and cache npm packages. */
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/**
 * Variables dockgate's Deno needs from ours to find its cache and reach the
 * registry; everything else, policy switches above all, is left out so the
 * caller's shell cannot change what a test proves.
 */
const PASSED_VARIABLES = new Set([
  "PATH",
  "HOME",
  "TMPDIR",
  "LANG",
  "LC_ALL",
  "TZ",
  "XDG_CACHE_HOME",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "NO_PROXY",
  "http_proxy",
  "https_proxy",
  "no_proxy",
]);
const PASSED_PREFIXES = ["DENO_", "NPM_CONFIG_", "npm_config_"];

const liveGates = new Set<Deno.ChildProcess>();

/**
 * Starts dockgate on a new socket in front of `options.engine` and resolves
 * once `GET /_ping` answers 200. TCP is off (LISTEN_ADDR="").
 */
export async function startDockgate(
  options: DockgateOptions,
): Promise<Dockgate> {
  if (DIRECT_MODE) return directGate(options.engine);
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgg-" });
  const socketPath = `${dir}/dockgate.sock`;
  const env: Record<string, string> = {
    ...passedEnv(),
    LISTEN_SOCKET: socketPath,
    LISTEN_ADDR: "",
    DOCKER_SOCKET: options.engine.dockerHost,
    LOG_LEVEL: "debug",
    LOG_FORMAT: "json",
    NO_COLOR: "1",
    ...options.env,
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      MAIN_PATH,
      ...(options.configFile === undefined
        ? []
        : ["--config", options.configFile]),
    ],
    cwd: REPO_ROOT,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  liveGates.add(child);
  const output: string[] = [];
  const drained = Promise.all([
    collectText(child.stderr, output),
    collectText(child.stdout, output),
  ]);
  const logs = () => output.join("");
  try {
    await waitForPing(socketPath, {
      timeoutMs: READY_TIMEOUT_MS,
      stopped: child.status,
      what: "dockgate",
    });
  } catch (error) {
    killQuietly(child, "SIGKILL");
    const status = await child.status;
    liveGates.delete(child);
    await drained;
    await Deno.remove(dir, { recursive: true });
    throw new Error(
      `Cannot start dockgate: ${
        messageOf(error)
      } (exit code ${status.code})\n` +
        logs().slice(-4000),
    );
  }
  let stopped: Promise<number> | undefined;
  return {
    socketPath,
    dockerHost: `unix://${socketPath}`,
    logs,
    stop() {
      stopped ??= stopGate(child, drained, logs, dir);
      return stopped;
    },
  };
}

async function stopGate(
  child: Deno.ChildProcess,
  drained: Promise<unknown>,
  logs: () => string,
  dir: string,
): Promise<number> {
  const { status, late } = await terminate(child, STOP_TIMEOUT_MS);
  liveGates.delete(child);
  await drained;
  await Deno.remove(dir, { recursive: true });
  if (late) {
    throw new Error(
      `dockgate ignored SIGTERM for ${STOP_TIMEOUT_MS} ms\n` +
        logs().slice(-4000),
    );
  }
  if (status.code !== 0) {
    throw new Error(
      `dockgate exited with code ${status.code} after SIGTERM\n` +
        logs().slice(-4000),
    );
  }
  return status.code;
}

function directGate(engine: Engine): Dockgate {
  return {
    socketPath: engine.socketPath,
    dockerHost: engine.dockerHost,
    logs: () => "",
    stop: () => Promise.resolve(0),
  };
}

function passedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    const passed = PASSED_VARIABLES.has(name) ||
      PASSED_PREFIXES.some((prefix) => name.startsWith(prefix));
    if (passed) env[name] = value;
  }
  return env;
}

globalThis.addEventListener("unload", () => {
  for (const child of liveGates) killQuietly(child, "SIGKILL");
});
