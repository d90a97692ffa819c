/**
 * The short soak: twenty seconds of mixed CLI, stream, hijack and
 * malformed traffic through dockgate. The long one is `deno task soak`.
 */

import assert from "node:assert/strict";
import { integrationSkipped, sharedEngine } from "../support/engine.ts";
import { runSoak } from "./soak.ts";

Deno.test({
  name: "20 s of mixed traffic: no failed good request, no 5xx, no leak",
  ignore: integrationSkipped(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const report = await runSoak({
      engine: await sharedEngine(),
      durationMs: 20_000,
    });
    assert.ok(report.ok, JSON.stringify(report, null, 2));
    // The mix really ran: every kind of traffic completed some work.
    for (const kind of ["cli run", "hijack exec -i", "events"]) {
      assert.ok((report.operations[kind] ?? 0) > 0, `no ${kind} completed`);
    }
    assert.ok((report.statuses["4xx"] ?? 0) > 0, "no malformed client refused");
  },
});
