/**
 * The everyday docker CLI flows of shared/cases/cli-flows.sh, each run with
 * the real CLI through a real dockgate in front of a private engine, with
 * only the sections that flow needs opened.
 */

import assert from "node:assert/strict";
import {
  type CommandResult,
  describeResult,
  docker,
  dockerEnv,
  type DockerOptions,
  killQuietly,
  runCommand,
} from "../support/docker_cli.ts";
import { LATE, raceDeadline } from "../support/deadline.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { TINY_IMAGE } from "../support/engine.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";

const RUN = { CONTAINERS: "1", POST: "1" };
const RUN_AND_REMOVE = { ...RUN, DELETE: "1" };
const EXEC = { ...RUN_AND_REMOVE, EXEC: "1" };

/** Every section and switch the shell script's flows touch. */
const ALL_FLOWS = {
  ...EXEC,
  PUT: "1",
  IMAGES: "1",
  BUILD: "1",
  VOLUMES: "1",
  NETWORKS: "1",
  INFO: "1",
  ALLOW_ARCHIVE: "1",
};

const CLI_FLOWS_SCRIPT = decodeURIComponent(
  new URL("../../../shared/cases/cli-flows.sh", import.meta.url).pathname,
);

/** Runs the CLI and fails the test, with both outputs, unless it exits 0. */
async function must(
  args: string[],
  options: DockerOptions,
): Promise<CommandResult> {
  const result = await docker(args, options);
  assert.equal(
    result.code,
    0,
    describeResult(`docker ${args.join(" ")}`, result),
  );
  return result;
}

