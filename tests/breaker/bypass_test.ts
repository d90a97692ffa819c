/**
 * Requests that a permissive but filtered policy must refuse, sent to a
 * real dockgate in front of a private engine. Each test checks the answer
 * and then asks the engine itself that nothing happened: no container,
 * volume, service, bind or network membership that policy forbids.
 *
 * Every test here was a working bypass when it was written.
 */

import assert from "node:assert/strict";
import { docker } from "../support/docker_cli.ts";
import { DIRECT_MODE, startDockgate } from "../support/dockgate.ts";
import {
  type Engine,
  ensureTinyImage,
  sharedEngine,
  startEngine,
  TINY_IMAGE,
} from "../support/engine.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";
import { type Answer, objectOf, send, sendBuild } from "./_engine_http.ts";
import { startHoldingRelay } from "./_holding_relay.ts";

const SKIP_DIRECT = DIRECT_MODE
  ? "needs dockgate's policy (DOCKGATE_TEST_DIRECT=1)"
  : undefined;

/** The policy an operator of a shared CI host would plausibly run. */
const POLICY = {
  CONTAINERS: "1",
  POST: "1",
  DELETE: "1",
  IMAGES: "1",
  VOLUMES: "1",
  NETWORKS: "1",
  EXEC: "1",
  BUILD: "1",
  COMMIT: "1",
  DKRPRX__VOLUMES__ALLOWED_PATHS: "^/tmp/allowed/.*",
  DKRPRX__IMAGES__DENIED_TAGS: "^latest$",
  DKRPRX__CONTAINERS__REQUIRE_LABELS: "team=a",
};

const LABELS = { team: "a" };

/** Swarm manager port, away from the default 2377 another engine may use. */
const SWARM_PORT = 23770 + Math.floor(Math.random() * 200);

