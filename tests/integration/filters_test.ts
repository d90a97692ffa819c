/**
 * Deep filters against the real engine: each denied request gets 403 with
 * its rule, and the engine's state is the same afterwards.
 */
import * as assert from "node:assert/strict";
import { send } from "../breaker/_engine_http.ts";
import type { Engine } from "../support/engine.ts";
import { integrationTest, withDockgate } from "../support/integration.ts";

const POLICY = {
  CONTAINERS: "1",
  POST: "1",
  DELETE: "1",
  VOLUMES: "1",
  NETWORKS: "1",
  IMAGES: "1",
  EXEC: "1",
  BUILD: "1",
  DKRPRX__IMAGES__DENIED_TAGS: "^latest$",
  DKRPRX__VOLUMES__DENIED_PATHS: "^/etc(/.*)?$",
  PROXY_CONTAINER_NAME: "dg-filters-proxy",
};

const API = "/v1.41";
const IMAGE = "tiny:1";

interface DeniedCase {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  rule: string;
}

function create(hostConfig: Record<string, unknown>, extra = {}): unknown {
  return { Image: IMAGE, Cmd: ["true"], HostConfig: hostConfig, ...extra };
}

const CREATE = `${API}/containers/create`;

const DENIED: DeniedCase[] = [
  {
    name: "privileged",
    method: "POST",
    path: CREATE,
    body: create({ Privileged: true }),
    rule: "containers.deny_privileged",
  },
  {
    name: "privileged with a folded key",
    method: "POST",
    path: CREATE,
    body: `{"Image":"${IMAGE}","hostconfig":{"privileged":true}}`,
    rule: "containers.deny_privileged",
  },
  {
    name: "CapAdd ALL in lower case",
    method: "POST",
    path: CREATE,
    body: create({ CapAdd: ["all"] }),
    rule: "containers.deny_privileged",
  },
  {
    name: "host PID namespace",
    method: "POST",
    path: CREATE,
    body: create({ PidMode: "host" }),
    rule: "containers.deny_privileged",
  },
  {
    name: "unconfined seccomp in the colon form",
    method: "POST",
    path: CREATE,
    body: create({ SecurityOpt: ["seccomp:unconfined"] }),
    rule: "containers.deny_privileged",
  },
  {
    name: "emptied masked paths",
    method: "POST",
    path: CREATE,
    body: create({ MaskedPaths: [] }),
    rule: "containers.deny_privileged",
  },
  {
    name: "host network",
    method: "POST",
    path: CREATE,
    body: create({ NetworkMode: "host" }),
    rule: "containers.deny_host_network",
  },
  {
    name: "bind of the engine socket's directory",
    method: "POST",
    path: CREATE,
    body: create({ Binds: ["/var/run/:/x"] }),
    rule: "defaults.engine_socket",
  },
  {
    name: "bind of the root through a dotted path",
    method: "POST",
    path: CREATE,
    body: create({ Binds: ["/tmp/../:/host:ro"] }),
    rule: "defaults.engine_socket",
  },
  {
    name: "bind mount of /run",
    method: "POST",
    path: CREATE,
    body: create({ Mounts: [{ Type: "bind", Source: "/run", Target: "/r" }] }),
    rule: "defaults.engine_socket",
  },
  {
    name: "volume mount whose driver options bind the host root",
    method: "POST",
    path: CREATE,
    body: create({
      Mounts: [{
        Type: "volume",
        Target: "/h",
        VolumeOptions: {
          DriverConfig: {
            Name: "local",
            Options: { type: "none", o: "bind", device: "/" },
          },
        },
      }],
    }),
    rule: "defaults.engine_socket",
  },
  {
    name: "bind below a denied path",
    method: "POST",
    path: CREATE,
    body: create({ Binds: ["/etc/ssl:/ssl"] }),
    rule: "volumes.denied_paths",
  },
  {
    name: "image with the implicit latest tag",
    method: "POST",
    path: CREATE,
    body: { Image: "tiny", Cmd: ["true"] },
    rule: "images.denied_tags",
  },
  {
    name: "volume whose options bind /var",
    method: "POST",
    path: `${API}/volumes/create`,
    body: {
      Name: "dg-filters-bad",
      DriverOpts: { type: "none", o: "bind", device: "/var" },
    },
    rule: "defaults.engine_socket",
  },
  {
    name: "tag that moves latest",
    method: "POST",
    path: `${API}/images/${IMAGE}/tag?repo=tiny&tag=latest`,
    rule: "images.denied_tags",
  },
  {
    name: "stop of the proxy container",
    method: "POST",
    path: `${API}/containers/dg-filters-proxy/stop`,
    rule: "defaults.proxy_container",
  },
];

async function engineState(engine: Engine): Promise<string> {
  const parts = await Promise.all([
    send(engine.socketPath, "GET", "/containers/json?all=1"),
    send(engine.socketPath, "GET", "/volumes"),
    send(engine.socketPath, "GET", "/images/json"),
  ]);
  const containers = (parts[0].json as { Id: string; State: string }[])
    .map((c) => `${c.Id}:${c.State}`).sort();
  const volumes = ((parts[1].json as { Volumes: { Name: string }[] | null })
    .Volumes ?? []).map((v) => v.Name).sort();
  const tags = (parts[2].json as { RepoTags: string[] | null }[])
    .flatMap((image) => image.RepoTags ?? []).sort();
  return JSON.stringify({ containers, volumes, tags });
}

integrationTest(
  "every denied create, volume, tag and stop answers 403 with its rule and changes nothing",
  async () => {
    await withDockgate(POLICY, async ({ engine, gate }) => {
      const proxy = await send(
        engine.socketPath,
        "POST",
        "/containers/create?name=dg-filters-proxy",
        { Image: IMAGE, Cmd: ["sleep", "60"] },
      );
      assert.equal(proxy.status, 201, proxy.text);
      const proxyId = String((proxy.json as { Id: string }).Id);
      await send(engine.socketPath, "POST", `/containers/${proxyId}/start`);
      try {
        const before = await engineState(engine);
        for (const testCase of DENIED) {
          const answer = await send(
            gate.socketPath,
            testCase.method,
            testCase.path,
            testCase.body,
          );
          assert.equal(answer.status, 403, `${testCase.name}: ${answer.text}`);
          assert.match(
            answer.text,
            new RegExp(`rule ${testCase.rule.replace(".", "\\.")}`),
            testCase.name,
          );
        }
        assert.equal(await engineState(engine), before);
        const allowed = await send(gate.socketPath, "POST", CREATE, {
          Image: IMAGE,
          Cmd: ["true"],
          HostConfig: { Binds: ["/var/tmp:/t:ro"], CapAdd: [] },
        });
        assert.equal(allowed.status, 201, allowed.text);
        const createdId = String((allowed.json as { Id: string }).Id);
        await send(engine.socketPath, "DELETE", `/containers/${createdId}`);
      } finally {
        await send(
          engine.socketPath,
          "DELETE",
          `/containers/${proxyId}?force=1`,
        );
      }
    });
  },
);
