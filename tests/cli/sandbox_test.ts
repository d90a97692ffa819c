/**
 * The permission sandbox is part of the product: under the flags of
 * `src/cli/permissions.ts` (those of `deno task start` and of the compiled
 * binary) dockgate cannot spawn, read or reach what it has no business
 * with, still serves the docker CLI, refuses at startup a socket outside
 * its scope, naming the flag to change, and can list its environment, so
 * that a misspelled filter variable stops it.
 */

import assert from "node:assert/strict";
import { describeResult, docker } from "../support/docker_cli.ts";
import {
  ensureTinyImage,
  sharedEngine,
  TINY_IMAGE,
} from "../support/engine.ts";
import { integrationTest } from "../support/integration.ts";
import { pingSocket } from "../support/ping.ts";
import {
  runSandboxed,
  scopeWithSockets,
  startSandboxedGate,
  startStubEngine,
} from "./sandboxed_gate.ts";

const PROBE = "tests/cli/sandbox_probe.ts";

const HOSTNAME_EXISTS = (() => {
  try {
    return Deno.statSync("/etc/hostname").isFile;
  } catch {
    return false;
  }
})();

/** Outcome of every probe, keyed by probe argument. */
async function probe(
  socketPaths: string[],
  probes: string[],
): Promise<Map<string, { outcome: string; value?: unknown }>> {
  const result = await runSandboxed(PROBE, probes, {
    scope: scopeWithSockets(socketPaths),
  });
  assert.equal(result.code, 0, result.stderr);
  const outcomes = new Map<string, { outcome: string; value?: unknown }>();
  for (const line of result.stdout.trim().split("\n")) {
    const parsed = JSON.parse(line);
    outcomes.set(parsed.probe, parsed);
  }
  return outcomes;
}

Deno.test("sandbox refuses subprocesses, FFI, system info and signals", async () => {
  const outcomes = await probe([], [
    "spawn",
    `kill:${Deno.pid}`,
    "ffi",
    "sys",
    "hostname",
  ]);
  for (const [name, { outcome }] of outcomes) {
    assert.equal(outcome, "NotCapable", `${name} was ${outcome}`);
  }
});

