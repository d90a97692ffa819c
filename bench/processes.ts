/**
 * The bench's child processes and their memory.
 *
 * Every long-lived process the bench starts (dockerd, dockgate, haproxy) is
 * registered here, so a failure, Ctrl-C or an early exit still ends it.
 *
 * @module
 */

import { killQuietly } from "../tests/support/docker_cli.ts";
import { LATE, raceDeadline } from "../tests/support/deadline.ts";

/** Resident memory of one process, in KiB, from /proc/<pid>/status. */
export interface Memory {
  /** VmRSS: resident now. */
  rssKiB: number;
  /** VmHWM: the highest resident size so far. */
  hwmKiB: number;
}

const STATUS_FIELD_REGEXP = /^(VmRSS|VmHWM):\s+(\d+) kB$/gm;
const STOP_TIMEOUT_MS = 15_000;

const live = new Set<Deno.ChildProcess>();

/** Spawns `command` and keeps it on the list that {@linkcode killAll} ends. */
export function spawnTracked(
  command: string,
  options: Deno.CommandOptions,
): Deno.ChildProcess {
  const child = new Deno.Command(command, options).spawn();
  live.add(child);
  void child.status.then(() => live.delete(child));
  return child;
}

/**
 * Sends SIGTERM, waits up to 15 s, then SIGKILL. Resolves with the exit
 * code, or with `undefined` when SIGKILL was needed.
 */
export async function stopTracked(
  child: Deno.ChildProcess,
): Promise<number | undefined> {
  killQuietly(child, "SIGTERM");
  const outcome = await raceDeadline(child.status, STOP_TIMEOUT_MS);
  if (outcome !== LATE) return outcome.code;
  killQuietly(child, "SIGKILL");
  await child.status;
  return undefined;
}

/** SIGKILLs every tracked process that still runs (last-resort cleanup). */
export function killAll(): void {
  for (const child of live) killQuietly(child, "SIGKILL");
  live.clear();
}

/** Reads the memory of `pid`; throws when the process is gone. */
export function readMemory(pid: number): Memory {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const memory: Memory = { rssKiB: 0, hwmKiB: 0 };
  for (const match of status.matchAll(STATUS_FIELD_REGEXP)) {
    const kib = Number(match[2]);
    if (match[1] === "VmRSS") memory.rssKiB = kib;
    else memory.hwmKiB = kib;
  }
  return memory;
}

/** What a {@linkcode sampleMemory} run saw. */
export interface MemoryTrace {
  /** VmRSS just before the work started. */
  beforeKiB: number;
  /** Highest VmRSS seen while the work ran. */
  peakKiB: number;
  /** VmRSS right after the work ended. */
  afterKiB: number;
}

/**
 * Runs `work` while sampling the RSS of `pid` every `intervalMs`. With no
 * pid (a target without a process of its own) the trace is all zeros.
 */
export async function sampleMemory<T>(
  pid: number | undefined,
  work: () => Promise<T>,
  intervalMs = 50,
): Promise<{ result: T; memory: MemoryTrace }> {
  if (pid === undefined) {
    const result = await work();
    return { result, memory: { beforeKiB: 0, peakKiB: 0, afterKiB: 0 } };
  }
  const beforeKiB = readMemory(pid).rssKiB;
  let peakKiB = beforeKiB;
  const timer = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, readMemory(pid).rssKiB);
    } catch {
      // The process died; the work will fail and say why.
    }
  }, intervalMs);
  try {
    const result = await work();
    const afterKiB = readMemory(pid).rssKiB;
    peakKiB = Math.max(peakKiB, afterKiB);
    return { result, memory: { beforeKiB, peakKiB, afterKiB } };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Runs a program to completion with a deadline, for short helpers (curl,
 * a shell pipeline) and resolves with its stdout and stderr. Throws when it
 * fails or runs out of time.
 */
export async function runChecked(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; timeoutMs: number },
): Promise<{ stdout: string; stderr: string }> {
  const child = spawnTracked(command, {
    args,
    ...(options.env === undefined ? {} : { env: options.env, clearEnv: true }),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const timer = setTimeout(
    () => killQuietly(child, "SIGKILL"),
    options.timeoutMs,
  );
  try {
    const output = await child.output();
    const stdout = new TextDecoder().decode(output.stdout);
    const stderr = new TextDecoder().decode(output.stderr);
    if (!output.success) {
      throw new Error(
        `${command} failed: exit ${output.code}${
          output.signal ? ` (${output.signal})` : ""
        }: ${stderr.trim().slice(-1000)}`,
      );
    }
    return { stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}

globalThis.addEventListener("unload", killAll);
