/**
 * The machine and the versions a bench run used, for the report.
 *
 * @module
 */

import { runChecked } from "./processes.ts";

/**
 * The first line a program prints, whatever its exit code: `wrk --version`
 * prints its version and then fails for want of a URL.
 */
async function firstLine(command: string, args: string[]): Promise<string> {
  try {
    const output = await new Deno.Command(command, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "null",
      signal: AbortSignal.timeout(30_000),
    }).output();
    return new TextDecoder().decode(output.stdout).split("\n")[0]?.trim() ??
      "";
  } catch {
    return "unknown";
  }
}

const REPO_ROOT = decodeURIComponent(new URL("..", import.meta.url).pathname);
const MAIN_PATH = `${REPO_ROOT}src/main.ts`;
const CPU_MODEL_REGEXP = /^model name\s*:\s*(.+)$/m;

/** The 1, 5 and 15 minute load averages, e.g. `0.52 0.40 0.31`. */
export function readLoadAverage(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3)
      .join(" ");
  } catch {
    return "unknown";
  }
}

/**
 * CPU count and model, memory, kernel, and the load average now and at
 * `loadAtStart`: a busy machine makes every number here worse.
 */
export function collectMachine(loadAtStart: string): {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  os: string;
  load: string;
} {
  let cpuModel = "unknown model";
  try {
    const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
    cpuModel = CPU_MODEL_REGEXP.exec(cpuinfo)?.[1]?.trim() ?? cpuModel;
  } catch {
    // Not Linux; the model stays unknown.
  }
  return {
    cpus: navigator.hardwareConcurrency,
    cpuModel,
    memoryGiB: Deno.systemMemoryInfo().total / 1024 ** 3,
    os: `${Deno.build.os} ${Deno.osRelease()}`,
    load: `${loadAtStart} at the start, ${readLoadAverage()} at the end`,
  };
}

/**
 * Versions of everything that took part. `engineAddr` is asked for its API
 * version. The git state is only read.
 */
export async function collectVersions(
  engineAddr: string,
): Promise<Record<string, string>> {
  const engine = await fetch(`http://${engineAddr}/version`, {
    signal: AbortSignal.timeout(10_000),
  }).then((response) => response.json()) as {
    Version?: string;
    ApiVersion?: string;
  };
  const dockgate = await firstLine(Deno.execPath(), [
    "run",
    "--allow-env",
    "--allow-read",
    MAIN_PATH,
    "--version",
  ]);
  const commit = await firstLine("git", [
    "-C",
    REPO_ROOT,
    "rev-parse",
    "--short",
    "HEAD",
  ]);
  const changed = await runChecked("git", [
    "-C",
    REPO_ROOT,
    "status",
    "--porcelain",
    "--",
    "src",
  ], { timeoutMs: 30_000 }).then(({ stdout }) => stdout, () => "");
  return {
    deno: Deno.version.deno,
    dockerd: `${engine.Version ?? "unknown"} (API ${
      engine.ApiVersion ?? "unknown"
    })`,
    haproxy: (await firstLine("/usr/sbin/haproxy", ["-v"]))
      .replace(/^HAProxy version /, "").split(" ")[0] ?? "unknown",
    dockgate: `${dockgate.replace(/^dockgate /, "")} (git ${commit}${
      changed.trim() === "" ? "" : ", with uncommitted changes in src/"
    })`,
    wrk: (await firstLine("/usr/bin/wrk", ["--version"]))
      .replace(/^wrk /, "").split(" ")[0] ?? "unknown",
    curl: (await firstLine("curl", ["--version"])).split(" ")[1] ?? "unknown",
    "docker CLI": (await firstLine("docker", ["--version"]))
      .replace(/^Docker version /, "").split(",")[0] ?? "unknown",
  };
}