function unique(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

function assertRefused(answer: Answer, what: string): void {
  assert.ok(
    answer.status >= 400 && answer.status < 500,
    `${what}: expected a 4xx refusal, got ${answer.status} ${answer.text}`,
  );
}

/** The engine's view of a container, or null when it does not exist. */
async function inspectContainer(
  engine: Engine,
  ref: string,
): Promise<Record<string, unknown> | null> {
  const answer = await send(
    engine.socketPath,
    "GET",
    `/containers/${encodeURIComponent(ref)}/json`,
  );
  if (answer.status === 404) return null;
  return objectOf(answer);
}

/** Network IDs the container is attached to, as the engine records them. */
function attachedNetworkIds(container: Record<string, unknown>): string[] {
  const settings = container["NetworkSettings"] as {
    Networks?: Record<string, { NetworkID?: string }> | null;
  };
  return Object.values(settings.Networks ?? {})
    .map((endpoint) => endpoint.NetworkID ?? "");
}

/**
 * Sends a create of container `name` with `body` through the gate at
 * `gateSocket` and fails unless it is refused and the engine has no such
 * container; one the engine did create is removed first.
 */
async function assertCreateRefused(
  gateSocket: string,
  engine: Engine,
  name: string,
  body: Record<string, unknown>,
  what: string,
): Promise<void> {
  const answer = await send(
    gateSocket,
    "POST",
    `/containers/create?name=${name}`,
    body,
  );
  const created = await inspectContainer(engine, name);
  if (created !== null) await removeContainers(engine, name);
  assertRefused(answer, what);
  assert.equal(created, null, `${what}: the container was created`);
}

async function createOnEngine(
  engine: Engine,
  name: string,
  body: Record<string, unknown>,
): Promise<string> {
  const answer = await send(
    engine.socketPath,
    "POST",
    `/containers/create?name=${name}`,
    body,
  );
  assert.equal(answer.status, 201, `engine create ${name}: ${answer.text}`);
  return String(objectOf(answer)["Id"]);
}

async function createNetworkOnEngine(
  engine: Engine,
  name: string,
): Promise<string> {
  const answer = await send(engine.socketPath, "POST", "/networks/create", {
    Name: name,
  });
  assert.equal(answer.status, 201, `engine network ${name}: ${answer.text}`);
  return String(objectOf(answer)["Id"]);
}

/** A tar holding one file, `Dockerfile`, as a build context. */
async function buildContext(dockerfile: string): Promise<Uint8Array> {
  const dir = await Deno.makeTempDir({ prefix: "bk-ctx-" });
  try {
    await Deno.writeTextFile(`${dir}/Dockerfile`, dockerfile);
    const tar = await new Deno.Command("tar", {
      args: ["-C", dir, "-cf", "-", "Dockerfile"],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.ok(tar.success, new TextDecoder().decode(tar.stderr));
    return tar.stdout;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function removeContainers(engine: Engine, ...refs: string[]) {
  for (const ref of refs) {
    await send(engine.socketPath, "DELETE", `/containers/${ref}?force=1`);
  }
}

async function removeNetworks(engine: Engine, ...refs: string[]) {
  for (const ref of refs) {
    await send(engine.socketPath, "DELETE", `/networks/${ref}`);
  }
}

integrationTest(
  "dockgate refuses HostConfig fields at the top level of a create body",
  async () => {
    await withDockgate(POLICY, async ({ engine, gate }) => {
      // The engine still reads a deprecated top-level copy of HostConfig
      // when the body has no HostConfig object.
      const bodies = [
        { Binds: ["/:/host"] },
        { binds: ["/var/run:/run-host"] },
        { Privileged: true },
        { CapAdd: ["SYS_ADMIN"] },
        { Mounts: [{ Type: "bind", Source: "/", Target: "/host" }] },
      ];
      for (const extra of bodies) {
        await assertCreateRefused(
          gate.socketPath,
          engine,
          unique("bk-top"),
          { Image: TINY_IMAGE, Labels: LABELS, ...extra },
          JSON.stringify(extra),
        );
      }
    });
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate refuses a HostConfig object inside a legacy start body",
  async () => {
    await withDockgate(POLICY, async ({ engine, gate }) => {
      const name = unique("bk-start");
      await createOnEngine(engine, name, {
        Image: TINY_IMAGE,
        Labels: LABELS,
        Cmd: ["sleep", "60"],
        HostConfig: { NetworkMode: "none" },
      });
      try {
        // Below API 1.24 the engine decodes a start body like a create
        // body, so a nested HostConfig is applied at start.
        const answer = await send(
          gate.socketPath,
          "POST",
          `/v1.23/containers/${name}/start`,
          { HostConfig: { Binds: ["/:/host"] } },
        );
        const after = await inspectContainer(engine, name);
        const hostConfig = after?.["HostConfig"] as { Binds: unknown };
        const state = after?.["State"] as { Running: boolean };
        assertRefused(answer, "legacy start with HostConfig");
        assert.equal(hostConfig.Binds, null, "the bind of / was applied");
        assert.equal(state.Running, false, "the container was started");
      } finally {
        await removeContainers(engine, name);
      }
    });
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate refuses a local volume that mounts the host's procfs",
  async () => {
    await withDockgate(POLICY, async ({ engine, gate }) => {
      const volume = unique("bk-proc");
      const answer = await send(gate.socketPath, "POST", "/volumes/create", {
        Name: volume,
        DriverOpts: { type: "proc", device: "proc" },
      });
      const made = await send(engine.socketPath, "GET", `/volumes/${volume}`);
      if (made.status === 200) {
        await send(engine.socketPath, "DELETE", `/volumes/${volume}`);
      }
      assertRefused(answer, "volume create type=proc");
      assert.equal(made.status, 404, "the procfs volume was created");

      await assertCreateRefused(
        gate.socketPath,
        engine,
        unique("bk-procmount"),
        {
          Image: TINY_IMAGE,
          Labels: LABELS,
          HostConfig: {
            Mounts: [{
              Type: "volume",
              Source: unique("bk-procvol"),
              Target: "/hostproc",
              VolumeOptions: {
                DriverConfig: { Options: { type: "sysfs", device: "sysfs" } },
              },
            }],
          },
        },
        "Mounts volume with type=sysfs",
      );
    });
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate commits the container it checked, not one a rename exposes",
  async () => {
    const engine = await sharedEngine();
    await ensureTinyImage(engine);
    const proxyName = unique("bk-proxy");
    const proxyId = await createOnEngine(engine, proxyName, {
      Image: TINY_IMAGE,
      Cmd: ["sleep", "600"],
      HostConfig: { NetworkMode: "none" },
    });
    // dockgate's lookup and the engine's commit both resolve this string,
    // a prefix of the proxy's ID; between them the name that shadows it
    // goes away.
    const prefix = proxyId.slice(0, 12);
    const relay = await startHoldingRelay(
      engine.socketPath,
      /^POST \S*\/commit\?/,
    );
    const gate = await startDockgate({
      engine,
      env: {
        ...POLICY,
        DOCKER_SOCKET: `unix://${relay.socketPath}`,
        PROXY_CONTAINER_NAME: proxyName,
      },
    });
    const repo = unique("bk-stolen");
    let mineId = "";
    try {
      const mine = await send(
        gate.socketPath,
        "POST",
        `/containers/create?name=${prefix}`,
        { Image: TINY_IMAGE, Labels: LABELS, Cmd: ["true"] },
      );
      assert.equal(mine.status, 201, mine.text);
      mineId = String(objectOf(mine)["Id"]);
      const commit = send(
        gate.socketPath,
        "POST",
        `/commit?container=${prefix}&repo=${repo}&tag=v1`,
      );
      await relay.held;
      const renamed = await send(
        engine.socketPath,
        "POST",
        `/containers/${prefix}/rename?name=${unique("bk-moved")}`,
      );
      assert.equal(renamed.status, 204, renamed.text);
      relay.release();
      await commit;
      const image = await send(
        engine.socketPath,
        "GET",
        `/images/${repo}:v1/json`,
      );
      const source = image.status === 200
        ? objectOf(image)["Container"]
        : undefined;
      assert.notEqual(source, proxyId, "the proxy container was committed");
    } finally {
      await gate.stop().catch(() => undefined);
      await relay.close();
      await send(engine.socketPath, "DELETE", `/images/${repo}:v1`);
      // By full ID: the prefix would name the proxy once the rename is done.
      await removeContainers(engine, ...[mineId, proxyId].filter(Boolean));
    }
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate refuses joining the proxy network by ID or NetworkID",
  async () => {
    const network = unique("bk-proxynet");
    await withDockgate(
      { ...POLICY, PROXY_NETWORK_NAME: network },
      async ({ engine, gate }) => {
        const networkId = await createNetworkOnEngine(engine, network);
        const decoy = unique("bk-decoy");
        await createNetworkOnEngine(engine, decoy);
        try {
          const bodies = [
            { HostConfig: { NetworkMode: networkId.slice(0, 10) } },
            {
              NetworkingConfig: {
                EndpointsConfig: { [networkId.slice(0, 12)]: {} },
              },
            },
            {
              HostConfig: { NetworkMode: decoy },
              NetworkingConfig: {
                EndpointsConfig: { [decoy]: { NetworkID: networkId } },
              },
            },
          ];
          for (const extra of bodies) {
            await assertCreateRefused(
              gate.socketPath,
              engine,
              unique("bk-join"),
              { Image: TINY_IMAGE, Labels: LABELS, Cmd: ["true"], ...extra },
              JSON.stringify(extra),
            );
          }

          const name = unique("bk-connect");
          await createOnEngine(engine, name, {
            Image: TINY_IMAGE,
            Labels: LABELS,
            Cmd: ["sleep", "60"],
            HostConfig: { NetworkMode: decoy },
          });
          try {
            const connect = await send(
              gate.socketPath,
              "POST",
              `/networks/${decoy}/connect`,
              { Container: name, EndpointConfig: { NetworkID: networkId } },
            );
            const after = await inspectContainer(engine, name);
            assertRefused(connect, "connect with EndpointConfig.NetworkID");
            assert.ok(
              !attachedNetworkIds(after ?? {}).includes(networkId),
              "the container joined the proxy network",
            );
          } finally {
            await removeContainers(engine, name);
          }
        } finally {
          await removeNetworks(engine, network, decoy);
        }
      },
    );
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate pins a container's network so start cannot join the proxy network",
  async () => {
    const network = unique("bk-proxynet");
    await withDockgate(
      { ...POLICY, PROXY_NETWORK_NAME: network },
      async ({ engine, gate }) => {
        const networkId = await createNetworkOnEngine(engine, network);
        // A network named like a prefix of the proxy network's ID shadows
        // it while it exists; the engine looks the name up again at start.
        const shadow = networkId.slice(0, 10);
        const viaCreate = unique("bk-shadow");
        const viaConnect = unique("bk-shadow");
        const other = unique("bk-other");
        await createNetworkOnEngine(engine, other);
        try {
          const made = await send(gate.socketPath, "POST", "/networks/create", {
            Name: shadow,
          });
          assert.equal(made.status, 201, made.text);
          // One joins the shadow at create; the other, stopped, is
          // connected to it by name below and keeps only the name.
          const joins = [[viaCreate, shadow], [viaConnect, other]];
          for (const [name, networkMode] of joins) {
            const created = await send(
              gate.socketPath,
              "POST",
              `/containers/create?name=${name}`,
              {
                Image: TINY_IMAGE,
                Labels: LABELS,
                Cmd: ["sleep", "60"],
                HostConfig: { NetworkMode: networkMode },
              },
            );
            assert.equal(created.status, 201, created.text);
          }
          const connected = await send(
            gate.socketPath,
            "POST",
            `/networks/${shadow}/connect`,
            { Container: viaConnect },
          );
          assert.equal(connected.status, 200, connected.text);
          const removed = await send(
            gate.socketPath,
            "DELETE",
            `/networks/${shadow}`,
          );
          assert.equal(removed.status, 204, removed.text);
          for (const name of [viaCreate, viaConnect]) {
            await send(gate.socketPath, "POST", `/containers/${name}/start`);
            const after = await inspectContainer(engine, name);
            assert.ok(
              !attachedNetworkIds(after ?? {}).includes(networkId),
              `${name} joined the proxy network at start`,
            );
          }
        } finally {
          await removeContainers(engine, viaCreate, viaConnect);
          await removeNetworks(engine, shadow, network, other);
        }
      },
    );
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate refuses a build that joins the proxy network or container",
  async () => {
    const network = unique("bk-proxynet");
    const proxyName = unique("bk-proxy");
    await withDockgate(
      {
        ...POLICY,
        PROXY_NETWORK_NAME: network,
        PROXY_CONTAINER_NAME: proxyName,
        // Even where host networking is allowed, the proxy is not.
        DKRPRX__CONTAINERS__DENY_HOST_NETWORK: "false",
      },
      async ({ engine, gate }) => {
        const networkId = await createNetworkOnEngine(engine, network);
        const proxyId = await createOnEngine(engine, proxyName, {
          Image: TINY_IMAGE,
          Cmd: ["sleep", "600"],
          HostConfig: { NetworkMode: "none" },
        });
        await send(engine.socketPath, "POST", `/containers/${proxyId}/start`);
        const context = await buildContext(
          `FROM ${TINY_IMAGE}\nRUN true\n`,
        );
        const modes = [
          network,
          networkId.slice(0, 10),
          `container:${proxyName}`,
          `container:${proxyId.slice(0, 12)}`,
        ];
        try {
          for (const mode of modes) {
            const tag = `${unique("bk-build")}:v1`;
            const answer = await sendBuild(
              gate.socketPath,
              `/build?t=${tag}&networkmode=${encodeURIComponent(mode)}`,
              context,
            );
            const image = await send(
              engine.socketPath,
              "GET",
              `/images/${tag}/json`,
            );
            if (image.status === 200) {
              await send(engine.socketPath, "DELETE", `/images/${tag}`);
            }
            assertRefused(answer, `networkmode=${mode}`);
            assert.equal(image.status, 404, `networkmode=${mode} built`);
          }
        } finally {
          await removeContainers(engine, proxyId);
          await removeNetworks(engine, networkId);
        }
      },
    );
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate does not let prune remove the proxy network or container",
  async () => {
    const network = unique("bk-proxynet");
    const proxyName = unique("bk-proxy");
    await withDockgate(
      {
        ...POLICY,
        PROXY_NETWORK_NAME: network,
        PROXY_CONTAINER_NAME: proxyName,
      },
      async ({ engine, gate }) => {
        // Unused and stopped, the state in which prune takes them, and
        // labelled so that the prune filter matches nothing else.
        const labels = { "bk-prune": proxyName };
        const only = encodeURIComponent(
          JSON.stringify({ label: [`bk-prune=${proxyName}`] }),
        );
        const made = await send(engine.socketPath, "POST", "/networks/create", {
          Name: network,
          Labels: labels,
        });
        assert.equal(made.status, 201, made.text);
        const labelledId = String(objectOf(made)["Id"]);
        const labelledProxy = await createOnEngine(engine, proxyName, {
          Image: TINY_IMAGE,
          Cmd: ["true"],
          Labels: labels,
          HostConfig: { NetworkMode: "none" },
        });
        try {
          await send(
            gate.socketPath,
            "POST",
            `/networks/prune?filters=${only}`,
          );
          await send(
            gate.socketPath,
            "POST",
            `/containers/prune?filters=${only}`,
          );
          const networkAfter = await send(
            engine.socketPath,
            "GET",
            `/networks/${labelledId}`,
          );
          const proxyAfter = await inspectContainer(engine, labelledProxy);
          assert.equal(networkAfter.status, 200, "the proxy network is gone");
          assert.notEqual(proxyAfter, null, "the proxy container is gone");
        } finally {
          await removeContainers(engine, labelledProxy);
          await removeNetworks(engine, labelledId);
        }
      },
    );
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate applies tag rules to an image name made of hex digits",
  async () => {
    await withDockgate(POLICY, async ({ engine, gate }) => {
      const hexName = `bee${
        crypto.randomUUID().replaceAll("-", "").slice(0, 6)
      }`;
      const tagged = await send(
        engine.socketPath,
        "POST",
        `/images/${TINY_IMAGE}/tag?repo=${hexName}&tag=latest`,
      );
      assert.equal(tagged.status, 201, tagged.text);
      const name = unique("bk-hex");
      try {
        // The engine resolves "bee…" as the name bee…:latest first.
        await assertCreateRefused(
          gate.socketPath,
          engine,
          name,
          { Image: hexName, Labels: LABELS, Cmd: ["true"] },
          `Image ${hexName}`,
        );
      } finally {
        await removeContainers(engine, name);
        await send(engine.socketPath, "DELETE", `/images/${hexName}:latest`);
      }
    });
  },
  { skipBecause: SKIP_DIRECT },
);

integrationTest(
  "dockgate refuses a service on the host network named by ID",
  async () => {
    const engine = await startEngine();
    try {
      await ensureTinyImage(engine);
      const init = await docker(
        // Loopback only: the manager port must not face the network.
        [
          "swarm",
          "init",
          "--listen-addr",
          `127.0.0.1:${SWARM_PORT}`,
          "--advertise-addr",
          `127.0.0.1:${SWARM_PORT}`,
        ],
        { host: engine.dockerHost, timeoutMs: 60_000 },
      );
      assert.equal(init.code, 0, init.stderr);
      const networks = await send(engine.socketPath, "GET", "/networks");
      const host = (networks.json as Array<{ Name: string; Id: string }>)
        .find((network) => network.Name === "host");
      assert.ok(host, "the engine has no host network");
      const gate = await startDockgate({
        engine,
        env: { ...POLICY, SERVICES: "1" },
      });
      try {
        const specs = [
          { Networks: [{ Target: host.Id }] },
          {
            ContainerSpec: {
              Mounts: [{
                Type: "volume",
                Target: "/hostproc",
                VolumeOptions: {
                  DriverConfig: {
                    Name: "local",
                    Options: { type: "proc", device: "proc" },
                  },
                },
              }],
            },
          },
        ];
        for (const extra of specs) {
          const name = unique("bk-svc");
          const answer = await send(
            gate.socketPath,
            "POST",
            "/services/create",
            {
              Name: name,
              TaskTemplate: {
                ContainerSpec: {
                  Image: TINY_IMAGE,
                  Labels: LABELS,
                  Command: ["sleep", "60"],
                  ...extra.ContainerSpec,
                },
                ...(extra.Networks ? { Networks: extra.Networks } : {}),
              },
            },
          );
          const service = await send(
            engine.socketPath,
            "GET",
            `/services/${name}`,
          );
          assertRefused(answer, JSON.stringify(extra));
          assert.equal(service.status, 404, `${JSON.stringify(extra)} exists`);
        }
      } finally {
        await gate.stop();
      }
    } finally {
      await engine.stop();
    }
  },
  { skipBecause: SKIP_DIRECT },
);
