import assert from "node:assert/strict";
import {
  healthListener,
  type HealthTarget,
  healthTargets,
  probeHealth,
} from "../../src/cli/healthcheck.ts";
import { resolvePermissionScope } from "../../src/cli/permissions.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { freePort } from "../support/free_port.ts";
import { pingSocket } from "../support/ping.ts";
import {
  makeTestCertificates,
  opensslAvailable,
} from "../support/tls_certs.ts";
import {
  runSandboxed,
  type SandboxedGate,
  scopeWithSockets,
  startSandboxedGate,
  startStubEngine,
} from "./sandboxed_gate.ts";

const TARGET_CASES: {
  listen: { addr: string | null; socket: string | null };
  expected: string[];
}[] = [
  {
    listen: { addr: ":2375", socket: null },
    expected: ["127.0.0.1:2375", "::1:2375"],
  },
  {
    listen: { addr: "0.0.0.0:2375", socket: null },
    expected: ["127.0.0.1:2375", "::1:2375"],
  },
  {
    listen: { addr: "localhost:9000", socket: null },
    expected: ["127.0.0.1:9000", "::1:9000"],
  },
  {
    listen: { addr: "[::]:2375", socket: null },
    expected: ["::1:2375", "127.0.0.1:2375"],
  },
  { listen: { addr: "[::1]:2375", socket: null }, expected: ["::1:2375"] },
  {
    listen: { addr: "127.0.0.1:2375", socket: null },
    expected: ["127.0.0.1:2375"],
  },
  {
    listen: { addr: "127.0.0.1:2375", socket: "/run/dockgate/d.sock" },
    expected: ["unix:/run/dockgate/d.sock"],
  },
  { listen: { addr: null, socket: null }, expected: [] },
];

function show(target: HealthTarget): string {
  return target.transport === "unix"
    ? `unix:${target.path}`
    : `${target.hostname}:${target.port}`;
}

Deno.test("healthTargets() asks loopback for wildcard and localhost addresses, v4 first", () => {
  for (const { listen, expected } of TARGET_CASES) {
    assert.deepEqual(
      healthTargets(listen).map(show),
      expected,
      JSON.stringify(listen),
    );
  }
});

/** Table: which listener the healthcheck asks, from a config file. */
const LISTENER_CASES: { name: string; yaml: string; expected: string[] }[] = [
  {
    name: "listen: wins over listeners:",
    yaml: "listen: {socket: /run/dockgate/main.sock}\n" +
      "listeners: [{socket: /run/dockgate/a.sock}]\n",
    expected: ["unix:/run/dockgate/main.sock"],
  },
  {
    name: "the first of listeners: when listen: has none",
    yaml: "listeners:\n" +
      "  - {addr: '127.0.0.1:2380'}\n" +
      "  - {socket: /run/dockgate/b.sock}\n",
    expected: ["127.0.0.1:2380"],
  },
  {
    name: "a TLS listener is asked over TLS",
    yaml: "listeners:\n" +
      "  - addr: ':2376'\n" +
      "    tls: {cert_file: /etc/dockgate/c.pem, key_file: /etc/dockgate/k.pem}\n",
    expected: [
      "127.0.0.1:2376 tls:/etc/dockgate/c.pem",
      "::1:2376 tls:/etc/dockgate/c.pem",
    ],
  },
];

