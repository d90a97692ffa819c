/**
 * Runs one dockgate with a configuration file in front of the shared test
 * engine, for tests that need profiles and several listeners.
 *
 * @module
 */

import { LATE, raceDeadline } from "../support/deadline.ts";
import { type Dockgate, startDockgate } from "../support/dockgate.ts";
import {
  type Engine,
  ensureTinyImage,
  sharedEngine,
} from "../support/engine.ts";

/** What a test body gets from {@linkcode withConfiguredGate}. */
export interface ConfiguredScope {
  engine: Engine;
  gate: Dockgate;
  /** Temp dir holding the config file and the extra sockets. */
  dir: string;
  /** The config file, which the test may rewrite to trigger a reload. */
  configFile: string;
}

const BODY_TIMEOUT_MS = 180_000;

/**
 * Starts dockgate with the YAML that `configure(dir)` returns (written to
 * `dir/dockgate.yaml`) and `env`, runs `fn`, stops dockgate. The
 * harness's own socket serves the profile "default".
 */
export async function withConfiguredGate(
  configure: (dir: string) => string,
  env: Record<string, string>,
  fn: (scope: ConfiguredScope) => Promise<void>,
): Promise<void> {
  const engine = await sharedEngine();
  await ensureTinyImage(engine);
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgt-" });
  const configFile = `${dir}/dockgate.yaml`;
  await Deno.writeTextFile(configFile, configure(dir));
  let gate: Dockgate | undefined;
  try {
    gate = await startDockgate({ engine, env, configFile });
    const outcome = await raceDeadline(
      fn({ engine, gate, dir, configFile }),
      BODY_TIMEOUT_MS,
    );
    if (outcome === LATE) {
      throw new Error(`Test body still running after ${BODY_TIMEOUT_MS} ms`);
    }
    await gate.stop();
  } catch (error) {
    await gate?.stop().catch(() => undefined);
    const log = gate?.logs().slice(-4000) ?? "";
    if (error instanceof Error && log !== "") {
      error.message += `\n--- dockgate log (tail) ---\n${log}`;
    }
    throw error;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
}

/** Waits until `condition` holds, polling, or fails after `timeoutMs`. */
export async function eventually(
  what: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
}
