/**
 * The Containerfile cannot be built here (no base images can be pulled),
 * so these tests read it, check what it promises, and run dockgate and
 * `dockgate healthcheck` with the environment and the permissions the
 * image would have, inside a private network namespace where `:2375`
 * reaches nothing but loopback.
 */

import assert from "node:assert/strict";
import {
  permissionFlags,
  resolvePermissionScope,
} from "../../src/cli/permissions.ts";
import { killQuietly } from "../support/docker_cli.ts";
import { repoPath, startStubEngine } from "./sandboxed_gate.ts";

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Instructions per stage; continuation lines joined, comments dropped. */
function parseContainerfile(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  const preamble: Instruction[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#") || (line === "" && pending === "")) continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const whole = (pending + line).trim();
    pending = "";
    const space = whole.indexOf(" ");
    const instruction = {
      keyword: whole.slice(0, space).toUpperCase(),
      args: whole.slice(space + 1).trim(),
    };
    if (instruction.keyword === "FROM") stages.push([]);
    (stages[stages.length - 1] ?? preamble).push(instruction);
  }
  return [preamble, ...stages];
}

/** `key=value` pairs of ENV, ARG or LABEL; values may be double-quoted. */
function pairs(args: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of args.matchAll(/([\w.-]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    const value = match[2] ?? "";
    found.set(
      match[1] ?? "",
      value.startsWith('"') ? JSON.parse(value) : value,
    );
  }
  return found;
}

function all(stage: Instruction[], keyword: string): Instruction[] {
  return stage.filter((instruction) => instruction.keyword === keyword);
}

function only(stage: Instruction[], keyword: string): Instruction {
  const found = all(stage, keyword);
  assert.equal(found.length, 1, `one ${keyword}`);
  return found[0] as Instruction;
}

const TEXT = Deno.readTextFileSync(repoPath("Containerfile"));
const [PREAMBLE = [], BUILD = [], FINAL = [], ...EXTRA] = parseContainerfile(
  TEXT,
);
const BINARY = "/usr/local/bin/dockgate";
const VERSION = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")))
  .version;

function buildArgs(): Map<string, string> {
  const args = new Map<string, string>();
  for (const instruction of all(BUILD, "ARG")) {
    for (const [key, value] of pairs(instruction.args)) args.set(key, value);
  }
  return args;
}

function imageEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of all(FINAL, "ENV")) {
    for (const [key, value] of pairs(instruction.args)) env[key] = value;
  }
  return env;
}

Deno.test("Containerfile builds with compile.sh in a Deno stage and ships on distroless cc", () => {
  assert.equal(EXTRA.length, 0, "exactly two stages");
  const denoVersion = pairs(only(PREAMBLE, "ARG").args).get("DENO_VERSION");
  const ciRun = Deno.readTextFileSync(repoPath(".ci/run"));
  assert.match(ciRun, new RegExp(`DENO_VERSION="${denoVersion}"`));
  assert.match(
    only(BUILD, "FROM").args,
    /^--platform=\$BUILDPLATFORM \S*denoland\/deno:debian-\$\{DENO_VERSION\} AS build$/,
  );
  assert.match(only(BUILD, "RUN").args, /\.\/compile\.sh/);
  assert.equal(
    only(FINAL, "FROM").args,
    "gcr.io/distroless/cc-debian12:nonroot",
  );
  assert.equal(
    only(FINAL, "COPY").args,
    `--from=build /out/dockgate ${BINARY}`,
  );
});

Deno.test("Containerfile runs dockgate as a non-root user with the documented settings", () => {
  assert.deepEqual(JSON.parse(only(FINAL, "ENTRYPOINT").args), [BINARY]);
  assert.deepEqual(imageEnv(), { LISTEN_ADDR: ":2375" });
  assert.equal(only(FINAL, "EXPOSE").args, "2375");
  const [user, group] = only(FINAL, "USER").args.split(":");
  assert.ok(Number(user) > 0 && Number(group) > 0, "numeric, not root");
  assert.match(TEXT, /--group-add "\$\(stat -c %g \/var\/run\/docker\.sock\)"/);
  assert.match(TEXT, /--read-only/);
});

Deno.test("Containerfile checks health with the binary itself, within its timeout", () => {
  const { args } = only(FINAL, "HEALTHCHECK");
  const command = args.slice(args.indexOf("CMD ") + 4);
  assert.deepEqual(JSON.parse(command), [BINARY, "healthcheck"]);
  const timeout = /--timeout=(\d+)s/.exec(args)?.[1];
  // probeHealth gives up after 3 s by default; Docker must wait longer.
  assert.ok(Number(timeout) > 3, `--timeout=${timeout}s`);
});

