/**
 * Start-up time and idle memory of fresh proxy processes, started and
 * stopped one after another next to the ones under load.
 *
 * @module
 */

import type { BenchEngine } from "./engine.ts";
import { readMemory } from "./processes.ts";
import { freePort } from "./probe.ts";
import type { StartupResult } from "./results.ts";
import { median } from "./stats.ts";
import type { Target } from "./targets.ts";

const SETTLE_MS = 1_000;

/**
 * Starts a proxy `runs` times with `start` and records the time to its first
 * served request and, for the first run, its RSS after a second of idling.
 */
export async function measureStartup(
  engine: BenchEngine,
  runs: number,
  logPath: string,
  start: (engine: BenchEngine, port: number, log: string) => Promise<Target>,
): Promise<StartupResult> {
  const runsMs: number[] = [];
  let idleRssKiB = 0;
  for (let run = 0; run < runs; run++) {
    const target = await start(engine, freePort(), logPath);
    try {
      runsMs.push(target.startMs);
      if (run === 0 && target.pid !== undefined) {
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
        idleRssKiB = readMemory(target.pid).rssKiB;
      }
    } finally {
      await target.stop();
    }
  }
  return { runsMs, medianMs: median(runsMs), idleRssKiB };
}
