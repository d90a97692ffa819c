/**
 * The three ways to reach the bench engine: directly over its loopback TCP
 * listener, through HAProxy, and through dockgate. Each is a `Target` that
 * the measurements treat alike.
 *
 * @module
 */

import { runtimeFlags } from "../src/cli/runtime_flags.ts";
import type { BenchEngine } from "./engine.ts";
import { spawnTracked, stopTracked } from "./processes.ts";
import { waitForTcpPing } from "./probe.ts";

/** Names of the targets, in the order of every table. */
export const TARGET_NAMES = ["direct", "haproxy", "dockgate"] as const;

/** One of {@linkcode TARGET_NAMES}. */
export type TargetName = typeof TARGET_NAMES[number];

/** One way to reach the engine. */
export interface Target {
  readonly name: TargetName;
  /** `127.0.0.1:<port>` that clients connect to. */
  readonly addr: string;
  /** Pid of the proxy process; undefined for the engine itself. */
  readonly pid: number | undefined;
  /** Milliseconds from spawn to the first 200 on `GET /_ping`. */
  readonly startMs: number;
  /** The tail of the proxy's log, for error messages. */
  logTail(): string;
  stop(): Promise<void>;
}

/** The dockgate policy of the bench; bench/haproxy.cfg mirrors it. */
export const DOCKGATE_POLICY: Readonly<Record<string, string>> = {
  CONTAINERS: "1",
  EXEC: "1",
  IMAGES: "1",
  POST: "1",
  PUT: "1",
  DELETE: "1",
  ALLOW_ARCHIVE: "1",
};

const MAIN_PATH = decodeURIComponent(
  new URL("../src/main.ts", import.meta.url).pathname,
);
const HAPROXY_CONFIG = decodeURIComponent(
  new URL("./haproxy.cfg", import.meta.url).pathname,
);
const HAPROXY_PATH = "/usr/sbin/haproxy";
const READY_TIMEOUT_MS = 60_000;

/** Variables a child Deno needs to find its cache; nothing else passes. */
const PASSED_VARIABLES = ["PATH", "HOME", "TMPDIR", "LANG", "XDG_CACHE_HOME"];
const PASSED_PREFIXES = ["DENO_", "NPM_CONFIG_", "npm_config_"];

/** The engine itself, over its loopback TCP listener. */
export function directTarget(engine: BenchEngine): Target {
  return {
    name: "direct",
    addr: engine.tcpAddr,
    pid: undefined,
    startMs: 0,
    logTail: () => engine.logs().slice(-2000),
    stop: () => Promise.resolve(),
  };
}

/**
 * Starts dockgate on `127.0.0.1:<port>` in front of the engine's Unix
 * socket, with {@linkcode DOCKGATE_POLICY}, LOG_LEVEL=warn (so only
 * denials are logged) and connection caps raised for the event streams.
 */
export async function startDockgateTarget(
  engine: BenchEngine,
  port: number,
  logPath: string,
): Promise<Target> {
  const addr = `127.0.0.1:${port}`;
  const env: Record<string, string> = {
    ...passedEnv(),
    ...DOCKGATE_POLICY,
    LISTEN_ADDR: addr,
    DOCKER_SOCKET: engine.dockerHost,
    LOG_LEVEL: "warn",
    NO_COLOR: "1",
    MAX_CONNECTIONS: "8192",
    MAX_CONNECTIONS_PER_CLIENT: "8192",
    TARGET_LOG: logPath,
  };
  // The V8 flags of `deno task start` and of the compiled binary, so that
  // memory is measured as dockgate runs.
  const args = ["run", "--allow-net", "--allow-read", "--allow-write"]
    .concat(["--allow-env", ...runtimeFlags(), MAIN_PATH]);
  return await startLogged("dockgate", addr, Deno.execPath(), args, env);
}

/** Starts Debian's HAProxy with bench/haproxy.cfg on `127.0.0.1:<port>`. */
export async function startHaproxyTarget(
  engine: BenchEngine,
  port: number,
  logPath: string,
): Promise<Target> {
  const addr = `127.0.0.1:${port}`;
  const env = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    BENCH_HAPROXY_BIND: addr,
    BENCH_ENGINE_SOCKET: engine.socketPath,
    TARGET_LOG: logPath,
  };
  const check = await new Deno.Command(HAPROXY_PATH, {
    args: ["-c", "-q", "-f", HAPROXY_CONFIG],
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!check.success) {
    const detail = new TextDecoder().decode(check.stderr).trim();
    throw new Error(`Cannot use ${HAPROXY_CONFIG}: ${detail}`);
  }
  const args = ["-db", "-f", HAPROXY_CONFIG];
  return await startLogged("haproxy", addr, HAPROXY_PATH, args, env);
}

/**
 * Spawns `program` with stdout and stderr going to $TARGET_LOG (the shell
 * execs the program, so the pid is the program's own) and waits for its
 * first 200 on `GET /_ping`.
 */
async function startLogged(
  name: TargetName,
  addr: string,
  program: string,
  args: string[],
  env: Record<string, string>,
): Promise<Target> {
  const logPath = env.TARGET_LOG ?? "/dev/null";
  const spawnedAt = performance.now();
  const child = spawnTracked("sh", {
    args: ["-c", 'exec "$0" "$@" >"$TARGET_LOG" 2>&1', program, ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
  const logTail = () => {
    try {
      return Deno.readTextFileSync(logPath).slice(-2000);
    } catch {
      return "";
    }
  };
  try {
    await waitForTcpPing(addr, {
      timeoutMs: READY_TIMEOUT_MS,
      stopped: child.status,
      what: name,
    });
  } catch (error) {
    await stopTracked(child);
    throw new Error(`Cannot start ${name}: ${error}\n${logTail()}`);
  }
  const startMs = performance.now() - spawnedAt;
  let stopped: Promise<void> | undefined;
  return {
    name,
    addr,
    pid: child.pid,
    startMs,
    logTail,
    stop() {
      stopped ??= stopTracked(child).then(() => undefined);
      return stopped;
    },
  };
}

function passedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(Deno.env.toObject())) {
    const passed = PASSED_VARIABLES.includes(name) ||
      PASSED_PREFIXES.some((prefix) => name.startsWith(prefix));
    if (passed) env[name] = value;
  }
  return env;
}
