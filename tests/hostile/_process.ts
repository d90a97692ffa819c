/**
 * Looking at a running dockgate from outside through /proc: its pid, open
 * file descriptors, resident memory, and whether it still runs.
 *
 * @module
 */

/**
 * The pid of the dockgate process listening on `socketPath`, found by the
 * LISTEN_SOCKET variable the harness started it with.
 */
export function findGatePid(socketPath: string): number {
  const wanted = `LISTEN_SOCKET=${socketPath}`;
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry.name)) continue;
    let environ: string;
    try {
      environ = Deno.readTextFileSync(`/proc/${entry.name}/environ`);
    } catch {
      continue;
    }
    if (environ.split("\0").includes(wanted)) return Number(entry.name);
  }
  throw new Error(`Cannot find the dockgate process for ${socketPath}`);
}

/** Number of open file descriptors of `pid`. */
export function openFds(pid: number): number {
  let count = 0;
  for (const _ of Deno.readDirSync(`/proc/${pid}/fd`)) count++;
  return count;
}

/** Resident memory of `pid` in KiB. */
export function rssKiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const match = /^VmRSS:\s+([0-9]+) kB$/m.exec(status);
  if (!match?.[1]) throw new Error(`No VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** True while `pid` exists and is not a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(stat.lastIndexOf(")") + 2).charAt(0);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Polls `check` every 50 ms until it holds or `ms` pass; returns it. */
export async function waitFor(
  check: () => boolean,
  ms: number,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/**
 * Polls until the open fd count of `pid` is at most `limit`, for up to
 * `ms`, and returns the last count (connections close asynchronously).
 */
export async function settledFds(
  pid: number,
  limit: number,
  ms: number,
): Promise<number> {
  let count = openFds(pid);
  await waitFor(() => (count = openFds(pid)) <= limit, ms);
  return count;
}
