/**
 * The bench's private Docker engine.
 *
 * Like the test engine (tests/support/engine.ts) it keeps everything in one
 * temp dir and never touches the host's socket, firewall or forwarding, but
 * it also listens on a loopback TCP port, so `wrk` and the CLI can reach the
 * engine directly over the same transport as both proxies.
 *
 * @module
 */

import type { Engine } from "../tests/support/engine.ts";
import { waitForPing } from "../tests/support/ping.ts";
import { readMemory, spawnTracked, stopTracked } from "./processes.ts";

/** An engine that answers on a Unix socket and on 127.0.0.1. */
export interface BenchEngine extends Engine {
  /** `host:port` of the loopback TCP listener. */
  readonly tcpAddr: string;
  /** Pid of dockerd. */
  readonly pid: number;
}

const START_TIMEOUT_MS = 60_000;
const SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin";

/** Dirs of engines not yet stopped, swept at unload if the bench dies. */
const liveDirs = new Set<string>();

/** Starts dockerd on a Unix socket and on `127.0.0.1:<tcpPort>`. */
export async function startBenchEngine(tcpPort: number): Promise<BenchEngine> {
  // A short dir keeps containerd's socket paths under the 108-byte limit.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgb-" });
  const socketPath = `${dir}/engine.sock`;
  const logPath = `${dir}/engine.log`;
  const tcpAddr = `127.0.0.1:${tcpPort}`;
  // An empty daemon.json keeps a host-wide /etc/docker/daemon.json out.
  await Deno.writeTextFile(`${dir}/daemon.json`, "{}\n");
  const args = [
    "--iptables=false",
    "--ip-forward=false",
    "--ip-masq=false",
    "--bridge=none",
    "--storage-driver=vfs",
    "--shutdown-timeout=3",
    `--host=unix://${socketPath}`,
    `--host=tcp://${tcpAddr}`,
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/x`,
    `--pidfile=${dir}/dockerd.pid`,
    `--config-file=${dir}/daemon.json`,
  ];
  const path = `${Deno.env.get("PATH") ?? "/usr/bin:/bin"}:${SBIN_PATH}`;
  liveDirs.add(dir);
  const child = spawnTracked("sh", {
    args: ["-c", 'exec dockerd "$@" >"$ENGINE_LOG" 2>&1', "dockerd", ...args],
    env: { PATH: path, ENGINE_LOG: logPath },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  });
  const logs = () => {
    try {
      return Deno.readTextFileSync(logPath);
    } catch {
      return "";
    }
  };
  let stopped: Promise<void> | undefined;
  const engine: BenchEngine = {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    tcpAddr,
    pid: child.pid,
    logs,
    stop() {
      stopped ??= stopTracked(child).then(() => {
        liveDirs.delete(dir);
        sweep(dir);
      });
      return stopped;
    },
  };
  try {
    await waitForPing(socketPath, {
      timeoutMs: START_TIMEOUT_MS,
      stopped: child.status,
      what: "dockerd",
    });
  } catch (error) {
    const tail = logs().slice(-3000);
    await engine.stop();
    throw new Error(`Cannot start the bench engine: ${error}\n${tail}`);
  }
  return engine;
}

/** Resident memory of dockerd, for the record. */
export function engineRssKiB(engine: BenchEngine): number {
  return readMemory(engine.pid).rssKiB;
}

/**
 * Ends whatever the engine left behind (containerd, shims) when it had to be
 * killed, lifts its mounts and removes its dir. Only processes whose command
 * line names this dir are touched.
 */
function sweep(dir: string): void {
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.includes(`${dir}/`)) Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone while we looked.
    }
  }
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) {
    new Deno.Command("umount", {
      args: ["-l", mountPoint],
      stdout: "null",
      stderr: "null",
    }).outputSync();
  }
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

globalThis.addEventListener("unload", () => {
  // processes.ts has SIGKILLed dockerd already; its children remain.
  for (const dir of liveDirs) sweep(dir);
});
