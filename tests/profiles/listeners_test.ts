/**
 * The whole proxy with profiles and listeners, in front of a fake engine
 * that records what reaches it: TCP clients chosen by address range and
 * bearer token, tokens kept from the engine and the logs, reloads, and the
 * admin listener.
 */

import assert from "node:assert/strict";
import { apiRequest } from "../ownership/_api.ts";
import { eventually } from "../ownership/_tenants.ts";
import { type Dockgate, startDockgate } from "../support/dockgate.ts";
import { runCommand } from "../support/docker_cli.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { freePort } from "../support/free_port.ts";
import { integrationTest } from "../support/integration.ts";
import { type FakeEngine, startFakeEngine } from "./_fake_engine.ts";

const CI_TOKEN = "ci-token-0123456789abcdef";
const OPS_TOKEN = "ops-token-0123456789abcdef";
const SKIP = DIRECT_MODE ? "needs dockgate itself" : undefined;

interface Scope {
  engine: FakeEngine;
  gate: Dockgate;
  dir: string;
  configFile: string;
}

async function withFakeEngineGate(
  yaml: (dir: string) => string,
  env: Record<string, string>,
  fn: (scope: Scope) => Promise<void>,
): Promise<void> {
  const engine = await startFakeEngine();
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgl-" });
  const configFile = `${dir}/dockgate.yaml`;
  await Deno.writeTextFile(`${dir}/ci.token`, `${CI_TOKEN}\n`);
  await Deno.writeTextFile(configFile, yaml(dir));
  let gate: Dockgate | undefined;
  try {
    gate = await startDockgate({ engine, env, configFile });
    await fn({ engine, gate, dir, configFile });
    await gate.stop();
  } catch (error) {
    await gate?.stop().catch(() => undefined);
    if (error instanceof Error && gate !== undefined) {
      error.message += `\n--- dockgate log ---\n${gate.logs().slice(-4000)}`;
    }
    throw error;
  } finally {
    await engine.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  }
}