for (const { name, yaml, expected } of LISTENER_CASES) {
  Deno.test(`healthListener(): ${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dgh-" });
    try {
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml);
      const config = loadConfig({ env: {}, configFile: `${dir}/c.yaml` });
      const shown = healthTargets(healthListener(config)).map((target) =>
        target.transport === "tcp" && target.tlsCertFile !== undefined
          ? `${show(target)} tls:${target.tlsCertFile}`
          : show(target)
      );
      assert.deepEqual(shown, expected);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

/** A raw TCP server that answers each connection with `answer`. */
function rawServer(
  hostname: string,
  answer: string | null,
): { port: number; close(): Promise<void> } {
  const listener = Deno.listen({ hostname, port: 0 });
  const open = new Set<Deno.Conn>();
  const loop = (async () => {
    for await (const conn of listener) {
      open.add(conn);
      if (answer !== null) {
        await conn.read(new Uint8Array(1024)).catch(() => null);
        await conn.write(new TextEncoder().encode(answer)).catch(() => 0);
        conn.close();
        open.delete(conn);
      }
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed by the client.
        }
      }
      await loop.catch(() => {});
    },
  };
}

const PROBE_CASES: {
  name: string;
  answer: string | null;
  healthy: boolean;
  detail: RegExp;
}[] = [
  {
    name: "a 200 is healthy",
    answer: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK",
    healthy: true,
    detail: /^GET \/_ping on 127\.0\.0\.1:\d+ answered 200$/,
  },
  {
    name: "a 403 is not",
    answer: "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
    healthy: false,
    detail: /answered 403$/,
  },
  {
    name: "an answer that is not HTTP is not",
    answer: "SSH-2.0-OpenSSH\r\n",
    healthy: false,
    detail: /not an HTTP answer: "SSH-2\.0/,
  },
  {
    name: "silence ends at the deadline",
    answer: null,
    healthy: false,
    detail: /^no answer to GET \/_ping within 300 ms$/,
  },
];

for (const { name, answer, healthy, detail } of PROBE_CASES) {
  Deno.test(`probeHealth(): ${name}`, async () => {
    const server = rawServer("127.0.0.1", answer);
    try {
      const started = Date.now();
      const result = await probeHealth(
        [{ transport: "tcp", hostname: "127.0.0.1", port: server.port }],
        { timeoutMs: 300 },
      );
      assert.equal(result.healthy, healthy, result.detail);
      assert.match(result.detail, detail);
      assert.ok(Date.now() - started < 2_000, "bounded by the timeout");
    } finally {
      await server.close();
    }
  });
}

Deno.test("probeHealth() falls back to ::1 when 127.0.0.1 refuses", async () => {
  const server = rawServer("::1", "HTTP/1.1 200 OK\r\n\r\n");
  try {
    const targets = healthTargets({
      addr: `localhost:${server.port}`,
      socket: null,
    });
    const result = await probeHealth(targets);
    assert.equal(result.healthy, true, result.detail);
    assert.match(result.detail, /on \[::1\]:\d+ answered 200/);
  } finally {
    await server.close();
  }
});

Deno.test("probeHealth() reports why every target failed", async () => {
  const port = freePort();
  const result = await probeHealth(
    healthTargets({ addr: `127.0.0.1:${port}`, socket: null }),
  );
  assert.equal(result.healthy, false);
  assert.match(
    result.detail,
    new RegExp(`^no answer: 127\\.0\\.0\\.1:${port}: `),
  );
});

Deno.test({
  name:
    "probeHealth() speaks TLS, trusting the chain in the listener's cert_file",
  ignore: !opensslAvailable(),
  async fn() {
    const certs = await makeTestCertificates();
    const listener = Deno.listenTls({
      hostname: "127.0.0.1",
      port: 0,
      cert: await Deno.readTextFile(certs.certFile),
      key: await Deno.readTextFile(certs.keyFile),
    });
    const port = (listener.addr as Deno.NetAddr).port;
    const serving = (async () => {
      for await (const conn of listener) {
        void (async () => {
          try {
            await conn.read(new Uint8Array(1024));
            await conn.write(
              new TextEncoder().encode("HTTP/1.1 200 OK\r\n\r\n"),
            );
          } catch {
            // The probe gave up on the certificate.
          } finally {
            conn.close();
          }
        })();
      }
    })();
    try {
      const target = (file: string): HealthTarget[] => [
        { transport: "tcp", hostname: "127.0.0.1", port, tlsCertFile: file },
      ];
      const trusted = await probeHealth(target(certs.chainFile));
      assert.equal(trusted.healthy, true, trusted.detail);
      assert.match(trusted.detail, /on 127\.0\.0\.1:\d+ \(TLS\) answered 200/);
      // The leaf alone does not name its issuer: the chain cannot be
      // verified, and the probe must not answer healthy.
      const unverified = await probeHealth(target(certs.certFile));
      assert.equal(unverified.healthy, false, unverified.detail);
      assert.match(unverified.detail, /certificate/i);
    } finally {
      listener.close();
      await serving.catch(() => {});
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});

/** Runs `dockgate healthcheck` under the sandbox flags with `env`. */
function healthcheck(socketPaths: string[], env: Record<string, string>) {
  return runSandboxed("src/main.ts", ["healthcheck"], {
    scope: scopeWithSockets(socketPaths),
    env,
  });
}

/**
 * Runs `fn` against a sandboxed dockgate in front of a stub engine, both in
 * a new dir under /tmp. `settings` gets the dir and gives dockgate's
 * variables; DOCKER_SOCKET is added. `fn` gets the dir, the variables and
 * the gate, which must stop with exit code 0 after it.
 */
async function withStubbedGate(
  settings: (dir: string) => {
    env: Record<string, string>;
    ready: () => Promise<boolean>;
  },
  fn: (
    dir: string,
    env: Record<string, string>,
    gate: SandboxedGate,
  ) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgh-" });
  const engine = startStubEngine(`${dir}/engine.sock`);
  try {
    const { env, ready } = settings(dir);
    const gateEnv = { ...env, DOCKER_SOCKET: `unix://${engine.socketPath}` };
    const gate = await startSandboxedGate({
      scope: scopeWithSockets([dir]),
      env: gateEnv,
      ready,
    });
    try {
      await fn(dir, gateEnv, gate);
    } finally {
      assert.equal(await gate.stop(), 0, gate.logs());
    }
  } finally {
    await engine.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Settings of a gate on `dir/dockgate.sock`, ready once `_ping` answers `status`. */
function onSocket(extra: Record<string, string>, status: number) {
  return (dir: string) => {
    const socket = `${dir}/dockgate.sock`;
    return {
      env: { LISTEN_SOCKET: socket, ...extra },
      ready: async () => await pingSocket(socket) === status,
    };
  };
}

Deno.test("dockgate healthcheck exits 0 against a running dockgate and 1 once it stops", async () => {
  await withStubbedGate(onSocket({}, 200), async (dir, env, gate) => {
    const result = await healthcheck([dir], env);
    assert.equal(await gate.stop(), 0, gate.logs());
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /^dockgate: GET \/_ping on unix:\S+ answered 200\n$/,
    );
    const after = await healthcheck([dir], env);
    assert.equal(after.code, 1, after.stdout);
    assert.match(after.stderr, /^dockgate: no answer: unix:/);
  });
});

Deno.test("dockgate healthcheck finds a dockgate on ::1 when told localhost", async () => {
  const port = freePort("::1");
  const settings = () => ({
    env: { LISTEN_ADDR: `[::1]:${port}` },
    ready: async () =>
      (await probeHealth([{ transport: "tcp", hostname: "::1", port }]))
        .healthy,
  });
  await withStubbedGate(settings, async (dir) => {
    const result = await healthcheck([dir], {
      LISTEN_ADDR: `localhost:${port}`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /on \[::1\]:\d+ answered 200/);
  });
});

Deno.test("dockgate healthcheck exits 1 when policy closes PING", async () => {
  await withStubbedGate(onSocket({ PING: "0" }, 403), async (dir, env) => {
    const result = await healthcheck([dir], env);
    assert.equal(result.code, 1, result.stdout);
    assert.match(result.stderr, /answered 403\n$/);
  });
});

Deno.test({
  name:
    "dockgate healthcheck asks the first of listeners: over TLS, under the sandbox",
  ignore: !opensslAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgh-" });
    const certs = await makeTestCertificates();
    const engine = startStubEngine(`${dir}/engine.sock`);
    const port = freePort();
    const configFile = `${dir}/dockgate.yaml`;
    await Deno.writeTextFile(
      configFile,
      `docker: {socket: "unix://${dir}/engine.sock"}
listeners:
  - addr: 127.0.0.1:${port}
    tls: {cert_file: ${certs.chainFile}, key_file: ${certs.keyFile}}
`,
    );
    // The TLS files are read under the sandbox: only the config paths may
    // be read, so the certificate dir is one of them.
    const scope = resolvePermissionScope({
      DOCKGATE_SOCKET_PATHS: dir,
      DOCKGATE_CONFIG_PATHS: `${dir},${certs.dir}`,
    });
    const env = { DOCKGATE_CONFIG: configFile };
    try {
      const gate = await startSandboxedGate({
        scope,
        env,
        ready: async () =>
          (await probeHealth([{
            transport: "tcp",
            hostname: "127.0.0.1",
            port,
            tlsCertFile: certs.chainFile,
          }])).healthy,
      });
      let result;
      try {
        result = await runSandboxed("src/main.ts", ["healthcheck"], {
          scope,
          env,
        });
      } finally {
        assert.equal(await gate.stop(), 0, gate.logs());
      }
      assert.equal(result.code, 0, result.stderr);
      assert.equal(
        result.stdout,
        `dockgate: GET /_ping on 127.0.0.1:${port} (TLS) answered 200\n`,
      );
    } finally {
      await engine.close();
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(certs.dir, { recursive: true });
    }
  },
});
