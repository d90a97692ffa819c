/**
 * pinReferences(): what an allowed request names goes upstream as the full
 * IDs dockgate resolved, so a rename or a removed network between the
 * check and the engine's (possibly much later) lookup changes nothing.
 */

import assert from "node:assert/strict";
import {
  pinReferences,
  type PinResolvers,
} from "../../src/policy/filters/pin_refs.ts";

const MINE = "a".repeat(64);
const NET = "c".repeat(64);

const RESOLVE: PinResolvers = {
  container: (ref) =>
    ref === "d9a30787d7f7" ? { id: MINE, name: "/d9a30787d7f7" } : undefined,
  network: (ref) =>
    ref === "318429" || ref === "mynet" ? { id: NET, name: ref } : undefined,
};

interface Row {
  name: string;
  routeId: string;
  params?: Record<string, string>;
  body?: unknown;
  query?: string;
  expectedBody?: unknown;
  expectedQuery?: string;
}

const ROWS: readonly Row[] = [
  {
    name: "commit names the resolved container and drops later values",
    routeId: "container.commit",
    query: "container=d9a30787d7f7&repo=x&container=dgproxy&tag=v1",
    expectedQuery: `container=${MINE}&repo=x&tag=v1`,
  },
  {
    name: "commit of an unresolved container is left alone",
    routeId: "container.commit",
    query: "container=nobody&repo=x",
  },
  {
    name: "build networkmode container:<ref>",
    routeId: "build",
    query: "t=a:1&networkmode=container%3Ad9a30787d7f7",
    expectedQuery: `t=a:1&networkmode=container%3A${MINE}`,
  },
  {
    name: "build networkmode as a network name",
    routeId: "build",
    query: "networkmode=318429&t=a:1",
    expectedQuery: `networkmode=${NET}&t=a:1`,
  },
  {
    name: "connect names the resolved container and NetworkID",
    routeId: "network.connect",
    params: { id: "decoy" },
    body: { Container: "d9a30787d7f7", EndpointConfig: { NetworkID: "mynet" } },
    expectedBody: { Container: MINE, EndpointConfig: { NetworkID: NET } },
  },
  {
    name: "connect pins the route's network for a stopped container",
    routeId: "network.connect",
    params: { id: "318429" },
    body: { Container: "d9a30787d7f7" },
    expectedBody: { Container: MINE, EndpointConfig: { NetworkID: NET } },
  },
  {
    name: "disconnect only pins the container",
    routeId: "network.disconnect",
    params: { id: "318429" },
    body: { Container: "d9a30787d7f7", Force: true },
    expectedBody: { Container: MINE, Force: true },
  },
  {
    name: "create pins NetworkMode through an endpoint NetworkID",
    routeId: "container.create",
    body: { Image: "x", HostConfig: { NetworkMode: "318429" } },
    expectedBody: {
      Image: "x",
      HostConfig: { NetworkMode: "318429" },
      NetworkingConfig: {
        EndpointsConfig: { "318429": { NetworkID: NET } },
      },
    },
  },
  {
    name: "create pins an existing endpoint and keeps its settings",
    routeId: "container.create",
    body: {
      Image: "x",
      HostConfig: { NetworkMode: "mynet" },
      NetworkingConfig: { EndpointsConfig: { mynet: { Aliases: ["a"] } } },
    },
    expectedBody: {
      Image: "x",
      HostConfig: { NetworkMode: "mynet" },
      NetworkingConfig: {
        EndpointsConfig: { mynet: { Aliases: ["a"], NetworkID: NET } },
      },
    },
  },
  {
    name: "create pins container joins and VolumesFrom",
    routeId: "container.create",
    body: {
      Image: "x",
      HostConfig: {
        NetworkMode: "none",
        IpcMode: "container:d9a30787d7f7",
        VolumesFrom: ["d9a30787d7f7:ro", "other"],
      },
    },
    expectedBody: {
      Image: "x",
      HostConfig: {
        NetworkMode: "none",
        IpcMode: `container:${MINE}`,
        VolumesFrom: [`${MINE}:ro`, "other"],
      },
    },
  },
  {
    name: 'create pins the NetworkID of an endpoint keyed by ""',
    routeId: "container.create",
    body: {
      Image: "x",
      NetworkingConfig: { EndpointsConfig: { "": { NetworkID: "318429" } } },
    },
    expectedBody: {
      Image: "x",
      NetworkingConfig: { EndpointsConfig: { "": { NetworkID: NET } } },
    },
  },
  {
    name: "create leaves built-in networks alone",
    routeId: "container.create",
    body: { Image: "x", HostConfig: { NetworkMode: "bridge" } },
    expectedBody: { Image: "x", HostConfig: { NetworkMode: "bridge" } },
  },
  {
    name: "legacy start pins NetworkMode itself",
    routeId: "container.start",
    body: { NetworkMode: "mynet" },
    expectedBody: { NetworkMode: NET },
  },
  {
    name: "service Targets",
    routeId: "service.create",
    body: {
      TaskTemplate: { Networks: [{ Target: "mynet" }, { Target: "other" }] },
    },
    expectedBody: {
      TaskTemplate: { Networks: [{ Target: NET }, { Target: "other" }] },
    },
  },
];

Deno.test("pinReferences() forwards resolved references as full IDs", () => {
  for (const row of ROWS) {
    const input = structuredClone(row.body);
    const pinned = pinReferences(
      row.routeId,
      row.params ?? {},
      row.body,
      row.query ?? "",
      RESOLVE,
    );
    assert.deepEqual(pinned.rawQuery, row.expectedQuery, row.name);
    if (row.expectedBody !== undefined) {
      assert.deepEqual(pinned.body, row.expectedBody, row.name);
    }
    assert.deepEqual(row.body, input, `${row.name}: input was modified`);
  }
});

Deno.test("pinReferences() cannot be made to set a prototype by a key", () => {
  const body = JSON.parse(
    '{"Image":"x","HostConfig":{"NetworkMode":"__proto__"}}',
  );
  const pinned = pinReferences("container.create", {}, body, "", {
    container: () => undefined,
    network: (ref) => ref === "__proto__" ? { id: NET, name: ref } : undefined,
  });
  const endpoints = (pinned.body as {
    NetworkingConfig: { EndpointsConfig: Record<string, unknown> };
  }).NetworkingConfig.EndpointsConfig;
  assert.ok(Object.hasOwn(endpoints, "__proto__"));
  assert.equal(Object.getPrototypeOf(endpoints), Object.prototype);
});
