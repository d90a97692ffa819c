/**
 * Runs external programs for the integration tests, above all the real
 * `docker` CLI, always with a deadline and never with the user's own Docker
 * configuration.
 *
 * @module
 */

import { LATE, raceDeadline } from "./deadline.ts";

/** What a finished (or killed) program left behind. */
export interface CommandResult {
  /** Exit code; 128 + signal number when a signal ended the program. */
  code: number;
  stdout: string;
  stderr: string;
  /** The raw stdout, for programs that print binary data such as a tar. */
  stdoutBytes: Uint8Array;
  /** True when the deadline ran out and the program was killed. */
  timedOut: boolean;
}

/** Options of {@linkcode runCommand}. */
export interface RunOptions {
  /** The complete environment of the program; nothing is inherited. */
  env: Record<string, string>;
  /** Bytes or text fed to stdin, which is then closed; no stdin if unset. */
  stdin?: string | Uint8Array;
  /** Deadline after which the program is killed. Default 30 000 ms. */
  timeoutMs?: number;
  cwd?: string;
}

/** Options of {@linkcode docker}. */
export interface DockerOptions {
  /** DOCKER_HOST for the CLI, e.g. `unix:///tmp/x/dockgate.sock`. */
  host: string;
  stdin?: string | Uint8Array;
  /** Deadline after which the CLI is killed. Default 30 000 ms. */
  timeoutMs?: number;
  /** Extra variables such as `DOCKER_BUILDKIT`. */
  env?: Record<string, string>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** Variables a child may need from our own environment to work at all. */
const PASSED_VARIABLES = ["PATH", "LANG", "LC_ALL", "TZ"];

let dockerConfigDir: string | undefined;

/**
 * Runs `command` with `args` and kills it with SIGKILL at the deadline.
 * Resolves with the result either way; check `timedOut`.
 */
export async function runCommand(
  command: string,
  args: string[],
  options: RunOptions,
): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const child = new Deno.Command(command, {
    args,
    env: options.env,
    clearEnv: true,
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killQuietly(child, "SIGKILL");
  }, timeoutMs);
  try {
    if (options.stdin !== undefined) {
      void feedStdin(child, options.stdin);
    }
    const output = await child.output();
    const decoder = new TextDecoder();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
      stdoutBytes: output.stdout,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the real `docker` CLI against `options.host`.
 *
 * The environment is built from scratch: DOCKER_HOST is always set, so the
 * CLI never falls back to its default socket, and DOCKER_CONFIG points to a
 * private temp dir, so the user's contexts and credentials stay out of it.
 */
export function docker(
  args: string[],
  options: DockerOptions,
): Promise<CommandResult> {
  return runCommand("docker", args, {
    env: { ...dockerEnv(options.host), ...options.env },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.timeoutMs === undefined ? {} : {
      timeoutMs: options.timeoutMs,
    }),
  });
}

/**
 * The whole environment for a program that calls `docker` itself (a shell
 * script, `script -qec`): PATH and locale from ours, DOCKER_HOST,
 * a private DOCKER_CONFIG and HOME.
 */
export function dockerEnv(host: string): Record<string, string> {
  if (!host.startsWith("unix://") && !host.startsWith("tcp://")) {
    throw new TypeError(
      `Cannot use docker host "${host}": not unix:// or tcp://`,
    );
  }
  dockerConfigDir ??= Deno.makeTempDirSync({ prefix: "dockgate-cli-" });
  const env: Record<string, string> = {};
  for (const name of PASSED_VARIABLES) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin";
  env.DOCKER_HOST = host;
  env.DOCKER_CONFIG = dockerConfigDir;
  env.HOME = dockerConfigDir;
  return env;
}

/** Formats a result for an assertion message; `command` names what ran. */
export function describeResult(
  command: string,
  result: CommandResult,
): string {
  return [
    `${command} exited ${result.code}` +
    (result.timedOut ? " (killed at the deadline)" : ""),
    `stdout: ${result.stdout.slice(-2000)}`,
    `stderr: ${result.stderr.slice(-2000)}`,
  ].join("\n");
}

/**
 * Sends SIGTERM to `child`, then SIGKILL if it has not exited within
 * `graceMs`, and resolves with its status; `late` tells that SIGKILL was
 * needed.
 */
export async function terminate(
  child: Deno.ChildProcess,
  graceMs: number,
): Promise<{ status: Deno.CommandStatus; late: boolean }> {
  killQuietly(child, "SIGTERM");
  const late = await raceDeadline(child.status, graceMs) === LATE;
  if (late) killQuietly(child, "SIGKILL");
  return { status: await child.status, late };
}

/** Appends the text of `stream` to `into` as it arrives, until it ends. */
export async function collectText(
  stream: ReadableStream<Uint8Array>,
  into: string[],
): Promise<void> {
  const decoder = new TextDecoder();
  for await (const chunk of stream) {
    into.push(decoder.decode(chunk, { stream: true }));
  }
  into.push(decoder.decode());
}

/** Sends `signal` to `child` unless it has already exited. */
export function killQuietly(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
): void {
  try {
    child.kill(signal);
  } catch (error) {
    // The child exited between our decision and the kill.
    if (!(error instanceof TypeError)) throw error;
  }
}

async function feedStdin(
  child: Deno.ChildProcess,
  input: string | Uint8Array,
): Promise<void> {
  const bytes = typeof input === "string"
    ? new TextEncoder().encode(input)
    : input;
  const writer = child.stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // The program stopped reading early; its exit code tells the story.
  }
}

globalThis.addEventListener("unload", () => {
  if (dockerConfigDir !== undefined) {
    Deno.removeSync(dockerConfigDir, { recursive: true });
  }
});
