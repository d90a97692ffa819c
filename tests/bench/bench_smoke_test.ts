/**
 * Keeps `deno task bench` from rotting: runs the harness in its quick mode
 * (BENCH_QUICK=1, tiny sizes, about a second per measurement) against a
 * private engine, HAProxy and dockgate, and checks what it measured.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { integrationSkipped } from "../support/engine.ts";
import type { BenchResults } from "../../bench/results.ts";
import { TARGET_NAMES } from "../../bench/targets.ts";

const BENCH_MAIN = fileURLToPath(
  new URL("../../bench/main.ts", import.meta.url),
);
const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));
const TOOLS = ["/usr/sbin/haproxy", "/usr/bin/wrk", "/usr/bin/curl"];
/** The quick run takes about 45 s; the rest is slack for a slow machine. */
const DEADLINE_MS = 240_000;

function missingTool(): string | undefined {
  return TOOLS.find((path) => {
    try {
      return !Deno.statSync(path).isFile;
    } catch {
      return true;
    }
  });
}

const missing = missingTool();
if (missing !== undefined && !integrationSkipped()) {
  console.error(`SKIP bench smoke test: ${missing} not installed`);
}

/** Runs the quick bench; resolves with its results and its report. */
async function runQuickBench(dir: string) {
  const out = `${dir}/results.md`;
  const json = `${dir}/results.json`;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", BENCH_MAIN],
    cwd: REPO_ROOT,
    env: { BENCH_QUICK: "1", BENCH_OUT: out, BENCH_JSON: json },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // SIGTERM lets the harness stop its engine and proxies itself.
  const timer = setTimeout(() => child.kill("SIGTERM"), DEADLINE_MS);
  const output = await child.output().finally(() => clearTimeout(timer));
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, `bench exited ${output.code}:\n${stderr}`);
  const results = JSON.parse(await Deno.readTextFile(json)) as BenchResults;
  return { results, report: await Deno.readTextFile(out) };
}

Deno.test({
  name:
    "bench quick run measures direct, haproxy and dockgate without errors and writes the report",
  ignore: integrationSkipped() || missing !== undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "dockgate-bench-smoke-" });
    try {
      const { results, report } = await runQuickBench(dir);
      assert.equal(results.settings.quick, true);

      assert.equal(results.small.length, 6, "3 requests x 2 concurrencies");
      for (const row of results.small) {
        for (const name of TARGET_NAMES) {
          const run = row.results[name];
          const where = `${row.label} x${row.connections} via ${name}`;
          assert.ok(run.requests > 0, `no requests: ${where}`);
          assert.equal(run.errors, 0, `errors: ${where}`);
          assert.ok(run.p50Us > 0 && run.p99Us >= run.p50Us, where);
        }
      }

      for (const check of results.acl) {
        const wanted = check.expected === "allow" ? 200 : 403;
        assert.equal(check.statuses.dockgate, wanted, check.request);
        assert.equal(check.statuses.haproxy, wanted, check.request);
      }

      for (const name of TARGET_NAMES) {
        assert.equal(results.create[name].pairs, results.settings.createPairs);
      }

      for (const row of results.streams) {
        const expected = row.kind === "exec"
          ? results.settings.execBytes
          : results.settings.archiveBytes;
        for (const name of ["direct", "dockgate"] as const) {
          const run = row.results[name];
          assert.equal(run.error, null, `${row.kind} via ${name}`);
          assert.ok(run.bytes >= expected, `${row.kind} via ${name} bytes`);
          assert.ok(run.mibPerSecond > 0, `${row.kind} via ${name} speed`);
        }
        assert.ok(row.results.dockgate.memory.peakKiB > 0, "RSS sampled");
      }

      for (const name of TARGET_NAMES) {
        const events = results.events[name];
        const where = `event streams via ${name}`;
        assert.equal(events.opened, results.settings.eventStreams, where);
        assert.equal(events.closedEarly, 0, where);
        assert.equal(events.sawFinalEvent, events.requested, where);
        assert.equal(events.load.errors, 0, where);
      }
      assert.ok(results.events.dockgate.openRssKiB > 0, "stream RSS read");

      const { dockgate } = results.startup;
      assert.equal(dockgate.runsMs.length, results.settings.startupRuns);
      assert.ok(dockgate.medianMs > 0 && dockgate.idleRssKiB > 0);

      assert.match(report, /^Machine: \d+ CPUs/m);
      assert.match(report, /dockgate 0\.\d+\.\d+ \(git /);
      assert.match(report, /^## Targets \(issue #5\)$/m);
      assert.match(report, /^\| GET \/_ping \| 64 \| \d+ \| \d+ \| \d+ \|/m);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
