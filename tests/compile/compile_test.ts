/**
 * compile.sh: its refusals, its one-sentence failure without a runtime,
 * and, when a real denort is at hand (DENORT_BIN), a real sandboxed binary.
 *
 * No denort ships in any package this project can install, and the
 * machines that run these tests cannot download one, so the real build is
 * skipped with a printed reason unless DENORT_BIN is set.
 */

import assert from "node:assert/strict";
import { pingSocket } from "../support/ping.ts";
import {
  type Finished,
  repoPath,
  runIsolated,
  startStubEngine,
} from "../cli/sandboxed_gate.ts";

const SCRIPT = repoPath("compile.sh");
const VERSION = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")))
  .version;
const DENORT_BIN = Deno.env.get("DENORT_BIN");

const HOST_TARGETS: Record<string, string> = {
  "x86_64-linux": "x86_64-unknown-linux-gnu",
  "aarch64-linux": "aarch64-unknown-linux-gnu",
};
const HOST_TARGET = HOST_TARGETS[`${Deno.build.arch}-${Deno.build.os}`];
const OTHER_TARGET = HOST_TARGET === "x86_64-unknown-linux-gnu"
  ? "aarch64-unknown-linux-gnu"
  : "x86_64-unknown-linux-gnu";

/** Runs compile.sh with `env` on top of what deno needs, nothing else. */
function compile(
  env: Record<string, string>,
  args: string[] = [],
): Promise<Finished> {
  return runIsolated("bash", [SCRIPT, ...args], { env });
}

async function withDist(body: (dist: string) => Promise<void>) {
  const dist = await Deno.makeTempDir({ prefix: "dockgate-dist-" });
  try {
    await body(dist);
  } finally {
    await Deno.remove(dist, { recursive: true });
  }
}

function hasCommand(name: string): boolean {
  return new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "null",
    stderr: "null",
  }).outputSync().success;
}

const SHELLCHECK = hasCommand("shellcheck");
if (!SHELLCHECK) console.error("SKIP compile.sh lint: shellcheck not found");

Deno.test({
  name: "compile.sh is shellcheck clean",
  ignore: !SHELLCHECK,
  async fn() {
    const output = await new Deno.Command("shellcheck", {
      args: [SCRIPT],
      stdout: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stdout));
  },
});

Deno.test("compile.sh --help documents every variable it reads", async () => {
  const help = await compile({}, ["--help"]);
  assert.equal(help.code, 0, help.stderr);
  const script = Deno.readTextFileSync(SCRIPT);
  const read = new Set(
    [...script.matchAll(/\$\{((?:DOCKGATE|DENORT)_[A-Z_]+)/g)].map((m) => m[1]),
  );
  for (
    const name of [
      ...read,
      "DOCKGATE_ALLOW_NET",
      "DOCKGATE_SOCKET_PATHS",
      "DOCKGATE_CONFIG_PATHS",
    ]
  ) {
    assert.match(help.stdout, new RegExp(`^  ${name} `, "m"), String(name));
  }
});

/** Table: settings compile.sh must refuse before building anything. */
const REFUSALS: { name: string; env: Record<string, string>; error: RegExp }[] =
  [
    {
      name: "a DENORT_BIN that does not exist",
      env: { DENORT_BIN: "/nonexistent/denort" },
      error:
        /^compile\.sh: DENORT_BIN is not an executable file: \/nonexistent\/denort\n$/,
    },
    {
      name: "one DENORT_BIN for two targets",
      env: {
        DENORT_BIN: Deno.execPath(),
        DOCKGATE_TARGETS: "x86_64-unknown-linux-gnu,aarch64-unknown-linux-gnu",
      },
      error: /DOCKGATE_TARGETS must name exactly one\n$/,
    },
    {
      name: "a DENORT_BIN of another architecture",
      env: { DENORT_BIN: Deno.execPath(), DOCKGATE_TARGETS: OTHER_TARGET },
      error: new RegExp(`DENORT_BIN is not a runtime for ${OTHER_TARGET}: `),
    },
    {
      name: "a Windows target, whose engine dockgate cannot reach",
      env: { DOCKGATE_TARGETS: "x86_64-pc-windows-msvc" },
      error: /unsupported target: x86_64-pc-windows-msvc/,
    },
    {
      name: "an empty entry in a permission scope",
      env: {
        DENORT_BIN: Deno.execPath(),
        DOCKGATE_TARGETS: "host",
        DOCKGATE_SOCKET_PATHS: "/run/dockgate,,/x",
      },
      error: /DOCKGATE_SOCKET_PATHS has an empty entry/,
    },
  ];

for (const { name, env, error } of REFUSALS) {
  Deno.test(`compile.sh refuses ${name}`, async () => {
    await withDist(async (dist) => {
      const run = await compile({ ...env, DOCKGATE_DIST: dist });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, error);
      assert.deepEqual([...Deno.readDirSync(dist)], []);
    });
  });
}

