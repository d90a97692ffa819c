/**
 * Two tenants, each on its own Unix socket with its own owner label, in
 * front of one real engine, driven with the real docker CLI: neither can
 * see, start, stop, exec into, copy from, remove or take over the other's
 * containers, volumes, networks and images.
 */

import assert from "node:assert/strict";
import { apiRequest } from "./_api.ts";
import { type ConfiguredScope, withConfiguredGate } from "./_tenants.ts";
import {
  type CommandResult,
  describeResult,
  docker,
} from "../support/docker_cli.ts";
import { DIRECT_MODE } from "../support/dockgate.ts";
import { TINY_IMAGE } from "../support/engine.ts";
import { integrationTest } from "../support/integration.ts";

const SKIP = DIRECT_MODE ? "needs dockgate's policy" : undefined;

function tenantProfile(name: string): string {
  return `
  ${name}:
    owner_label: dockgate.owner=${name}
    sections:
      containers: true
      exec: true
      images: true
      build: true
      volumes: true
      networks: true
      info: true
    methods:
      post: true
      delete: true
      put: true
    actions:
      allow_archive: true`;
}

function tenantConfig(dir: string): string {
  return `
profiles:${tenantProfile("tenant-a")}${tenantProfile("tenant-b")}
listeners:
  - socket: ${dir}/a.sock
    profile: tenant-a
  - socket: ${dir}/b.sock
    profile: tenant-b
`;
}

interface Tenants {
  a: string;
  b: string;
  /** The engine itself, to check what really happened. */
  engine: string;
  dir: string;
}

async function withTenants(fn: (tenants: Tenants) => Promise<void>) {
  await withConfiguredGate(tenantConfig, {}, async (scope: ConfiguredScope) => {
    await fn({
      a: `unix://${scope.dir}/a.sock`,
      b: `unix://${scope.dir}/b.sock`,
      engine: scope.engine.dockerHost,
      dir: scope.dir,
    });
  });
}

async function must(args: string[], host: string): Promise<CommandResult> {
  const result = await docker(args, { host, timeoutMs: 90_000 });
  assert.equal(
    result.code,
    0,
    describeResult(`docker ${args.join(" ")}`, result),
  );
  return result;
}

async function mustFail(
  args: string[],
  host: string,
  pattern: RegExp,
): Promise<void> {
  const result = await docker(args, { host });
  assert.notEqual(
    result.code,
    0,
    describeResult(`docker ${args.join(" ")}`, result),
  );
  assert.match(
    result.stderr,
    pattern,
    describeResult(`docker ${args.join(" ")}`, result),
  );
}

/** Runs a detached `sleep 300` named `name` with no network; its ID. */
async function runSleeper(name: string, host: string): Promise<string> {
  const args = ["run", "-d", "--name", name, "--network", "none"];
  const result = await must([...args, TINY_IMAGE, "sleep", "300"], host);
  return result.stdout.trim();
}

/** The non-empty lines `docker args` prints on `host`. */
async function listed(args: string[], host: string): Promise<string[]> {
  return lines((await must(args, host)).stdout);
}