function uniqueName(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Removes containers straight on the engine, whatever dockgate allows. */
async function removeOnEngine(host: string, ...ids: string[]): Promise<void> {
  await docker(["rm", "-f", ...ids], { host });
}

/** Starts a detached tiny container through `host` and returns its id. */
async function runDetached(host: string, command: string[]): Promise<string> {
  const result = await must(
    ["run", "-d", "--network", "none", TINY_IMAGE, ...command],
    { host },
  );
  return result.stdout.trim();
}

/**
 * Reads `stream` until `done` holds for the text so far or `timeoutMs`
 * passes, then cancels the stream.
 */
async function readUntil(
  stream: ReadableStream<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs: number,
): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  const deadline = Date.now() + timeoutMs;
  let text = "";
  try {
    while (!done(text) && Date.now() < deadline) {
      const chunk = await raceDeadline(reader.read(), deadline - Date.now());
      if (chunk === LATE || chunk.done) break;
      text += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    await reader.cancel();
  }
  return text;
}

integrationTest(
  "docker version reaches the engine with no section opened",
  () =>
    withDockgate({}, async ({ host }) => {
      const format = ["version", "--format", "{{.Server.APIVersion}}"];
      const api = await must(format, { host });
      assert.match(api.stdout, /^1\.\d+\n$/);
      const full = await must(["version"], { host });
      assert.match(full.stdout, /^Server:/m);
    }),
);

integrationTest(
  "docker ps -a lists a stopped container with only CONTAINERS open",
  () =>
    withDockgate({ CONTAINERS: "1" }, async ({ engine, host }) => {
      const name = uniqueName("flows-ps");
      const create = ["create", "--name", name, "--network", "none"];
      await must([...create, TINY_IMAGE], { host: engine.dockerHost });
      try {
        const ps = await must(["ps", "-a", "--format", "{{.Names}}"], {
          host,
        });
        assert.ok(ps.stdout.split("\n").includes(name), ps.stdout);
      } finally {
        await removeOnEngine(engine.dockerHost, name);
      }
    }),
);

integrationTest(
  "docker run -i pipes stdin to the container and its stdout back",
  () =>
    withDockgate(RUN, async ({ host }) => {
      const args = ["run", "--rm", "-i", "--network", "none", TINY_IMAGE];
      const result = await must([...args, "cat"], { host, stdin: "hello\n" });
      assert.equal(result.stdout, "hello\n");
    }),
);

integrationTest(
  "docker run --rm keeps stdout and stderr apart and removes the container",
  () =>
    withDockgate(RUN, async ({ engine, host }) => {
      const name = uniqueName("flows-rm");
      const result = await must([
        "run",
        "--rm",
        "--name",
        name,
        "--network",
        "none",
        TINY_IMAGE,
        ...["sh", "-c", "echo out; echo err >&2"],
      ], { host });
      assert.equal(result.stdout, "out\n");
      assert.match(result.stderr, /^err$/m);
      assert.doesNotMatch(result.stderr, /^out$/m);
      const left = await must(
        ["ps", "-aq", "--filter", `name=^${name}$`],
        { host: engine.dockerHost },
      );
      assert.equal(left.stdout, "", "the --rm container is still there");
    }),
);

integrationTest(
  "docker run exits with the container's exit code",
  () =>
    withDockgate(RUN, async ({ host }) => {
      const args = ["run", "--rm", "--network", "none", TINY_IMAGE];
      const result = await docker([...args, "sh", "-c", "exit 7"], { host });
      assert.equal(
        result.code,
        7,
        describeResult(`docker ${args.join(" ")}`, result),
      );
    }),
);

integrationTest(
  "docker logs shows all output of a finished container",
  () =>
    withDockgate(RUN_AND_REMOVE, async ({ engine, host }) => {
      const id = await runDetached(host, [
        "sh",
        "-c",
        "echo line1; echo line2",
      ]);
      try {
        const waited = await must(["wait", id], { host });
        assert.equal(waited.stdout, "0\n");
        const logs = await must(["logs", id], { host });
        assert.equal(logs.stdout, "line1\nline2\n");
        await must(["rm", id], { host });
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker logs -f streams output until the container exits",
  () =>
    withDockgate(RUN_AND_REMOVE, async ({ engine, host }) => {
      const id = await runDetached(host, ["sh", "-c", "sleep 1; echo done"]);
      try {
        const logs = await must(["logs", "-f", id], {
          host,
          timeoutMs: 15_000,
        });
        assert.equal(logs.stdout, "done\n");
        await must(["rm", "-f", id], { host });
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker exec -i pipes stdin into the exec process",
  () =>
    withDockgate(EXEC, async ({ engine, host }) => {
      const id = await runDetached(host, ["sleep", "60"]);
      try {
        const cat = await must(["exec", "-i", id, "cat"], {
          host,
          stdin: "abc",
        });
        assert.equal(cat.stdout, "abc");
        await must(["rm", "-f", id], { host });
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker exec -it runs on a terminal under a pseudo-terminal",
  () =>
    withDockgate(EXEC, async ({ engine, host }) => {
      const id = await runDetached(host, ["sleep", "60"]);
      try {
        // `script` gives the CLI a pty; `test -t 0` proves the exec got one.
        const inner = `docker exec -it ${id} sh -c 'test -t 0 && echo tty-ok'`;
        const args = ["-qec", inner, "/dev/null"];
        const result = await runCommand("script", args, {
          env: dockerEnv(host),
          timeoutMs: 20_000,
        });
        assert.equal(
          result.code,
          0,
          describeResult(`script ${args.join(" ")}`, result),
        );
        assert.match(result.stdout, /tty-ok\r\n/);
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker attach streams the output of a running container",
  () =>
    withDockgate(RUN_AND_REMOVE, async ({ engine, host }) => {
      const id = await runDetached(host, [
        ...["sh", "-c", "sleep 2; echo via-attach; sleep 1"],
      ]);
      try {
        const attach = await must(["attach", "--no-stdin", id], {
          host,
          timeoutMs: 15_000,
        });
        assert.equal(attach.stdout, "via-attach\n");
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker exec -i carries 64 MB of stdin intact",
  () =>
    withDockgate(EXEC, async ({ engine, host }) => {
      const id = await runDetached(host, ["sleep", "60"]);
      try {
        const count = await must(["exec", "-i", id, "wc", "-c"], {
          host,
          stdin: new Uint8Array(64_000_000),
          timeoutMs: 60_000,
        });
        assert.equal(count.stdout.trim(), "64000000");
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker cp copies a file into a container and back out",
  () =>
    withDockgate(
      { ...RUN_AND_REMOVE, PUT: "1", ALLOW_ARCHIVE: "1" },
      async ({ engine, host }) => {
        const created = await must(
          ["create", "--network", "none", TINY_IMAGE],
          { host },
        );
        const id = created.stdout.trim();
        const work = await Deno.makeTempDir({ prefix: "dockgate-cp-" });
        try {
          await Deno.writeTextFile(`${work}/in.txt`, "cp-data\n");
          await must(["cp", `${work}/in.txt`, `${id}:/x.txt`], { host });
          await must(["cp", `${id}:/x.txt`, `${work}/out.txt`], { host });
          assert.equal(await Deno.readTextFile(`${work}/out.txt`), "cp-data\n");
          const tar = await must(["cp", `${id}:/x.txt`, "-"], { host });
          assert.match(tar.stdout, /x\.txt\0/);
          assert.match(tar.stdout, /cp-data\n/);
          await must(["rm", id], { host });
        } finally {
          await Deno.remove(work, { recursive: true });
          await removeOnEngine(engine.dockerHost, id);
        }
      },
    ),
);

integrationTest(
  "docker build with the legacy builder builds an image on tiny:1",
  () =>
    withDockgate(
      { ...RUN, BUILD: "1" },
      async ({ engine, host }) => {
        const tag = `${uniqueName("flows-built")}:1`;
        const context = await Deno.makeTempDir({ prefix: "dockgate-build-" });
        try {
          await Deno.writeTextFile(
            `${context}/Dockerfile`,
            `FROM ${TINY_IMAGE}\nRUN echo built > /b\n`,
          );
          await must(
            ["build", "--network", "none", "-q", "-t", tag, context],
            { host, env: { DOCKER_BUILDKIT: "0" }, timeoutMs: 90_000 },
          );
          const run = await must(
            ["run", "--rm", "--network", "none", tag, "cat", "/b"],
            { host },
          );
          assert.equal(run.stdout, "built\n");
        } finally {
          await Deno.remove(context, { recursive: true });
          await docker(["rmi", "-f", tag], { host: engine.dockerHost });
        }
      },
    ),
);

integrationTest(
  "docker save and docker load round-trip tiny:1",
  () =>
    withDockgate({ IMAGES: "1", POST: "1" }, async ({ host }) => {
      const work = await Deno.makeTempDir({ prefix: "dockgate-save-" });
      try {
        await must(["save", TINY_IMAGE, "-o", `${work}/tiny.tar`], {
          host,
          timeoutMs: 60_000,
        });
        const size = (await Deno.stat(`${work}/tiny.tar`)).size;
        assert.ok(size > 1_000_000, `the saved image is ${size} bytes`);
        const load = await must(["load", "-i", `${work}/tiny.tar`], {
          host,
          timeoutMs: 60_000,
        });
        assert.match(load.stdout, /tiny:1/);
      } finally {
        await Deno.remove(work, { recursive: true });
      }
    }),
);

integrationTest(
  "docker events streams a container's start and die while they happen",
  () =>
    withDockgate(RUN, async ({ engine, host }) => {
      const name = uniqueName("flows-events");
      // --since covers the moment between starting the CLI and the
      // subscription; the stream stays open, so "die" arrives live.
      const since = String(Math.floor(Date.now() / 1000) - 1);
      const events = new Deno.Command("docker", {
        args: [
          ...["events", "--since", since, "--filter", `container=${name}`],
          ...["--format", "{{.Action}}"],
        ],
        env: dockerEnv(host),
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const stderr = new Response(events.stderr).text();
      let seen = "";
      try {
        await must([
          ...["run", "-d", "--name", name, "--network", "none"],
          ...[TINY_IMAGE, "sleep", "1"],
        ], { host });
        seen = await readUntil(
          events.stdout,
          (text) => /^start$/m.test(text) && /^die$/m.test(text),
          15_000,
        );
      } finally {
        killQuietly(events, "SIGKILL");
        await events.status;
        await removeOnEngine(engine.dockerHost, name);
      }
      const why = `events seen: ${JSON.stringify(seen)}, ${await stderr}`;
      assert.match(seen, /^start$/m, why);
      assert.match(seen, /^die$/m, why);
    }),
);

integrationTest(
  "docker volume create, ls and rm manage a named volume",
  () =>
    withDockgate(
      { VOLUMES: "1", POST: "1", DELETE: "1" },
      async ({ host }) => {
        const name = uniqueName("flows-volume");
        await must(["volume", "create", name], { host });
        const listed = await must(["volume", "ls", "-q"], { host });
        assert.ok(listed.stdout.split("\n").includes(name), listed.stdout);
        await must(["volume", "rm", name], { host });
        const after = await must(["volume", "ls", "-q"], { host });
        assert.ok(!after.stdout.split("\n").includes(name), after.stdout);
      },
    ),
);

integrationTest(
  "docker network create, ls and rm manage a network",
  () =>
    withDockgate(
      { NETWORKS: "1", POST: "1", DELETE: "1" },
      async ({ host }) => {
        const name = uniqueName("flows-net");
        // A config-only network makes no bridge or address on the host;
        // the API calls are the same as for any other driver.
        await must(["network", "create", "--config-only", name], { host });
        const listed = await must(
          ["network", "ls", "--format", "{{.Name}}"],
          { host },
        );
        assert.ok(listed.stdout.split("\n").includes(name), listed.stdout);
        await must(["network", "rm", name], { host });
        const after = await must(
          ["network", "ls", "--format", "{{.Name}}"],
          { host },
        );
        assert.ok(!after.stdout.split("\n").includes(name), after.stdout);
      },
    ),
);

integrationTest(
  "docker wait prints the exit status of the container",
  () =>
    withDockgate(RUN_AND_REMOVE, async ({ engine, host }) => {
      const id = await runDetached(host, ["sh", "-c", "sleep 1; exit 3"]);
      try {
        const waited = await must(["wait", id], { host, timeoutMs: 15_000 });
        assert.equal(waited.stdout, "3\n");
        await must(["rm", id], { host });
      } finally {
        await removeOnEngine(engine.dockerHost, id);
      }
    }),
);

integrationTest(
  "docker info works with INFO open",
  () =>
    withDockgate({ INFO: "1" }, async ({ host }) => {
      const format = ["info", "--format", "{{.Driver}}"];
      const info = await must(format, { host });
      assert.equal(info.stdout, "vfs\n");
    }),
);

integrationTest(
  "docker images is denied with IMAGES off and the CLI names the rule",
  () =>
    withDockgate({ CONTAINERS: "1" }, async ({ host }) => {
      const result = await docker(["images"], { host });
      assert.notEqual(result.code, 0, describeResult("docker images", result));
      assert.match(result.stderr, /IMAGES/);
    }),
  {
    skipBecause: DIRECT_MODE
      ? "DOCKGATE_TEST_DIRECT=1 talks to the engine, which denies nothing"
      : undefined,
  },
);

integrationTest(
  "shared/cases/cli-flows.sh passes unchanged through dockgate",
  () =>
    withDockgate(ALL_FLOWS, async ({ host }) => {
      const result = await runCommand("bash", [CLI_FLOWS_SCRIPT], {
        env: dockerEnv(host),
        timeoutMs: 240_000,
      });
      assert.equal(
        result.code,
        0,
        describeResult(`bash ${CLI_FLOWS_SCRIPT}`, result),
      );
      assert.match(result.stdout, /^(\d+)\/\1 flows pass$/m);
    }, 270_000),
  {
    skipBecause: existsSync(CLI_FLOWS_SCRIPT)
      ? undefined
      : `${CLI_FLOWS_SCRIPT} not found (CI puts shared/ beside the repo)`,
  },
);

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
