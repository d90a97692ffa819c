/**
 * The measurements of a bench run, each taken through every target.
 *
 * @module
 */

import { createContainer, removeContainer } from "./containers.ts";
import type { BenchEngine } from "./engine.ts";
import { type EventStreams, openEventStreams } from "./event_streams.ts";
import { readMemory, sampleMemory } from "./processes.ts";
import { probeStatus } from "./probe.ts";
import type {
  AclCheck,
  EventRun,
  PerTarget,
  SmallRow,
  StreamRow,
  StreamRun,
} from "./results.ts";
import type { BenchSettings } from "./settings.ts";
import { median } from "./stats.ts";
import { runStream, STREAM_KINDS, type StreamFiles } from "./streaming.ts";
import { type Target, TARGET_NAMES, type TargetName } from "./targets.ts";
import { runWrk } from "./wrk.ts";

const API = "/v1.41";
const MIB = 1024 * 1024;
const SETTLE_MS = 1_000;

/** What the measurements need from the setup. */
export interface Bench {
  settings: BenchSettings;
  engine: BenchEngine;
  targets: Target[];
  /** A running container for archives and exec. */
  runnerId: string;
  /** A created container for `GET /containers/{id}/json`. */
  idleId: string;
  workDir: string;
}

/** Set by Ctrl-C or SIGTERM: no new measurement starts after that. */
let stopRequested = false;

/** Makes every later {@linkcode perTarget} call throw instead of measure. */
export function requestStop(): void {
  stopRequested = true;
}

/** Prints one line of progress to stderr. */
export function progress(message: string): void {
  console.error(`bench: ${message}`);
}

/**
 * Proves the two proxies enforce the same ACL before anything is timed:
 * allowed requests answer 200 everywhere, denied ones 403 from both
 * proxies. Throws on any other outcome.
 */
export async function checkAcl(bench: Bench): Promise<AclCheck[]> {
  const cases: { method: string; target: string; allowed: boolean }[] = [
    { method: "GET", target: "/_ping", allowed: true },
    { method: "GET", target: `${API}/containers/json`, allowed: true },
    { method: "GET", target: `${API}/info`, allowed: false },
    { method: "GET", target: `${API}/volumes`, allowed: false },
    { method: "PATCH", target: `${API}/containers/json`, allowed: false },
  ];
  const checks: AclCheck[] = [];
  for (const { method, target, allowed } of cases) {
    const statuses = await perTarget(
      bench,
      (t) => probeStatus(t.addr, method, target),
    );
    checks.push({
      request: `${method} ${target}`,
      expected: allowed ? "allow" : "deny",
      statuses,
    });
    for (const name of ["haproxy", "dockgate"] as const) {
      const wanted = allowed ? 200 : 403;
      if (statuses[name] !== wanted) {
        throw new Error(
          `ACL check failed: ${name} answered ${statuses[name]} to ` +
            `${method} ${target}, expected ${wanted}`,
        );
      }
    }
  }
  return checks;
}

/**
 * Small requests with wrk: each path at each concurrency through every
 * target, after a warm-up in the full run.
 */
export async function measureSmall(bench: Bench): Promise<SmallRow[]> {
  const { settings } = bench;
  const requests = [
    { label: "GET /_ping", path: "/_ping" },
    { label: "GET /containers/json", path: `${API}/containers/json?all=1` },
    {
      label: "GET /containers/{id}/json",
      path: `${API}/containers/${bench.idleId}/json`,
    },
  ];
  if (!settings.quick) {
    progress("warming up");
    await perTarget(
      bench,
      (target) =>
        runWrk({
          addr: target.addr,
          path: "/_ping",
          connections: 64,
          seconds: 2,
        }),
    );
  }
  const rows: SmallRow[] = [];
  for (const request of requests) {
    for (const connections of settings.connections) {
      progress(`wrk ${request.label}, ${connections} connections`);
      const results = await perTarget(bench, (target) =>
        runWrk({
          addr: target.addr,
          path: request.path,
          connections,
          seconds: settings.wrkSeconds,
        }), rows.length);
      rows.push({ label: request.label, connections, results });
    }
  }
  return rows;
}

/**
 * Every stream kind, `streamRuns` times through every target, sampling the
 * proxy's RSS during each run.
 */