Deno.test({
  name: "compile.sh removes a build whose runtime is not denort",
  ignore: HOST_TARGET === undefined,
  async fn() {
    // The deno CLI in place of denort yields a program that ignores the
    // embedded dockgate; the smoke test must catch it, not ship it.
    await withDist(async (dist) => {
      const run = await compile({
        DENORT_BIN: Deno.execPath(),
        DOCKGATE_DIST: dist,
      });
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(
        run.stderr,
        new RegExp(`instead of "dockgate ${VERSION}", so it was removed`),
      );
      assert.ok(
        ![...Deno.readDirSync(dist)].some((e) =>
          e.name.startsWith("dockgate-")
        ),
        "no binary left behind",
      );
    });
  },
});

Deno.test({
  name: "compile.sh without DENORT_BIN builds, or fails in one sentence",
  ignore: HOST_TARGET === undefined,
  async fn() {
    await withDist(async (dist) => {
      const run = await compile({
        DOCKGATE_TARGETS: "host",
        DOCKGATE_DIST: dist,
      });
      if (run.code === 0) {
        const binary = `${dist}/dockgate-${HOST_TARGET}`;
        const version = await new Deno.Command(binary, { args: ["--version"] })
          .output();
        assert.equal(
          new TextDecoder().decode(version.stdout),
          `dockgate ${VERSION}\n`,
        );
        return;
      }
      console.error("compile.sh could not fetch denort; checking its message");
      assert.equal(run.code, 1);
      const lines = run.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, run.stderr);
      assert.match(
        lines[0] ?? "",
        /^compile\.sh: cannot download the Deno runtime \(denort\) for \S+ and DENORT_BIN is not set: set DENORT_BIN to a denort [\d.]+ binary for \S+ to build offline$/,
      );
      assert.deepEqual([...Deno.readDirSync(dist)], []);
    });
  },
});

if (DENORT_BIN === undefined) {
  console.error(
    "SKIP compiled binary test: DENORT_BIN is not set, no package ships " +
      "denort and this machine cannot download it",
  );
}

Deno.test({
  name: "the compiled binary prints its version, serves, and keeps its sandbox",
  ignore: DENORT_BIN === undefined || HOST_TARGET === undefined,
  sanitizeResources: false,
  async fn() {
    await withDist(async (dist) => {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgb-" });
      const engine = startStubEngine(`${dir}/engine.sock`);
      try {
        const build = await compile({
          DENORT_BIN: DENORT_BIN ?? "",
          DOCKGATE_DIST: dist,
          DOCKGATE_SOCKET_PATHS: dir,
        });
        assert.equal(build.code, 0, build.stdout + build.stderr);
        const binary = `${dist}/dockgate-${HOST_TARGET}`;
        const socket = `${dir}/dockgate.sock`;
        const env = {
          LISTEN_SOCKET: socket,
          DOCKER_SOCKET: `unix://${engine.socketPath}`,
        };
        const gate = new Deno.Command(binary, {
          env,
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        try {
          const deadline = Date.now() + 20_000;
          while (await pingSocket(socket) !== 200) {
            assert.ok(Date.now() < deadline, "binary never answered _ping");
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          const health = await new Deno.Command(binary, {
            args: ["healthcheck"],
            env,
            clearEnv: true,
          }).output();
          assert.equal(health.code, 0);
        } finally {
          gate.kill("SIGTERM");
          assert.equal((await gate.output()).code, 0);
        }
        const outside = await new Deno.Command(binary, {
          env: { ...env, LISTEN_SOCKET: "/tmp/dockgate-outside.sock" },
          clearEnv: true,
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert.equal(outside.code, 2);
        assert.match(
          new TextDecoder().decode(outside.stdout) +
            new TextDecoder().decode(outside.stderr),
          /DOCKGATE_SOCKET_PATHS/,
        );
      } finally {
        await engine.close();
        await Deno.remove(dir, { recursive: true });
      }
    });
  },
});
