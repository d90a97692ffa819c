/**
 * `deno task bench`: dockgate against the engine socket and against
 * HAProxy, side by side in one run.
 *
 * Starts a private dockerd (Unix socket plus a loopback TCP port), HAProxy
 * with bench/haproxy.cfg and dockgate, measures all three, prints the
 * report and writes it to bench/results.md. Everything stays on loopback
 * and on sockets in temp dirs; every process is ended at the end, also on
 * failure or Ctrl-C.
 *
 * Environment: BENCH_QUICK=1 for the seconds-long smoke run; BENCH_OUT for
 * another report path; BENCH_JSON to also write the raw results as JSON.
 *
 * @module
 */

import { ensureTinyImage } from "../tests/support/engine.ts";
import { createContainers } from "./containers.ts";
import { runCreateLoops } from "./create_loop.ts";
import { engineRssKiB, startBenchEngine } from "./engine.ts";
import {
  type Bench,
  checkAcl,
  holdEvents,
  measureSmall,
  measureStreams,
  perTarget,
  progress,
  requestStop,
} from "./measurements.ts";
import { killAll, readMemory } from "./processes.ts";
import { freePort } from "./probe.ts";
import { renderReport, withKeptNotes } from "./report.ts";
import type { BenchResults } from "./results.ts";
import { type BenchSettings, settingsFromEnv } from "./settings.ts";
import { measureStartup } from "./startup.ts";
import { prepareStreamFiles } from "./streaming.ts";
import {
  directTarget,
  startDockgateTarget,
  startHaproxyTarget,
} from "./targets.ts";
import {
  collectMachine,
  collectVersions,
  readLoadAverage,
} from "./versions.ts";

const DEFAULT_OUT = decodeURIComponent(
  new URL("./results.md", import.meta.url).pathname,
);

const cleanups: (() => Promise<void>)[] = [];

async function cleanUp(): Promise<void> {
  while (cleanups.length > 0) {
    await cleanups.pop()?.().catch((error) => {
      console.error(`bench: cleanup step failed: ${error}`);
    });
  }
}

/** Runs the whole bench and resolves with the results. */
async function runBench(settings: BenchSettings): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  const loadAtStart = readLoadAverage();
  const workDir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgb-run-" });
  cleanups.push(() => Deno.remove(workDir, { recursive: true }));
  progress("starting the engine");
  const engine = await startBenchEngine(freePort());
  cleanups.push(() => engine.stop());
  await ensureTinyImage(engine);
  const direct = directTarget(engine);
  const { runnerId, idleId } = await createContainers(
    direct.addr,
    settings.containers,
  );
  progress("starting haproxy and dockgate");
  const haproxy = await startHaproxyTarget(
    engine,
    freePort(),
    `${workDir}/haproxy.log`,
  );
  cleanups.push(() => haproxy.stop());
  const dockgate = await startDockgateTarget(
    engine,
    freePort(),
    `${workDir}/dockgate.log`,
  );
  cleanups.push(() => dockgate.stop());
  const bench: Bench = {
    settings,
    engine,
    targets: [direct, haproxy, dockgate],
    runnerId,
    idleId,
    workDir,
  };
  try {
    const acl = await checkAcl(bench);
    const small = await measureSmall(bench);
    progress("create + delete loop");
    const create = await runCreateLoops(
      bench.targets,
      settings.createPairs,
      settings.createTimeoutMs,
    );
    const files = await prepareStreamFiles(
      workDir,
      settings.archiveBytes,
      settings.execBytes,
    );
    const hwmBefore = readMemory(dockgate.pid!).hwmKiB;
    const streams = await measureStreams(bench, files);
    const hwmAfter = readMemory(dockgate.pid!).hwmKiB;
    const events = await perTarget(
      bench,
      (target) => holdEvents(bench, target),
    );
    progress("start-up runs");
    const startup = {
      haproxy: await measureStartup(
        engine,
        settings.startupRuns,
        `${workDir}/haproxy-startup.log`,
        startHaproxyTarget,
      ),
      dockgate: await measureStartup(
        engine,
        settings.startupRuns,
        `${workDir}/dockgate-startup.log`,
        startDockgateTarget,
      ),
    };
    return {
      startedAt,
      settings,
      machine: collectMachine(loadAtStart),
      versions: await collectVersions(direct.addr),
      acl,
      small,
      create,
      streams,
      dockgateHwmAroundStreams: { beforeKiB: hwmBefore, afterKiB: hwmAfter },
      events,
      startup,
      engineRssKiB: engineRssKiB(engine),
    };
  } catch (error) {
    for (const target of [haproxy, dockgate]) {
      console.error(`--- ${target.name} log (tail) ---\n${target.logTail()}`);
    }
    throw error;
  }
}

async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function main(): Promise<number> {
  const settings = settingsFromEnv();
  const out = Deno.env.get("BENCH_OUT") ?? DEFAULT_OUT;
  const jsonOut = Deno.env.get("BENCH_JSON");
  const interrupted = async () => {
    requestStop();
    progress("interrupted: stopping everything");
    await cleanUp();
    killAll();
    Deno.exit(130);
  };
  Deno.addSignalListener("SIGINT", interrupted);
  Deno.addSignalListener("SIGTERM", interrupted);
  try {
    const results = await runBench(settings);
    const report = renderReport(results);
    console.log(report);
    await Deno.writeTextFile(
      out,
      withKeptNotes(report, await readIfPresent(out)),
    );
    if (jsonOut !== undefined) {
      await Deno.writeTextFile(jsonOut, JSON.stringify(results, null, 2));
    }
    progress(`wrote ${out}`);
    return 0;
  } catch (error) {
    console.error(
      `bench failed: ${error instanceof Error ? error.stack : error}`,
    );
    return 1;
  } finally {
    await cleanUp();
    killAll();
    Deno.removeSignalListener("SIGINT", interrupted);
    Deno.removeSignalListener("SIGTERM", interrupted);
  }
}

if (import.meta.main) {
  Deno.exit(await main());
}