Deno.test("Containerfile labels follow OCI and carry the deno.json version", () => {
  const labels = pairs(all(FINAL, "LABEL").map((l) => l.args).join(" "));
  const version = pairs(only(FINAL, "ARG").args).get("VERSION");
  assert.equal(version, VERSION);
  assert.equal(labels.get("org.opencontainers.image.version"), "${VERSION}");
  assert.equal(labels.get("org.opencontainers.image.title"), "dockgate");
  assert.ok(labels.has("org.opencontainers.image.description"));
});

/** Why the namespace test cannot run here, or undefined when it can. */
function namespaceProblem(): string | undefined {
  if (Deno.uid() !== 0) return "not root, which unshare -n needs";
  for (const tool of ["unshare", "nsenter", "ip"]) {
    const found = new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (!found.success) return `${tool} not found (util-linux, iproute2)`;
  }
  return undefined;
}

const NAMESPACE_PROBLEM = namespaceProblem();
if (NAMESPACE_PROBLEM !== undefined) {
  console.error(`SKIP Containerfile healthcheck tests: ${NAMESPACE_PROBLEM}`);
}

/** A network namespace with only loopback, held open by a sleeping shell. */
async function withNetworkNamespace(
  setup: string,
  body: (enter: string[]) => Promise<void>,
): Promise<void> {
  const holder = new Deno.Command("unshare", {
    args: ["-n", "sh", "-c", `${setup} && echo ready && exec sleep 300`],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const reader = holder.stdout.getReader();
    const first = await reader.read();
    reader.releaseLock();
    void holder.stdout.cancel();
    assert.match(new TextDecoder().decode(first.value), /ready/);
    await body(["nsenter", "-t", String(holder.pid), "-n", "--"]);
  } finally {
    killQuietly(holder, "SIGKILL");
    await holder.status;
  }
}

/** Environment every child deno needs, without the caller's policy. */
function denoEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

const NAMESPACE_CASES = [
  {
    name: "the image's LISTEN_ADDR on an IPv4 loopback",
    setup: "ip link set lo up",
    listenAddr: undefined,
  },
  {
    name: "LISTEN_ADDR=[::]:2375 on a host whose loopback has no IPv4",
    setup: "ip link set lo up && ip addr del 127.0.0.1/8 dev lo",
    listenAddr: "[::]:2375",
  },
];

for (const testCase of NAMESPACE_CASES) {
  Deno.test({
    name:
      `dockgate healthcheck passes with the image's env and permissions: ${testCase.name}`,
    ignore: NAMESPACE_PROBLEM !== undefined,
    sanitizeResources: false,
    async fn() {
      const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgc-" });
      const engine = startStubEngine(`${dir}/engine.sock`);
      const args = buildArgs();
      // The image's scopes, plus the stand-in engine: the image's own
      // engine path, /var/run/docker.sock, is never touched by tests.
      const flags = permissionFlags(resolvePermissionScope({
        DOCKGATE_ALLOW_NET: `${
          args.get("DOCKGATE_ALLOW_NET")
        },unix:${engine.socketPath}`,
        DOCKGATE_SOCKET_PATHS: `${
          args.get("DOCKGATE_SOCKET_PATHS")
        },${engine.socketPath}`,
        DOCKGATE_CONFIG_PATHS: args.get("DOCKGATE_CONFIG_PATHS") ?? "",
      }));
      const env = {
        ...denoEnv(),
        ...imageEnv(),
        ...(testCase.listenAddr === undefined
          ? {}
          : { LISTEN_ADDR: testCase.listenAddr }),
        DOCKER_SOCKET: `unix://${engine.socketPath}`,
      };
      const main = repoPath("src/main.ts");
      try {
        await withNetworkNamespace(testCase.setup, async (enter) => {
          const run = (extra: string[]) =>
            new Deno.Command(enter[0] ?? "nsenter", {
              args: [
                ...enter.slice(1),
                Deno.execPath(),
                "run",
                ...flags,
                main,
                ...extra,
              ],
              env,
              clearEnv: true,
              stdin: "null",
              stdout: "piped",
              stderr: "piped",
            });
          const gate = run([]).spawn();
          try {
            let last = "";
            const deadline = Date.now() + 30_000;
            let healthy = false;
            while (!healthy && Date.now() < deadline) {
              const check = await run(["healthcheck"]).output();
              healthy = check.code === 0;
              last = new TextDecoder().decode(
                healthy ? check.stdout : check.stderr,
              );
              if (!healthy) await new Promise((r) => setTimeout(r, 200));
            }
            assert.ok(healthy, `healthcheck kept failing: ${last}`);
            assert.match(last, /answered 200/);
          } finally {
            killQuietly(gate, "SIGTERM");
            const output = await gate.output();
            assert.equal(
              output.code,
              0,
              new TextDecoder().decode(output.stderr),
            );
          }
        });
      } finally {
        await engine.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}