function unique(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

function lines(text: string): string[] {
  return text.split("\n").map((line) => line.trim()).filter((line) => line);
}

async function cleanUp(engine: string, names: {
  containers?: string[];
  volumes?: string[];
  networks?: string[];
  images?: string[];
}) {
  if (names.containers?.length) {
    await docker(["rm", "-f", ...names.containers], { host: engine });
  }
  if (names.volumes?.length) {
    await docker(["volume", "rm", "-f", ...names.volumes], { host: engine });
  }
  if (names.networks?.length) {
    await docker(["network", "rm", ...names.networks], { host: engine });
  }
  if (names.images?.length) {
    await docker(["rmi", "-f", ...names.images], { host: engine });
  }
}

integrationTest(
  "two tenants' docker ps, volume ls, network ls and events show only their own",
  () =>
    withTenants(async ({ a, b, engine }) => {
      const started = Math.floor(Date.now() / 1000) - 1;
      const [ca, cb] = [unique("ca"), unique("cb")];
      const [va, vb] = [unique("va"), unique("vb")];
      const [na, nb] = [unique("na"), unique("nb")];
      try {
        await runSleeper(ca, a);
        await runSleeper(cb, b);
        await must(["volume", "create", va], a);
        await must(["volume", "create", vb], b);
        await must(["network", "create", na], a);
        await must(["network", "create", nb], b);

        const listings: [string[], string, string][] = [
          [["ps", "-a", "--format", "{{.Names}}"], ca, cb],
          [["volume", "ls", "-q"], va, vb],
          [["network", "ls", "--format", "{{.Name}}"], na, nb],
        ];
        for (const [args, ofA, ofB] of listings) {
          assert.deepEqual(await listed(args, a), [ofA], args.join(" "));
          assert.deepEqual(await listed(args, b), [ofB], args.join(" "));
        }
        // The client's own filters narrow further; they cannot widen.
        const widened = [
          "ps",
          "-a",
          "--filter",
          "label=dockgate.owner=tenant-b",
        ];
        assert.deepEqual(
          await listed([...widened, "--format", "{{.Names}}"], a),
          [],
        );

        const until = String(Math.floor(Date.now() / 1000) + 1);
        const eventsA = await must(
          [
            "events",
            "--since",
            String(started),
            "--until",
            until,
            "--format",
            "{{.Actor.Attributes.name}}",
          ],
          a,
        );
        assert.ok(lines(eventsA.stdout).includes(ca), eventsA.stdout);
        assert.ok(!lines(eventsA.stdout).includes(cb), eventsA.stdout);

        // The engine itself sees both: the difference is dockgate's.
        const all = await listed(
          ["ps", "-a", "--format", "{{.Names}}"],
          engine,
        );
        assert.ok(all.includes(ca) && all.includes(cb));
      } finally {
        await cleanUp(engine, {
          containers: [ca, cb],
          volumes: [va, vb],
          networks: [na, nb],
        });
      }
    }),
  { skipBecause: SKIP },
);

integrationTest(
  "a tenant cannot inspect, start, stop, exec into, copy from or remove another's container",
  () =>
    withTenants(async ({ a, b, engine, dir }) => {
      const cb = unique("cb");
      try {
        const id = await runSleeper(cb, b);
        for (const ref of [cb, id, id.slice(0, 12)]) {
          await mustFail(
            ["inspect", "--type", "container", ref],
            a,
            /No such container/i,
          );
          await mustFail(["stop", "-t", "0", ref], a, /no such container/i);
          await mustFail(["start", ref], a, /no such container/i);
          await mustFail(["restart", "-t", "0", ref], a, /no such container/i);
          await mustFail(["exec", ref, "true"], a, /no such container/i);
          await mustFail(
            ["cp", `${ref}:/etc/passwd`, "-"],
            a,
            /no such container/i,
          );
          await mustFail(["logs", ref], a, /no such container/i);
          await mustFail(["rm", ref], a, /no such container/i);
          await mustFail(["rename", ref, unique("x")], a, /no such container/i);
        }
        // An exec that B created cannot be started or inspected by A.
        const exec = await apiRequest(
          { socket: `${dir}/b.sock` },
          "POST",
          `/containers/${cb}/exec`,
          { body: { Cmd: ["true"] } },
        );
        assert.equal(exec.status, 201, exec.text);
        const execId = (exec.json() as { Id: string }).Id;
        const start = await apiRequest(
          { socket: `${dir}/a.sock` },
          "POST",
          `/exec/${execId}/start`,
          { body: { Detach: true } },
        );
        assert.equal(start.status, 404, start.text);
        const inspect = await apiRequest(
          { socket: `${dir}/a.sock` },
          "GET",
          `/exec/${execId}/json`,
        );
        assert.equal(inspect.status, 404, inspect.text);
        // A missing container and B's one look the same to A.
        const missing = await apiRequest(
          { socket: `${dir}/a.sock` },
          "GET",
          "/containers/no-such-thing/json",
        );
        const foreign = await apiRequest(
          { socket: `${dir}/a.sock` },
          "GET",
          `/containers/${cb}/json`,
        );
        assert.equal(missing.status, foreign.status);
        assert.equal(
          missing.text.replace("no-such-thing", "X"),
          foreign.text.replace(cb, "X"),
        );
        // Nor link to it (joining its namespaces or taking its volumes is
        // refused by the default filters already; see the unit tests).
        await mustFail(
          [
            "run",
            "--rm",
            "--network",
            "none",
            "--link",
            `${cb}:peer`,
            TINY_IMAGE,
            "true",
          ],
          a,
          /does not exist or belongs to another owner/,
        );
        // B still owns a running container and can do all of it.
        await must(["exec", cb, "true"], b);
        await must(["cp", `${cb}:/etc/passwd`, "-"], b);
        const state = await must(
          ["inspect", "-f", "{{.State.Running}}", cb],
          engine,
        );
        assert.equal(state.stdout.trim(), "true");
        await must(["rm", "-f", cb], b);
      } finally {
        await cleanUp(engine, { containers: [cb] });
      }
    }),
  { skipBecause: SKIP },
);

integrationTest(
  "a tenant cannot use, remove or take over another's volume or network",
  () =>
    withTenants(async ({ a, b, engine }) => {
      const [vb, nb, cb] = [unique("vb"), unique("nb"), unique("cb")];
      try {
        await must(["volume", "create", vb], b);
        await must(["network", "create", nb], b);
        // Unused and stopped: what prune would take, were it B's prune.
        await must([
          "create",
          "--name",
          cb,
          "--network",
          "none",
          TINY_IMAGE,
          "true",
        ], b);
        for (const kind of ["container", "volume", "network", "image"]) {
          await must([kind, "prune", "-f"], a);
        }
        await must(["inspect", "--type", "container", cb], engine);
        await must(["rm", cb], b);
        await mustFail(["volume", "inspect", vb], a, /no such volume/i);
        await mustFail(["volume", "rm", vb], a, /no such volume/i);
        await mustFail(["volume", "create", vb], a, /taken by another owner/);
        await mustFail(
          [
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            `${vb}:/data`,
            TINY_IMAGE,
            "true",
          ],
          a,
          /taken by another owner/,
        );
        await mustFail(
          [
            "run",
            "--rm",
            "--network",
            "none",
            "--mount",
            `type=volume,source=${vb},target=/data`,
            TINY_IMAGE,
            "true",
          ],
          a,
          /taken by another owner/,
        );
        await mustFail(["network", "inspect", nb], a, /no such network/i);
        await mustFail(["network", "rm", nb], a, /no such network/i);
        await mustFail(
          ["run", "--rm", "--network", nb, TINY_IMAGE, "true"],
          a,
          /does not exist or belongs to another owner/,
        );
        const ca = unique("ca");
        await must([
          "create",
          "--name",
          ca,
          "--network",
          "none",
          TINY_IMAGE,
          "true",
        ], a);
        await mustFail(["network", "connect", nb, ca], a, /no such network/i);
        await must(["rm", ca], a);
        // The owner still has both.
        await must(["volume", "inspect", vb], b);
        await must(["network", "inspect", nb], b);
      } finally {
        await cleanUp(engine, {
          containers: [cb],
          volumes: [vb],
          networks: [nb],
        });
      }
    }),
  { skipBecause: SKIP },
);

integrationTest(
  "everything a tenant creates carries its label, whatever label the client sent",
  () =>
    withTenants(async ({ a, engine }) => {
      const ca = unique("ca");
      const [auto, anonymousHolder] = [unique("auto"), unique("anon")];
      const [va, na] = [unique("va"), unique("na")];
      const label = '{{index .Config.Labels "dockgate.owner"}}';
      try {
        await must(
          [
            "create",
            "--name",
            ca,
            "--label",
            "dockgate.owner=tenant-b",
            "--network",
            "none",
            "-v",
            `${auto}:/data`,
            TINY_IMAGE,
            "true",
          ],
          a,
        );
        assert.equal(
          (await must(["inspect", "-f", label, ca], engine)).stdout.trim(),
          "tenant-a",
        );
        // The named volume did not exist: dockgate created it, labelled.
        const volumeLabel = '{{index .Labels "dockgate.owner"}}';
        assert.equal(
          (await must(["volume", "inspect", "-f", volumeLabel, auto], engine))
            .stdout.trim(),
          "tenant-a",
        );
        assert.ok((await listed(["volume", "ls", "-q"], a)).includes(auto));
        await must(
          [
            "create",
            "--name",
            anonymousHolder,
            "--network",
            "none",
            "--mount",
            "type=volume,target=/anon",
            TINY_IMAGE,
            "true",
          ],
          a,
        );
        const anonymous = (await must(
          [
            "inspect",
            "-f",
            "{{range .Mounts}}{{.Name}}{{end}}",
            anonymousHolder,
          ],
          engine,
        )).stdout.trim();
        assert.equal(
          (await must(
            ["volume", "inspect", "-f", volumeLabel, anonymous],
            engine,
          )).stdout.trim(),
          "tenant-a",
        );
        const claimed: [string, string][] = [["volume", va], ["network", na]];
        for (const [kind, name] of claimed) {
          const foreign = ["--label", "dockgate.owner=tenant-b"];
          await must([kind, "create", ...foreign, name], a);
          assert.equal(
            (await must([kind, "inspect", "-f", volumeLabel, name], engine))
              .stdout.trim(),
            "tenant-a",
            `${kind} ${name}`,
          );
        }
        await must(["rm", "-v", ca, anonymousHolder], a);
        await must(["volume", "rm", auto, va], a);
        await must(["network", "rm", na], a);
      } finally {
        await cleanUp(engine, {
          containers: [ca, anonymousHolder],
          volumes: [auto, va],
          networks: [na],
        });
      }
    }),
  { skipBecause: SKIP },
);

integrationTest(
  "a tenant's built image is its own; the engine's images stay usable read-only",
  () =>
    withTenants(async ({ a, b, engine }) => {
      const tag = `${unique("img-a")}:1`;
      const context = await Deno.makeTempDir({ prefix: "dockgate-build-" });
      try {
        await Deno.writeTextFile(
          `${context}/Dockerfile`,
          `FROM ${TINY_IMAGE}\nLABEL dockgate.owner=tenant-b\nCMD ["true"]\n`,
        );
        await docker(["build", "--network", "none", "-q", "-t", tag, context], {
          host: a,
          env: { DOCKER_BUILDKIT: "0" },
          timeoutMs: 90_000,
        }).then((result) =>
          assert.equal(result.code, 0, describeResult("docker build", result))
        );
        const label = '{{index .Config.Labels "dockgate.owner"}}';
        assert.equal(
          (await must(["image", "inspect", "-f", label, tag], engine)).stdout
            .trim(),
          "tenant-a",
        );
        const images = ["images", "--format", "{{.Repository}}:{{.Tag}}"];
        assert.deepEqual(await listed(images, a), [tag]);
        assert.deepEqual(await listed(images, b), []);
        await mustFail(["image", "inspect", tag], b, /no such image/i);
        // The CLI reads the 404 as a missing image and tries to pull,
        // which may not replace another owner's tag either.
        await mustFail(
          ["run", "--rm", "--network", "none", tag],
          b,
          /does not own/,
        );
        await mustFail(["rmi", tag], b, /no such image/i);
        await mustFail(["tag", TINY_IMAGE, tag], b, /does not own/);
        await mustFail(["rmi", TINY_IMAGE], a, /read-only/);
        // The shared image works for both.
        await must(["run", "--rm", "--network", "none", TINY_IMAGE, "true"], a);
        await must(["run", "--rm", "--network", "none", TINY_IMAGE, "true"], b);
        await must(["run", "--rm", "--network", "none", tag], a);
        await must(["rmi", tag], a);
      } finally {
        await Deno.remove(context, { recursive: true });
        await cleanUp(engine, { images: [tag] });
      }
    }),
  { skipBecause: SKIP },
);
