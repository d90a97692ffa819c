/**
 * dockgate on TCP, and dockgate talking to an engine over TCP: a second
 * gate forwards to the first one's TCP listener as its engine, and the
 * docker CLI works through both.
 */
import * as assert from "node:assert/strict";
import { docker, startDockgate } from "../support/dockgate.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { freePort } from "../support/free_port.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";

integrationTest(
  "dockgate listens on TCP and forwards to a tcp:// engine",
  async () => {
    const port = freePort();
    const open = { CONTAINERS: "1", POST: "1", DELETE: "1" };
    await withDockgate(
      { ...open, LISTEN_ADDR: `127.0.0.1:${port}` },
      async ({ engine }) => {
        const outer = await startDockgate({
          engine,
          env: { ...open, DOCKER_SOCKET: `tcp://127.0.0.1:${port}` },
        });
        try {
          const viaTcp = await docker(["ps", "-a", "-q"], {
            host: `tcp://127.0.0.1:${port}`,
          });
          assert.equal(viaTcp.code, 0, viaTcp.stderr);
          const run = await docker(
            ["run", "--rm", "-i", "--network", "none", "tiny:1", "cat"],
            { host: outer.dockerHost, stdin: "through two gates\n" },
          );
          assert.equal(run.code, 0, run.stderr);
          assert.equal(run.stdout, "through two gates\n");
        } finally {
          assert.equal(await outer.stop(), 0);
        }
      },
    );
  },
  { skipBecause: DIRECT_MODE ? "needs two real gates" : undefined },
);
