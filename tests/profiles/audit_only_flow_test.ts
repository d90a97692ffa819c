/**
 * Audit-only mode with the real CLI and engine: nothing is refused, and
 * every request that would have been is logged as "audit-deny" with the
 * rule that would have refused it.
 */

import assert from "node:assert/strict";
import { describeResult, docker } from "../support/docker_cli.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";

integrationTest(
  "AUDIT_ONLY=1 lets docker ps through a closed section and logs audit-deny",
  () =>
    withDockgate({ AUDIT_ONLY: "1" }, async ({ host, gate }) => {
      for (const args of [["ps", "-a"], ["volume", "ls"]]) {
        const result = await docker(args, { host });
        assert.equal(
          result.code,
          0,
          describeResult(`docker ${args.join(" ")}`, result),
        );
      }
      // Audit records are written once the answer is out, and arrive here
      // through dockgate's stderr pipe: wait for them, boundedly.
      const auditDenials = () =>
        gate.logs().split("\n").filter((line) =>
          line.includes('"decision":"audit-deny"')
        ).map((line) => JSON.parse(line));
      let records = auditDenials();
      for (let tries = 0; records.length < 2 && tries < 50; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        records = auditDenials();
      }
      assert.deepEqual(
        records.map((record) => [record.level, record.rule, record.status]),
        [
          ["warn", "section:CONTAINERS", 200],
          ["warn", "section:VOLUMES", 200],
        ],
      );
    }),
  { skipBecause: DIRECT_MODE ? "needs dockgate's policy" : undefined },
);
