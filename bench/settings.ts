/**
 * Sizes and durations of a bench run: the full run of `deno task bench`
 * and the quick one (BENCH_QUICK=1) that the smoke test uses.
 *
 * @module
 */

const MIB = 1024 * 1024;

/** Everything that bounds a run. */
export interface BenchSettings {
  quick: boolean;
  /** Containers created (not started) for `GET /containers/json`. */
  containers: number;
  /** wrk duration per measurement, in whole seconds. */
  wrkSeconds: number;
  /** Concurrencies of the small-request runs; the first gives latency. */
  connections: readonly number[];
  /** Create-then-delete pairs per target, and the time cap on them. */
  createPairs: number;
  createTimeoutMs: number;
  /** Size of the archive uploaded and downloaded. */
  archiveBytes: number;
  /** Bytes piped through `docker exec -i <id> cat`. */
  execBytes: number;
  /** Repetitions of each stream; the median counts. */
  streamRuns: number;
  /** Open `GET /events` streams, how long they are held, and the load. */
  eventStreams: number;
  eventHoldSeconds: number;
  eventLoadConnections: number;
  /** Fresh dockgate starts for the start-up time; the median counts. */
  startupRuns: number;
}

const FULL: BenchSettings = {
  quick: false,
  containers: 20,
  wrkSeconds: 8,
  connections: [1, 64],
  createPairs: 100,
  createTimeoutMs: 120_000,
  archiveBytes: 512 * MIB,
  execBytes: 256 * MIB,
  streamRuns: 3,
  eventStreams: 1000,
  eventHoldSeconds: 30,
  eventLoadConnections: 16,
  startupRuns: 5,
};

const QUICK: BenchSettings = {
  quick: true,
  containers: 3,
  wrkSeconds: 1,
  connections: [1, 64],
  createPairs: 3,
  createTimeoutMs: 30_000,
  archiveBytes: 4 * MIB,
  execBytes: 2 * MIB,
  streamRuns: 1,
  eventStreams: 20,
  eventHoldSeconds: 2,
  eventLoadConnections: 4,
  startupRuns: 1,
};

/** The settings chosen by BENCH_QUICK (`1` for the quick run). */
export function settingsFromEnv(): BenchSettings {
  return Deno.env.get("BENCH_QUICK") === "1" ? QUICK : FULL;
}
