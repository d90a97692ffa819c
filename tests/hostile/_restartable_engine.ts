/**
 * A private dockerd that can be stopped and started again on the same
 * socket, for the fault test where the engine restarts under dockgate.
 * Same isolation as the shared test engine: its own temp dir for socket,
 * data root, exec root and pidfile, no firewall, no bridge.
 *
 * @module
 */

import {
  makeEngineFiles,
  readEngineLog,
  removeEngineDir,
  spawnDockerd,
  stopDockerd,
  waitForDockerd,
} from "../support/engine.ts";

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

const live = new Set<RestartableEngine>();

/** Creates the engine's dir; call `start()` to run it. */
export async function createRestartableEngine(): Promise<RestartableEngine> {
  const files = await makeEngineFiles("dgr-");
  const { dir, socketPath } = files;
  let child: Deno.ChildProcess | null = null;

  async function halt() {
    const running = child;
    child = null;
    if (running !== null) await stopDockerd(running);
  }

  const engine: RestartableEngine = {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    async start() {
      if (child !== null) return;
      child = spawnDockerd(files);
      live.add(engine);
      await waitForDockerd(files, child, "restartable dockerd");
    },
    halt,
    async stop() {
      await halt();
      live.delete(engine);
      removeEngineDir(dir);
    },
    logs: () => readEngineLog(files),
  };
  return engine;
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
      removeEngineDir(engine.dir);
    } catch {
      // Best effort on the way out.
    }
  }
});
