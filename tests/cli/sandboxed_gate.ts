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
import { collectText, killQuietly, terminate } from "../support/docker_cli.ts";

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

/** What a finished sandboxed process left. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and with what a program runs; see {@linkcode isolatedCommand}. */
export interface IsolatedOptions {
  /** Variables on top of the few Deno needs and NO_COLOR=1. */
  env?: Record<string, string> | undefined;
  cwd?: string;
}

/**
 * `program` with `args` and a cleared environment: only what Deno needs to
 * find its cache, NO_COLOR=1 and `options.env`. Stdin is closed, stdout
 * and stderr are piped.
 */
export function isolatedCommand(
  program: string,
  args: string[],
  options: IsolatedOptions = {},
): Deno.Command {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of PASSED_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return new Deno.Command(program, {
    args,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...env, ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs an {@linkcode isolatedCommand} and waits for it to exit. */
export async function runIsolated(
  program: string,
  args: string[],
  options: IsolatedOptions = {},
): Promise<Finished> {
  const output = await isolatedCommand(program, args, options).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
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
  return await runIsolated(
    Deno.execPath(),
    ["run", ...flags, repoPath(script), ...args],
    { env: options.env, cwd: repoPath("") },
  );
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
  const child = isolatedCommand(
    Deno.execPath(),
    ["run", ...permissionFlags(options.scope), repoPath("src/main.ts")],
    { env: options.env, cwd: repoPath("") },
  ).spawn();
  const chunks: string[] = [];
  const drained = Promise.all([
    collectText(child.stdout, chunks),
    collectText(child.stderr, chunks),
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
        const { status } = await terminate(child, STOP_TIMEOUT_MS);
        await drained;
        return status.code;
      })();
      return stopped;
    },
  };
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
