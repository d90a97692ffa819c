/**
 * Runs dockgate, or a probe script, under exactly the Deno permissions of
 * `src/cli/permissions.ts`, as `deno task start` and the compiled binary
 * do, and a stand-in engine for tests that need no real one.
 *
 * @module
 */

import {
  permissionFlags,
  type PermissionScope,
  resolvePermissionScope,
} from "../../src/cli/permissions.ts";
import { LATE, raceDeadline } from "../support/deadline.ts";
import { killQuietly } from "../support/docker_cli.ts";

/** Absolute path of a file of this repository. */
export function repoPath(relative: string): string {
  return decodeURIComponent(
    new URL(`../../${relative}`, import.meta.url)
      .pathname,
  );
}

/** Variables Deno itself needs to find its cache; policy stays out. */
const PASSED_VARIABLES = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"];

const STOP_TIMEOUT_MS = 10_000;
const READY_TIMEOUT_MS = 30_000;

/**
 * The default scope with `socketPaths` as DOCKGATE_SOCKET_PATHS, or the
 * default socket paths when the list is empty.
 */
export function scopeWithSockets(socketPaths: string[]): PermissionScope {
  if (socketPaths.length === 0) return resolvePermissionScope({});
  return resolvePermissionScope({
    DOCKGATE_SOCKET_PATHS: socketPaths.join(","),
  });
}

function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of PASSED_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

/** What a finished sandboxed process left. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` (a repository path) with `args` under `scope`'s flags and
 * `env` as its only dockgate variables, and waits for it to exit.
 * `adjustFlags`, when given, rewrites the flags first, for tests of what
 * happens under narrower permissions than those shipped.
 */
export async function runSandboxed(
  script: string,
  args: string[],
  options: {
    scope: PermissionScope;
    env?: Record<string, string>;
    adjustFlags?: (flags: string[]) => string[];
  },
): Promise<Finished> {
  const shipped = permissionFlags(options.scope);
  const flags = options.adjustFlags?.(shipped) ?? shipped;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...flags, repoPath(script), ...args],
    cwd: repoPath(""),
    env: { ...baseEnv(), ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** A dockgate started by {@linkcode startSandboxedGate}. */
export interface SandboxedGate {
  /** Everything written to stdout and stderr so far. */
  logs(): string;
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number>;
}

/**
 * Starts `src/main.ts` under `scope` with `env`, and resolves once `ready`
 * says so. Throws with the log when dockgate exits first or is not ready
 * in time.
 */
export async function startSandboxedGate(options: {
  scope: PermissionScope;
  env: Record<string, string>;
  ready: () => Promise<boolean>;
}): Promise<SandboxedGate> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissionFlags(options.scope), repoPath("src/main.ts")],
    cwd: repoPath(""),
    env: { ...baseEnv(), ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const chunks: string[] = [];
  const drained = Promise.all([
    collect(child.stdout, chunks),
    collect(child.stderr, chunks),
  ]);
  const logs = () => chunks.join("");
  let exited = false;
  void child.status.then(() => exited = true);
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await options.ready())) {
    if (exited || Date.now() > deadline) {
      killQuietly(child, "SIGKILL");
      await child.status;
      await drained;
      throw new Error(
        `dockgate ${exited ? "exited" : "was not ready"}:\n${logs()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  let stopped: Promise<number> | undefined;
  return {
    logs,
    stop() {
      stopped ??= (async () => {
        killQuietly(child, "SIGTERM");
        if (await raceDeadline(child.status, STOP_TIMEOUT_MS) === LATE) {
          killQuietly(child, "SIGKILL");
        }
        const status = await child.status;
        await drained;
        return status.code;
      })();
      return stopped;
    },
  };
}

async function collect(
  stream: ReadableStream<Uint8Array>,
  into: string[],
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    into.push(decoder.decode(chunk, { stream: true }));
  }
}

/** A stand-in engine on a Unix socket: `_ping` and `version` only. */
export interface StubEngine {
  readonly socketPath: string;
  close(): Promise<void>;
}

/** Starts a {@linkcode StubEngine} listening at `socketPath`. */
export function startStubEngine(socketPath: string): StubEngine {
  const server = Deno.serve({
    path: socketPath,
    onListen: () => {},
  }, (request) => {
    const { pathname } = new URL(request.url);
    const headers = { "Api-Version": "1.41" };
    if (pathname.endsWith("/_ping")) {
      return new Response("OK", { headers });
    }
    if (pathname.endsWith("/version")) {
      return Response.json({ ApiVersion: "1.41" }, { headers });
    }
    return Response.json({ message: "not in the stub" }, { status: 404 });
  });
  return { socketPath, close: () => server.shutdown() };
}

/** A port on 127.0.0.1 that was free a moment ago. */
export function freePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
