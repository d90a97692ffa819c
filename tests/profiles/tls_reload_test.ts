/**
 * TLS listeners across a reload: one added by a reload opens over TLS, and
 * one whose files change keeps serving its running certificate and says
 * in the log that the change takes a restart.
 */

import assert from "node:assert/strict";
import { probeHealth } from "../../src/cli/healthcheck.ts";
import { eventually } from "../ownership/_tenants.ts";
import { DIRECT_MODE, startDockgate } from "../support/dockgate.ts";
import { freePort } from "../support/free_port.ts";
import { integrationTest } from "../support/integration.ts";
import {
  makeTestCertificates,
  opensslAvailable,
  type TestCertificates,
} from "../support/tls_certs.ts";
import { startFakeEngine } from "./_fake_engine.ts";

/** Whether `GET /_ping` over TLS answers 200, trusting `certs`' CA. */
async function pingsTrusting(
  port: number,
  certs: TestCertificates,
): Promise<boolean> {
  const result = await probeHealth([{
    transport: "tcp",
    hostname: "127.0.0.1",
    port,
    tlsCertFile: certs.chainFile,
  }], { timeoutMs: 2000 });
  return result.healthy;
}

function tlsListener(port: number, certs: TestCertificates): string {
  return `listeners:
  - addr: 127.0.0.1:${port}
    tls: {cert_file: ${certs.certFile}, key_file: ${certs.keyFile}}
`;
}

integrationTest(
  "a reload opens a new TLS listener and keeps the running certificate of an open one",
  async () => {
    const first = await makeTestCertificates();
    const second = await makeTestCertificates();
    const engine = await startFakeEngine();
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgt-" });
    const configFile = `${dir}/dockgate.yaml`;
    const port = freePort();
    await Deno.writeTextFile(configFile, "sections: {containers: true}\n");
    const gate = await startDockgate({ engine, configFile });
    try {
      const reloads = () =>
        gate.logs().split("Configuration reloaded").length - 1;
      await Deno.writeTextFile(configFile, tlsListener(port, first));
      await eventually("the reload", () => reloads() === 1);
      await eventually("the TLS listener", () => pingsTrusting(port, first));

      await Deno.writeTextFile(configFile, tlsListener(port, second));
      await eventually("the second reload", () => reloads() === 2);
      assert.match(
        gate.logs(),
        new RegExp(
          `TLS of tcp://127\\.0\\.0\\.1:${port} changed, which takes a restart`,
        ),
      );
      assert.equal(await pingsTrusting(port, first), true);
      assert.equal(await pingsTrusting(port, second), false);
    } catch (error) {
      if (error instanceof Error) {
        error.message += `\n--- dockgate log ---\n${gate.logs().slice(-4000)}`;
      }
      throw error;
    } finally {
      await gate.stop();
      await engine.stop();
      for (const path of [dir, first.dir, second.dir]) {
        await Deno.remove(path, { recursive: true });
      }
    }
  },
  {
    skipBecause: DIRECT_MODE
      ? "needs dockgate itself"
      : !opensslAvailable()
      ? "needs openssl to make certificates"
      : undefined,
  },
);
