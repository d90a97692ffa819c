/**
 * Glue for integration tests: registration with the skip rule and a scope
 * that runs one dockgate in front of the shared engine.
 *
 * @module
 */

import { LATE, raceDeadline } from "./deadline.ts";
import { type Dockgate, startDockgate } from "./dockgate.ts";
import {
  type Engine,
  ensureTinyImage,
  integrationSkipped,
  sharedEngine,
} from "./engine.ts";

const DEFAULT_BODY_TIMEOUT_MS = 120_000;

/** What a test body gets from {@linkcode withDockgate}. */
export interface GateScope {
  engine: Engine;
  gate: Dockgate;
  /** DOCKER_HOST of the gate, for {@linkcode docker}. */
  host: string;
}

/** Options of {@linkcode integrationTest}. */
export interface IntegrationTestOptions {
  /** Extra reason to skip this one test; printed when set. */
  skipBecause?: string | undefined;
}

/**
 * Registers a test that needs the shared engine.
 *
 * Resource and op sanitizers are off: the engine process outlives the test
 * that happened to start it, by design.
 */
export function integrationTest(
  name: string,
  fn: () => Promise<void>,
  options: IntegrationTestOptions = {},
): void {
  const skipBecause = options.skipBecause;
  if (skipBecause !== undefined && !integrationSkipped()) {
    console.error(`SKIP ${name}: ${skipBecause}`);
  }
  Deno.test({
    name,
    ignore: integrationSkipped() || skipBecause !== undefined,
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

/**
 * Starts dockgate with `env` in front of the shared engine (which gets the
 * image tiny:1), runs `fn`, and stops dockgate, which must exit 0. When `fn`
 * fails, the error carries the tail of dockgate's log. A body still running
 * after `timeoutMs` (default 120 s) fails the test instead of hanging it.
 */
export async function withDockgate(
  env: Record<string, string>,
  fn: (scope: GateScope) => Promise<void>,
  timeoutMs = DEFAULT_BODY_TIMEOUT_MS,
): Promise<void> {
  const engine = await sharedEngine();
  await ensureTinyImage(engine);
  const gate = await startDockgate({ engine, env });
  try {
    const outcome = await raceDeadline(
      fn({ engine, gate, host: gate.dockerHost }),
      timeoutMs,
    );
    if (outcome === LATE) {
      throw new Error(`Test body still running after ${timeoutMs} ms`);
    }
  } catch (error) {
    await gate.stop().catch(() => undefined);
    const log = gate.logs().slice(-3000);
    if (error instanceof Error && log !== "") {
      error.message += `\n--- dockgate log (tail) ---\n${log}`;
    }
    throw error;
  }
  await gate.stop();
}