export async function measureStreams(
  bench: Bench,
  files: StreamFiles,
): Promise<StreamRow[]> {
  const rows: StreamRow[] = [];
  for (const kind of STREAM_KINDS) {
    const runs = new Map<TargetName, StreamRun[]>();
    for (let run = 0; run < bench.settings.streamRuns; run++) {
      progress(`stream ${kind}, run ${run + 1}`);
      await perTarget(bench, async (target) => {
        const { result, memory } = await sampleMemory(
          target.pid,
          () =>
            runStream(kind, target.addr, bench.runnerId, files).then(
              (done) => ({ ...done, error: null }),
              (error: unknown) => ({
                bytes: 0,
                seconds: 0,
                error: error instanceof Error ? error.message : String(error),
              }),
            ),
        );
        const list = runs.get(target.name) ?? [];
        list.push({
          ...result,
          mibPerSecond: result.error === null
            ? result.bytes / MIB / result.seconds
            : 0,
          memory,
        });
        runs.set(target.name, list);
      }, run);
    }
    const results = {} as PerTarget<StreamRun>;
    for (const name of TARGET_NAMES) {
      results[name] = summarizeRuns(runs.get(name) ?? []);
    }
    rows.push({ kind, results });
  }
  return rows;
}

/**
 * The median run by speed, with the memory of all runs folded in; the
 * first failed run instead, if any failed.
 */
function summarizeRuns(runs: StreamRun[]): StreamRun {
  const speed = median(runs.map((run) => run.mibPerSecond));
  const chosen = runs.find((run) => run.error !== null) ??
    runs.find((run) => run.mibPerSecond === speed) ?? runs[0];
  if (chosen === undefined) throw new Error("no stream runs to summarize");
  return {
    ...chosen,
    memory: {
      beforeKiB: runs[0]?.memory.beforeKiB ?? 0,
      peakKiB: Math.max(...runs.map((run) => run.memory.peakKiB)),
      afterKiB: runs.at(-1)?.memory.afterKiB ?? 0,
    },
  };
}

/**
 * Holds the event streams open through `target` while wrk sends small
 * requests, then checks that every stream still delivers an event.
 */
export async function holdEvents(
  bench: Bench,
  target: Target,
): Promise<EventRun> {
  const { settings } = bench;
  progress(
    `${settings.eventStreams} event streams via ${target.name}, ` +
      `${settings.eventHoldSeconds} s`,
  );
  let streams: EventStreams | undefined;
  let openRssKiB = 0;
  try {
    const { result: load, memory } = await sampleMemory(
      target.pid,
      async () => {
        streams = await openEventStreams(target.addr, settings.eventStreams);
        if (target.pid !== undefined) {
          // What the open streams alone cost, before the load adds garbage.
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
          openRssKiB = readMemory(target.pid).rssKiB;
        }
        return await runWrk({
          addr: target.addr,
          path: "/_ping",
          connections: settings.eventLoadConnections,
          seconds: settings.eventHoldSeconds,
        });
      },
    );
    const open = streams!;
    const closedEarly = open.closedEarly();
    const marker = `bench-event-${target.name}-${Date.now()}`;
    const direct = bench.engine.tcpAddr;
    const id = await createContainer(direct, marker, ["true"]);
    const sawFinalEvent = await open.waitForMarker(marker, 10_000);
    await removeContainer(direct, id);
    return {
      requested: settings.eventStreams,
      opened: open.opened,
      closedEarly,
      sawFinalEvent,
      load,
      memory,
      openRssKiB,
    };
  } finally {
    streams?.close();
  }
}

/**
 * Runs `measure` for each target, one at a time. The order rotates with
 * `turn`, so no target always goes first (cold) or last (warm).
 */
export async function perTarget<T>(
  bench: Bench,
  measure: (target: Target) => Promise<T>,
  turn = 0,
): Promise<PerTarget<T>> {
  const count = bench.targets.length;
  const results: Partial<PerTarget<T>> = {};
  for (let step = 0; step < count; step++) {
    if (stopRequested) throw new Error("bench interrupted");
    const target = bench.targets[(step + turn) % count]!;
    results[target.name] = await measure(target);
  }
  return results as PerTarget<T>;
}