integrationTest(
  "a TCP listener picks the profile by address and token, and the token reaches neither engine nor log",
  async () => {
    const port = freePort();
    await withFakeEngineGate(
      (dir) => `
profiles:
  ci:
    sections: {containers: true}
    tokens: [{file: ${dir}/ci.token}]
  ops:
    sections: {containers: true}
    tokens: [{env: OPS_TOKEN}]
listeners:
  - addr: 127.0.0.1:${port}
    clients:
      - cidr: 10.0.0.0/8
        profile: ops
      - cidr: [127.0.0.0/8, "::1"]
        profile: ci
`,
      { OPS_TOKEN },
      async ({ engine, gate, dir }) => {
        const tcp = { hostname: "127.0.0.1", port };
        const cases: [[string, string][], number][] = [
          [[], 403],
          [[["X-Dockgate-Token", CI_TOKEN]], 200],
          [[["Authorization", `Bearer ${CI_TOKEN}`]], 200],
          [[["X-Dockgate-Token", OPS_TOKEN]], 403],
          [[["X-Dockgate-Token", "wrong-token-0123456789"]], 403],
        ];
        for (const [headers, status] of cases) {
          const answer = await apiRequest(tcp, "GET", "/containers/json", {
            headers,
          });
          assert.equal(answer.status, status, JSON.stringify(headers));
          if (status === 403) {
            assert.match(
              (answer.json() as { message: string }).message,
              /^dockgate: no profile accepts this client .*\(rule listener\.no_profile\)$/,
            );
          }
        }
        // The docker CLI sends the header from its config file.
        const configDir = `${dir}/docker-config`;
        await Deno.mkdir(configDir);
        await Deno.writeTextFile(
          `${configDir}/config.json`,
          JSON.stringify({ HttpHeaders: { "X-Dockgate-Token": CI_TOKEN } }),
        );
        const env = {
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
          HOME: configDir,
          DOCKER_HOST: `tcp://127.0.0.1:${port}`,
        };
        const withToken = await runCommand("docker", ["ps", "-q"], {
          env: { ...env, DOCKER_CONFIG: configDir },
        });
        assert.equal(withToken.code, 0, withToken.stderr);
        const without = await runCommand("docker", ["ps", "-q"], {
          env: { ...env, DOCKER_CONFIG: `${dir}/no-config` },
        });
        assert.notEqual(without.code, 0);
        assert.match(without.stderr, /no profile accepts this client/);

        const forwarded = engine.heads.join("\n");
        assert.ok(engine.heads.length >= 3, forwarded);
        assert.doesNotMatch(forwarded, /authorization|x-dockgate-token/i);
        assert.ok(!forwarded.includes(CI_TOKEN));
        // Audit records follow the answers through a pipe: wait for them.
        for (let tries = 0; tries < 50; tries++) {
          if (gate.logs().includes('"profile":"ci"')) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        const logs = gate.logs();
        assert.ok(!logs.includes(CI_TOKEN) && !logs.includes(OPS_TOKEN));
        assert.match(logs, /"profile":"ci"/);
      },
    );
  },
  { skipBecause: SKIP },
);

/** One kept-alive connection that sends requests one after another. */
async function keepAlive(socket: string) {
  const conn = await Deno.connect({ transport: "unix", path: socket });
  let pending = new Uint8Array(0);
  const decoder = new TextDecoder();
  async function more(): Promise<void> {
    const buffer = new Uint8Array(65536);
    const count = await conn.read(buffer);
    if (count === null) throw new Error("connection closed");
    const joined = new Uint8Array(pending.length + count);
    joined.set(pending);
    joined.set(buffer.subarray(0, count), pending.length);
    pending = joined;
  }
  return {
    async get(path: string): Promise<number> {
      await conn.write(
        new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: d\r\n\r\n`),
      );
      let end = -1;
      while ((end = decoder.decode(pending).indexOf("\r\n\r\n")) < 0) {
        await more();
      }
      const head = decoder.decode(pending).slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
      assert.ok(Number.isInteger(length), head);
      while (pending.length < end + 4 + length) await more();
      pending = pending.slice(end + 4 + length);
      return Number(head.split(" ")[1]);
    },
    close: () => conn.close(),
  };
}

/** The pid of the dockgate started with `configFile`. */
function gatePid(configFile: string): number {
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.split("\0").includes(configFile)) return pid;
    } catch {
      // Gone.
    }
  }
  throw new Error(`no process runs with ${configFile}`);
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

integrationTest(
  "a reload applies to new connections, open ones keep their profile, an invalid file changes nothing",
  async () => {
    await withFakeEngineGate(
      () => "sections: {containers: true}\n",
      {},
      async ({ gate, configFile, dir }) => {
        const socket = gate.socketPath;
        const status = async () =>
          (await apiRequest({ socket }, "GET", "/containers/json")).status;
        const reloads = () => count(gate.logs(), "Configuration reloaded");
        const kept = await keepAlive(socket);
        try {
          assert.equal(await kept.get("/containers/json"), 200);
          await Deno.writeTextFile(
            configFile,
            "sections: {containers: false}\n",
          );
          await eventually("the reload", () => reloads() === 1);
          assert.equal(await status(), 403);
          assert.equal(await kept.get("/containers/json"), 200);

          await Deno.writeTextFile(
            configFile,
            "sections: {containers: maybe}\n",
          );
          await eventually(
            "the refused reload",
            () => gate.logs().includes("Configuration reload refused"),
          );
          assert.match(
            gate.logs(),
            /sections\.containers \(.*dockgate\.yaml:1:/,
          );
          assert.equal(await status(), 403);

          // SIGHUP reloads too, without any file event.
          await Deno.writeTextFile(
            configFile,
            "sections: {containers: true}\n",
          );
          await eventually("the second reload", () => reloads() === 2);
          assert.equal(await status(), 200);
          Deno.kill(gatePid(configFile), "SIGHUP");
          await eventually("the SIGHUP reload", () => reloads() === 3);
          assert.match(gate.logs(), /"reason":"SIGHUP"/);
          assert.equal(await status(), 200);

          // Listeners come and go with the configuration.
          const extra = `${dir}/extra.sock`;
          await Deno.writeTextFile(
            configFile,
            `sections: {containers: true}\nlisteners:\n  - socket: ${extra}\n`,
          );
          await eventually("the new listener", async () => {
            try {
              return (await apiRequest({ socket: extra }, "GET", "/_ping"))
                .status === 200;
            } catch {
              return false;
            }
          });
          // The harness's LISTEN_SOCKET still serves the default profile.
          assert.equal(await status(), 200);
          await Deno.writeTextFile(
            configFile,
            "sections: {containers: true}\n",
          );
          await eventually("the listener to close", async () => {
            try {
              await Deno.lstat(extra);
              return false;
            } catch {
              return true;
            }
          });
        } finally {
          kept.close();
        }
      },
    );
  },
  { skipBecause: SKIP },
);

integrationTest(
  "the admin listener answers /healthz by the engine's state and /metrics in Prometheus text",
  async () => {
    const port = freePort();
    await withFakeEngineGate(
      () => "{}\n",
      { ADMIN_ENABLED: "1", ADMIN_ADDR: `127.0.0.1:${port}` },
      async ({ engine, gate }) => {
        const admin = `http://127.0.0.1:${port}`;
        const healthy = await fetch(`${admin}/healthz`);
        assert.equal(healthy.status, 200);
        assert.deepEqual(await healthy.json(), {
          status: "ok",
          engine: "reachable",
        });
        assert.equal(
          (await apiRequest({ socket: gate.socketPath }, "GET", "/_ping"))
            .status,
          200,
        );
        await apiRequest(
          { socket: gate.socketPath },
          "GET",
          "/containers/json",
        );
        const metrics = await (await fetch(`${admin}/metrics`)).text();
        assert.match(
          metrics,
          /^dockgate_requests_total\{profile="default",section="PING",decision="allow",status="200"\} [1-9]/m,
        );
        assert.match(
          metrics,
          /^dockgate_requests_total\{profile="default",section="CONTAINERS",decision="deny",status="403"\} 1$/m,
        );
        assert.match(
          metrics,
          /^dockgate_open_connections\{listener="unix:\/\/.*"\} \d+$/m,
        );
        await engine.stop();
        const down = await fetch(`${admin}/healthz`);
        assert.equal(down.status, 503);
        assert.equal((await down.json()).status, "unavailable");
        const notFound = await fetch(`${admin}/containers/json`);
        assert.equal(notFound.status, 404);
        await notFound.body?.cancel();
      },
    );
  },
  { skipBecause: SKIP },
);
