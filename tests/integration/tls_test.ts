/**
 * dockgate's TCP listener over TLS in front of a real engine: the docker
 * CLI, verifying the server against a CA made for the test, lists
 * containers and streams `run -i` through it, half-close included; a
 * client that speaks plain HTTP gets nothing.
 */
import * as assert from "node:assert/strict";
import { describeResult, docker } from "../support/docker_cli.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { freePort } from "../support/free_port.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";
import {
  makeTestCertificates,
  opensslAvailable,
} from "../support/tls_certs.ts";

integrationTest(
  "the docker CLI runs ps and run -i through a TLS listener",
  async () => {
    const certs = await makeTestCertificates();
    const port = freePort();
    const host = `tcp://127.0.0.1:${port}`;
    const tls = { DOCKER_TLS_VERIFY: "1", DOCKER_CERT_PATH: certs.clientDir };
    try {
      await withDockgate({
        CONTAINERS: "1",
        POST: "1",
        DELETE: "1",
        LISTEN_ADDR: `127.0.0.1:${port}`,
        TLS_CERT_FILE: certs.certFile,
        TLS_KEY_FILE: certs.keyFile,
      }, async () => {
        const ps = await docker(["ps", "-a"], { host, env: tls });
        assert.equal(ps.code, 0, describeResult("docker ps over TLS", ps));
        assert.match(ps.stdout, /^CONTAINER ID/);
        // `cat` ends only once the CLI half-closes its side after stdin,
        // through TLS, and the engine's answer still comes back.
        const run = await docker(
          ["run", "--rm", "-i", "--network", "none", "tiny:1", "cat"],
          { host, env: tls, stdin: "through TLS\n" },
        );
        assert.equal(run.code, 0, describeResult("docker run -i", run));
        assert.equal(run.stdout, "through TLS\n");
        const plain = await docker(["ps"], { host, timeoutMs: 15_000 });
        assert.notEqual(
          plain.code,
          0,
          describeResult("plain docker ps", plain),
        );
        assert.equal(plain.timedOut, false);
        assert.match(plain.stderr, /TLS-enabled daemon without TLS/);
      });
    } finally {
      await Deno.remove(certs.dir, { recursive: true });
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
