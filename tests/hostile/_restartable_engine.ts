/**
 * A private dockerd that can be stopped and started again on the same
 * socket, for the fault test where the engine restarts under dockgate.
 * Same isolation as the shared test engine: its own temp dir for socket,
 * data root, exec root and pidfile, no firewall, no bridge.
 *
 * @module
 */

import { killQuietly } from "../support/docker_cli.ts";
import { LATE, raceDeadline } from "../support/deadline.ts";
import { waitForPing } from "../support/ping.ts";

/** A dockerd that can go down and come back on the same socket. */
export interface RestartableEngine {
  readonly dir: string;
  readonly socketPath: string;
  readonly dockerHost: string;
  /** Starts dockerd and resolves once `_ping` answers. */
  start(): Promise<void>;
  /** Stops dockerd (SIGTERM) and waits for it to exit. */
  halt(): Promise<void>;
  /** Halts if running, ends leftovers and removes the temp dir. */
  stop(): Promise<void>;
  logs(): string;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;
const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

const live = new Set<RestartableEngine>();

function enginePath(): string {
  return [Deno.env.get("PATH") ?? "/usr/bin:/bin", ...SBIN_DIRS].join(":");
}

/** Creates the engine's dir; call `start()` to run it. */
export async function createRestartableEngine(): Promise<RestartableEngine> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgr-" });
  const socketPath = `${dir}/engine.sock`;
  const logPath = `${dir}/engine.log`;
  await Deno.writeTextFile(`${dir}/daemon.json`, "{}\n");
  const args = [
    "--iptables=false",
    "--ip-forward=false",
    "--ip-masq=false",
    "--bridge=none",
    "--storage-driver=vfs",
    "--shutdown-timeout=3",
    `--host=unix://${socketPath}`,
    `--data-root=${dir}/data`,
    `--exec-root=${dir}/x`,
    `--pidfile=${dir}/dockerd.pid`,
    `--config-file=${dir}/daemon.json`,
  ];
  let child: Deno.ChildProcess | null = null;

  async function halt() {
    const running = child;
    child = null;
    if (running === null) return;
    killQuietly(running, "SIGTERM");
    if (await raceDeadline(running.status, STOP_TIMEOUT_MS) === LATE) {
      killQuietly(running, "SIGKILL");
      await running.status;
    }
  }

  const engine: RestartableEngine = {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    async start() {
      if (child !== null) return;
      child = new Deno.Command("sh", {
        args: ["-c", 'exec dockerd "$@" >>"$ENGINE_LOG" 2>&1', "sh", ...args],
        env: { PATH: enginePath(), ENGINE_LOG: logPath },
        clearEnv: true,
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn();
      live.add(engine);
      await waitForPing(socketPath, {
        timeoutMs: START_TIMEOUT_MS,
        stopped: child.status,
        what: "restartable dockerd",
      });
    },
    halt,
    async stop() {
      await halt();
      live.delete(engine);
      cleanUp(dir);
    },
    logs() {
      try {
        return Deno.readTextFileSync(logPath);
      } catch {
        return "";
      }
    },
  };
  return engine;
}

/** Ends processes that name `dir`, lifts mounts under it, removes it. */
function cleanUp(dir: string): void {
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${pid}/cmdline`).includes(`${dir}/`)) {
        Deno.kill(pid, "SIGKILL");
      }
    } catch {
      // Gone already, or not ours to read.
    }
  }
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo").split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((point) => point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    new Deno.Command("umount", {
      args: ["-l", point],
      stdout: "null",
      stderr: "null",
    }).outputSync();
  }
  Deno.removeSync(dir, { recursive: true });
}

globalThis.addEventListener("unload", () => {
  for (const engine of live) {
    // Synchronous: unload cannot wait. SIGKILL via the pidfile.
    try {
      const pid = Number(Deno.readTextFileSync(`${engine.dir}/dockerd.pid`));
      if (pid > 0) Deno.kill(pid, "SIGKILL");
    } catch {
      // No pidfile: the engine is not running.
    }
    try {
      cleanUp(engine.dir);
    } catch {
      // Best effort on the way out.
    }
  }
});