Deno.test("sandbox refuses files and sockets outside its scope", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dockgate-sandbox-" });
  const allowed = `${dir}/allowed`;
  const other = `${dir}/other`;
  await Deno.mkdir(allowed);
  await Deno.mkdir(other);
  await Deno.writeTextFile(`${other}/secret.txt`, "secret\n");
  await Deno.writeTextFile(`${allowed}/inside.txt`, "inside\n");
  // A live socket outside the scope: net is unscoped, so only the path
  // scopes keep dockgate from it.
  const stranger = startStubEngine(`${other}/stranger.sock`);
  const engineLike = startStubEngine(`${allowed}/engine.sock`);
  try {
    const outcomes = await probe(
      [`${allowed}/engine.sock`, `${allowed}/own`],
      [
        `read:${other}/secret.txt`,
        "read:/etc/shadow",
        "read:/etc/passwd",
        `read:${allowed}/inside.txt`,
        `write:${other}/new.txt`,
        `write:${allowed}/inside.txt`,
        `connect-unix:${other}/stranger.sock`,
        `connect-unix:${allowed}/engine.sock`,
        "read:/etc/hostname",
        "read:/etc/hosts",
        "read:/proc/self/mountinfo",
      ],
    );
    const expected: Record<string, string> = {
      [`read:${other}/secret.txt`]: "NotCapable",
      "read:/etc/shadow": "NotCapable",
      "read:/etc/passwd": "NotCapable",
      // Only the engine socket itself is granted, not files beside it.
      [`read:${allowed}/inside.txt`]: "NotCapable",
      [`write:${other}/new.txt`]: "NotCapable",
      [`write:${allowed}/inside.txt`]: "NotCapable",
      [`connect-unix:${other}/stranger.sock`]: "NotCapable",
      [`connect-unix:${allowed}/engine.sock`]: "allowed",
      // own_container.ts reads the container ID from /etc/hostname; the
      // grant is that file, not /etc.
      "read:/etc/hostname": HOSTNAME_EXISTS ? "allowed" : "NotFound",
      "read:/etc/hosts": "NotCapable",
      "read:/proc/self/mountinfo": "NotCapable",
    };
    for (const [name, outcome] of Object.entries(expected)) {
      assert.equal(outcomes.get(name)?.outcome, outcome, name);
    }
    assert.equal(await Deno.readTextFile(`${allowed}/inside.txt`), "inside\n");
  } finally {
    await stranger.close();
    await engineLike.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Table: misspelled filter variables, each of which must stop startup. */
const MISSPELLED_CASES = [
  { name: "DKRPRX__IMAGES__DENIED_TAG", why: "a dropped letter" },
  { name: "DKRPRX__IMAGE__DENIED_TAGS", why: "a misspelled group" },
];

/** Settings that keep dockgate off every socket but its own temp ones. */
function privateSockets(dir: string) {
  return {
    scope: scopeWithSockets([dir, `${dir}/engine.sock`]),
    env: {
      LISTEN_SOCKET: `${dir}/dockgate.sock`,
      DOCKER_SOCKET: `unix://${dir}/engine.sock`,
    },
  };
}

for (const { name, why } of MISSPELLED_CASES) {
  Deno.test(`sandboxed dockgate stops at startup on a misspelled filter variable: ${why}`, async () => {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgt-" });
    try {
      const { scope, env } = privateSockets(dir);
      const result = await runSandboxed("src/main.ts", [], {
        scope,
        env: { ...env, [name]: "x" },
      });
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 1, output);
      assert.ok(
        output.includes(
          `${name} (env): unknown DKRPRX setting: check the spelling`,
        ),
        output,
      );
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing listened");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test({
  name:
    "sandboxed dockgate starts with a correctly spelled filter variable among unrelated ones",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgt-" });
    const engine = startStubEngine(`${dir}/engine.sock`);
    try {
      const { scope, env } = privateSockets(dir);
      const gate = await startSandboxedGate({
        scope,
        env: {
          ...env,
          DKRPRX__IMAGES__DENIED_TAGS: "^latest$",
          SECRET_TOKEN: "hunter2",
        },
        ready: async () => await pingSocket(`${dir}/dockgate.sock`) === 200,
      });
      assert.equal(await gate.stop(), 0, gate.logs());
    } finally {
      await engine.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("dockgate refuses to start when it may not list its environment", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgt-" });
  try {
    const { scope, env } = privateSockets(dir);
    // The scoped grant dockgate once shipped with: under it a misspelled
    // variable could not be seen, so it must not start at all.
    const result = await runSandboxed("src/main.ts", [], {
      scope,
      env: { ...env, DKRPRX__IMAGES__DENIED_TAG: "x" },
      adjustFlags: (flags) =>
        flags.map((flag) =>
          flag === "--allow-env"
            ? "--allow-env=DKRPRX__*,LISTEN_SOCKET,DOCKER_SOCKET"
            : flag
        ),
    });
    const output = result.stdout + result.stderr;
    assert.equal(result.code, 1, output);
    assert.match(
      output,
      /env: cannot list the environment: grant it with an unscoped --allow-env/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing listened");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Table: a setting outside the scope, and what the error must name. */
const OUT_OF_SCOPE_CASES = [
  {
    name: "a listen socket outside the socket paths",
    env: (dir: string) => ({
      LISTEN_SOCKET: `${dir}/elsewhere/dockgate.sock`,
      DOCKER_SOCKET: `unix://${dir}/granted/engine.sock`,
    }),
    expect: [/--allow-read and --allow-write/, /DOCKGATE_SOCKET_PATHS/],
  },
  {
    name: "an engine socket outside the socket paths",
    env: (dir: string) => ({
      LISTEN_SOCKET: `${dir}/granted/dockgate.sock`,
      DOCKER_SOCKET: `unix://${dir}/elsewhere/engine.sock`,
    }),
    expect: [/reach the engine at \S*elsewhere\/engine\.sock/, /--allow-read/],
  },
  {
    name: "a TLS certificate outside the config paths",
    env: (dir: string) => ({
      LISTEN_SOCKET: `${dir}/granted/dockgate.sock`,
      LISTEN_ADDR: "127.0.0.1:0",
      TLS_CERT_FILE: `${dir}/elsewhere/cert.pem`,
      TLS_KEY_FILE: `${dir}/elsewhere/key.pem`,
      DOCKER_SOCKET: `unix://${dir}/granted/engine.sock`,
    }),
    expect: [
      /cannot read the TLS certificate of 127\.0\.0\.1:0: no read access/,
      /--allow-read \(compile\.sh: DOCKGATE_CONFIG_PATHS\)/,
    ],
  },
];

for (const testCase of OUT_OF_SCOPE_CASES) {
  Deno.test(`dockgate refuses to start with ${testCase.name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dockgate-scope-" });
    try {
      await Deno.mkdir(`${dir}/granted`);
      await Deno.mkdir(`${dir}/elsewhere`);
      const result = await runSandboxed("src/main.ts", [], {
        scope: scopeWithSockets([
          `${dir}/granted`,
          `${dir}/granted/engine.sock`,
        ]),
        env: testCase.env(dir),
      });
      const output = result.stdout + result.stderr;
      assert.equal(result.code, 2, output);
      for (const pattern of testCase.expect) assert.match(output, pattern);
      assert.deepEqual(
        [...Deno.readDirSync(`${dir}/elsewhere`)],
        [],
        "dockgate created nothing outside its scope",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("dockgate refuses a token file outside the config paths, naming the variable", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dockgate-scope-" });
  try {
    await Deno.mkdir(`${dir}/granted`);
    await Deno.writeTextFile(`${dir}/ci.token`, "ci-token-0123456789abcdef\n");
    const result = await runSandboxed("src/main.ts", [], {
      scope: scopeWithSockets([`${dir}/granted`]),
      env: {
        LISTEN_SOCKET: `${dir}/granted/dockgate.sock`,
        DOCKER_SOCKET: `unix://${dir}/granted/engine.sock`,
        TOKEN_FILE: `${dir}/ci.token`,
      },
    });
    const output = result.stdout + result.stderr;
    assert.equal(result.code, 1, output);
    assert.ok(
      output.includes(
        `TOKEN_FILE (env): cannot read token file ${dir}/ci.token: no read ` +
          `access to "${dir}/ci.token"; grant it with --allow-read ` +
          "(compile.sh: DOCKGATE_CONFIG_PATHS)",
      ),
      output,
    );
    assert.doesNotMatch(output, /run again/);
    assert.deepEqual([...Deno.readDirSync(`${dir}/granted`)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

integrationTest(
  "sandboxed dockgate serves ping, ps, run -i and exec -i",
  async () => {
    const engine = await sharedEngine();
    await ensureTinyImage(engine);
    const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgs-" });
    const socketPath = `${dir}/dockgate.sock`;
    const gate = await startSandboxedGate({
      scope: scopeWithSockets([dir, engine.socketPath]),
      env: {
        LISTEN_SOCKET: socketPath,
        DOCKER_SOCKET: engine.dockerHost,
        CONTAINERS: "1",
        POST: "1",
        DELETE: "1",
        EXEC: "1",
      },
      ready: async () => await pingSocket(socketPath) === 200,
    });
    const host = `unix://${socketPath}`;
    let id = "";
    try {
      const version = await docker([
        "version",
        "--format",
        "{{.Server.APIVersion}}",
      ], { host });
      assert.equal(version.code, 0, describeResult("docker version", version));
      const ps = await docker(["ps", "-a"], { host });
      assert.equal(ps.code, 0, describeResult("docker ps -a", ps));
      const run = await docker(
        ["run", "--rm", "-i", "--network", "none", TINY_IMAGE, "cat"],
        { host, stdin: "through the sandbox\n" },
      );
      assert.equal(run.code, 0, describeResult("docker run -i", run));
      assert.equal(run.stdout, "through the sandbox\n");
      const started = await docker(
        ["run", "-d", "--network", "none", TINY_IMAGE, "sleep", "60"],
        { host },
      );
      assert.equal(started.code, 0, describeResult("docker run -d", started));
      id = started.stdout.trim();
      const exec = await docker(["exec", "-i", id, "cat"], {
        host,
        stdin: "exec in the sandbox\n",
      });
      assert.equal(exec.code, 0, describeResult("docker exec -i", exec));
      assert.equal(exec.stdout, "exec in the sandbox\n");
    } catch (error) {
      if (error instanceof Error) {
        error.message += `\n--- dockgate log ---\n${gate.logs().slice(-3000)}`;
      }
      throw error;
    } finally {
      if (id !== "") {
        await docker(["rm", "-f", id], { host: engine.dockerHost });
      }
      assert.equal(await gate.stop(), 0, gate.logs().slice(-3000));
      await Deno.remove(dir, { recursive: true });
    }
  },
);
