import assert from "node:assert/strict";
import type { Exchange } from "../../src/app/exchange.ts";
import { parseGoQuery } from "../../src/policy/go_query.ts";
import { createOwnershipGuard } from "../../src/policy/ownership/ownership_guard.ts";
import { fakeExchange, fakeLookup, forwardedBody } from "./_exchange.ts";

const OWNER = { name: "dockgate.owner", value: "a" };
const MINE = { "dockgate.owner": "a" };
const THEIRS = { "dockgate.owner": "b" };
const C1 = "c1".padEnd(64, "1");
const C2 = "c2".padEnd(64, "2");

const container = (id: string, labels: Record<string, string>) => ({
  id,
  labels,
});

const OBJECTS = {
  containers: {
    mine: container(C1, MINE),
    [C1]: container(C1, MINE),
    theirs: container(C2, THEIRS),
    [C2]: container(C2, THEIRS),
    unlabelled: container("c3".padEnd(64, "3"), {}),
  },
  execs: { e1: { id: "e1", labels: MINE }, e2: { id: "e2", labels: THEIRS } },
  volumes: {
    vmine: { id: "vmine", labels: MINE },
    vtheirs: { id: "vtheirs", labels: THEIRS },
  },
  networks: {
    nmine: { id: "n1", name: "nmine", labels: MINE },
    ntheirs: { id: "n2", name: "ntheirs", labels: THEIRS },
    bridge: { id: "n0", name: "bridge", labels: {} },
  },
  images: {
    "img-mine:1": { id: "sha256:1", labels: MINE },
    "img-mine:latest": { id: "sha256:1", labels: MINE },
    "img-theirs:1": { id: "sha256:2", labels: THEIRS },
    "tiny:1": { id: "sha256:0", labels: {} },
  },
};

async function guard(
  method: string,
  target: string,
  body?: unknown,
): Promise<
  {
    response: Response | null;
    exchange: Exchange;
    lookup: ReturnType<typeof fakeLookup>;
  }
> {
  const lookup = fakeLookup(OBJECTS);
  const exchange = fakeExchange(method, target, body);
  const response = await createOwnershipGuard({ owner: OWNER, lookup })(
    exchange,
  );
  return { response, exchange, lookup };
}

/** [method, target, body, expected status (null: allowed), expected rule] */
type Case = [string, string, unknown, number | null, string?];

const CASES: Case[] = [
  ["GET", "/containers/mine/json", undefined, null],
  ["GET", "/containers/theirs/json", undefined, 404, "ownership.container"],
  ["GET", `/containers/${C2}/json`, undefined, 404, "ownership.container"],
  ["GET", "/containers/unlabelled/json", undefined, 404, "ownership.container"],
  ["GET", "/containers/ghost/json", undefined, 404, "ownership.container"],
  ["POST", "/containers/theirs/stop", undefined, 404, "ownership.container"],
  [
    "POST",
    "/containers/theirs/attach?stream=1",
    undefined,
    404,
    "ownership.container",
  ],
  [
    "GET",
    "/containers/theirs/archive?path=/",
    undefined,
    404,
    "ownership.container",
  ],
  [
    "POST",
    "/containers/theirs/exec",
    { Cmd: ["sh"] },
    404,
    "ownership.container",
  ],
  ["DELETE", "/v1.41/containers/mine", undefined, null],
  ["POST", "/exec/e1/start", { Detach: true }, null],
  ["POST", "/exec/e2/start", { Detach: true }, 404, "ownership.exec"],
  ["GET", "/exec/e2/json", undefined, 404, "ownership.exec"],
  ["GET", "/volumes/vtheirs", undefined, 404, "ownership.volume"],
  ["DELETE", "/volumes/vmine", undefined, null],
  ["DELETE", "/networks/ntheirs", undefined, 404, "ownership.network"],
  ["GET", "/networks/bridge", undefined, 404, "ownership.network"],
  [
    "POST",
    "/networks/ntheirs/connect",
    { Container: "mine" },
    404,
    "ownership.network",
  ],
  [
    "POST",
    "/networks/nmine/connect",
    { Container: "theirs" },
    404,
    "ownership.container",
  ],
  ["POST", "/networks/nmine/disconnect", { Container: "mine" }, null],
  ["GET", "/images/img-theirs:1/json", undefined, 404, "ownership.image"],
  ["GET", "/images/tiny:1/json", undefined, null],
  ["GET", "/images/img-mine:1/history", undefined, null],
  ["DELETE", "/images/tiny:1", undefined, 403, "ownership.image_shared"],
  ["DELETE", "/images/img-theirs:1", undefined, 404, "ownership.image"],
  ["DELETE", "/images/img-mine:1", undefined, null],
  [
    "POST",
    "/images/tiny:1/tag?repo=img-theirs&tag=1",
    undefined,
    403,
    "ownership.image_tag",
  ],
  ["POST", "/images/tiny:1/tag?repo=img-mine", undefined, null],
  [
    "POST",
    "/images/img-theirs:1/tag?repo=copy&tag=1",
    undefined,
    404,
    "ownership.image",
  ],
  [
    "GET",
    "/images/get?names=tiny:1&names=img-theirs:1",
    undefined,
    404,
    "ownership.image",
  ],
  ["POST", "/images/img-mine/push?tag=1", undefined, null],
  ["POST", "/images/img-mine/push", undefined, 403, "ownership.image_push"],
  ["POST", "/images/img-theirs/push?tag=1", undefined, 404, "ownership.image"],
  [
    "POST",
    "/images/create?fromImage=img-theirs&tag=1",
    undefined,
    403,
    "ownership.image_tag",
  ],
  ["POST", "/images/create?fromImage=busybox&tag=latest", undefined, null],
  [
    "POST",
    "/images/create?fromSrc=-&repo=img-theirs&tag=1",
    undefined,
    403,
    "ownership.image_tag",
  ],
  [
    "POST",
    "/images/create?fromSrc=-&changes=LABEL%20x%3Dy%20%5C",
    undefined,
    403,
    "ownership.changes",
  ],
  [
    "POST",
    "/images/create?fromSrc=-&changes=%23%20escape%3D%60",
    undefined,
    403,
    "ownership.changes",
  ],
  ["POST", "/commit?container=theirs", undefined, 404, "ownership.container"],
  ["POST", "/containers/create", undefined, 400, "ownership.body"],
  [
    "POST",
    "/containers/create",
    { Image: "img-theirs:1" },
    404,
    "ownership.image",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", HostConfig: { Binds: ["vtheirs:/data"] } },
    403,
    "ownership.volume",
  ],
  [
    "POST",
    "/containers/create",
    {
      Image: "tiny:1",
      HostConfig: {
        Mounts: [{ Type: "volume", Source: "vtheirs", Target: "/d" }],
      },
    },
    403,
    "ownership.volume",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", HostConfig: { NetworkMode: "ntheirs" } },
    403,
    "ownership.network",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", NetworkingConfig: { EndpointsConfig: { ntheirs: {} } } },
    403,
    "ownership.network",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", HostConfig: { VolumesFrom: ["theirs:ro"] } },
    403,
    "ownership.container",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", HostConfig: { PidMode: "container:theirs" } },
    403,
    "ownership.container",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", HostConfig: { NetworkMode: "container:theirs" } },
    403,
    "ownership.container",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", hostconfig: { links: ["/theirs:/me/peer"] } },
    403,
    "ownership.container",
  ],
  ["POST", "/containers/create", {
    Image: "tiny:1",
    HostConfig: { NetworkMode: "bridge", VolumesFrom: ["mine"] },
  }, null],
  [
    "POST",
    "/v1.23/containers/mine/start",
    { VolumesFrom: ["theirs"] },
    403,
    "ownership.container",
  ],
  // Engines before 27.0 also apply HostConfig fields at the top level.
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", VolumesFrom: ["theirs"] },
    403,
    "ownership.container",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", Binds: ["vtheirs:/d"] },
    403,
    "ownership.volume",
  ],
  [
    "POST",
    "/containers/create",
    { Image: "tiny:1", NetworkMode: "ntheirs" },
    403,
    "ownership.network",
  ],
  [
    "POST",
    "/v1.23/containers/mine/start",
    { HostConfig: { Links: ["theirs:x"] } },
    403,
    "ownership.container",
  ],
  // An endpoint joins its NetworkID, whatever its key says.
  [
    "POST",
    "/containers/create",
    {
      Image: "tiny:1",
      NetworkingConfig: {
        EndpointsConfig: { nmine: { NetworkID: "ntheirs" } },
      },
    },
    403,
    "ownership.network",
  ],
  ["POST", "/containers/create", {
    Image: "tiny:1",
    NetworkingConfig: { EndpointsConfig: { nmine: { NetworkID: "nmine" } } },
  }, null],
  [
    "POST",
    "/networks/nmine/connect",
    { Container: "mine", EndpointConfig: { NetworkID: "ntheirs" } },
    404,
    "ownership.network",
  ],
  ["POST", "/volumes/create", { Name: "vtheirs" }, 403, "ownership.volume"],
  ["POST", "/volumes/create", { Name: "vmine" }, null],
  ["POST", "/build?t=img-theirs:1", undefined, 403, "ownership.image_tag"],
  ["POST", "/build?networkmode=ntheirs", undefined, 403, "ownership.network"],
  [
    "POST",
    "/build?networkmode=container:theirs",
    undefined,
    403,
    "ownership.container",
  ],
  ["POST", "/build?networkmode=nmine&t=img-mine:3", undefined, null],
  ["POST", "/build?networkmode=none", undefined, null],
  ["GET", "/system/df", undefined, 403, "ownership.engine_wide"],
  ["POST", "/images/load", undefined, 403, "ownership.engine_wide"],
  ["POST", "/swarm/init", {}, 403, "ownership.engine_wide"],
  ["GET", "/plugins", undefined, 403, "ownership.engine_wide"],
  ["POST", "/build/prune", undefined, 403, "ownership.engine_wide"],
  [
    "GET",
    "/containers/json?filters=%7B%22label%22%3A%5B%22a%22%5D%2C%22label%22%3A%5B%22b%22%5D%7D",
    undefined,
    400,
    "request.invalid",
  ],
  ["GET", "/_ping", undefined, null],
  ["GET", "/info", undefined, null],
];

for (const [method, target, body, status, rule] of CASES) {
  Deno.test(
    `ownership guard: ${method} ${target}${
      body === undefined ? "" : ` ${JSON.stringify(body)}`
    } -> ${status ?? "allowed"}`,
    async () => {
      const { response, exchange } = await guard(method, target, body);
      assert.equal(response?.status ?? null, status);
      if (rule !== undefined) assert.equal(exchange.verdict.rule, rule);
    },
  );
}

Deno.test("ownership guard answers a missing and another's container alike", async () => {
  const missing = await guard("GET", "/containers/ghost/json");
  const theirs = await guard("GET", "/containers/theirs/json");
  assert.equal(
    (await missing.response!.text()).replace("ghost", "X"),
    (await theirs.response!.text()).replace("theirs", "X"),
  );
  // The audit record still tells the operator which it was.
  assert.match(missing.exchange.verdict.reason, /^no such container/);
  assert.match(
    theirs.exchange.verdict.reason,
    /is not labelled dockgate.owner=a/,
  );
});

Deno.test("ownership guard forwards single-object requests by the resolved ID", async () => {
  const cases: [string, string, unknown, string][] = [
    [
      "DELETE",
      "/v1.41/containers/mine?force=1",
      undefined,
      `/v1.41/containers/${C1}`,
    ],
    ["GET", "/containers/mine/logs", undefined, `/containers/${C1}/logs`],
    [
      "POST",
      "/networks/nmine/connect",
      { Container: "mine" },
      "/networks/n1/connect",
    ],
  ];
  for (const [method, target, body, path] of cases) {
    const { response, exchange } = await guard(method, target, body);
    assert.equal(response, null);
    assert.equal(exchange.target.path, path);
  }
  const { exchange } = await guard("POST", "/networks/nmine/connect", {
    Container: "mine",
  });
  assert.deepEqual(forwardedBody(exchange), { Container: C1 });
});

Deno.test("ownership guard stamps a container create and creates its named volumes labelled", async () => {
  const { response, exchange, lookup } = await guard(
    "POST",
    "/containers/create",
    {
      Image: "tiny:1",
      Labels: { "dockgate.owner": "b", keep: "me" },
      HostConfig: {
        Binds: ["fresh:/data", "vmine:/m:ro", "/srv/a:/srv", "/anonymous"],
        Mounts: [
          { Type: "volume", Target: "/anon" },
          {
            Type: "volume",
            Source: "other-fresh",
            Target: "/o",
            VolumeOptions: {
              DriverConfig: { Name: "local", Options: { type: "tmpfs" } },
            },
          },
        ],
        VolumeDriver: "",
      },
    },
  );
  assert.equal(response, null);
  const body = forwardedBody(exchange) as {
    Labels: Record<string, string>;
    HostConfig: {
      Mounts: { VolumeOptions?: { Labels?: Record<string, string> } }[];
    };
  };
  assert.deepEqual(body.Labels, { "dockgate.owner": "a", keep: "me" });
  assert.deepEqual(body.HostConfig.Mounts[0]?.VolumeOptions?.Labels, MINE);
  assert.deepEqual(
    lookup.created.map((
      spec,
    ) => [spec.name, spec.driver, spec.driverOpts, spec.labels]),
    [
      ["fresh", null, {}, MINE],
      ["other-fresh", "local", { type: "tmpfs" }, MINE],
    ],
  );
});

Deno.test("ownership guard stops when another client wins the race for a volume name", async () => {
  const lookup = fakeLookup(OBJECTS);
  lookup.createVolume = (spec) =>
    Promise.resolve({ id: spec.name, labels: THEIRS });
  const exchange = fakeExchange("POST", "/containers/create", {
    Image: "tiny:1",
    HostConfig: { Binds: ["raced:/data"] },
  });
  const response = await createOwnershipGuard({ owner: OWNER, lookup })(
    exchange,
  );
  assert.equal(response?.status, 403);
  assert.equal(exchange.verdict.rule, "ownership.volume");
});

Deno.test("ownership guard stamps volume and network creates over the client's label", async () => {
  for (const target of ["/volumes/create", "/networks/create"]) {
    const { response, exchange } = await guard("POST", target, {
      Name: "n",
      Labels: { "dockgate.owner": "b" },
    });
    assert.equal(response, null);
    assert.deepEqual(
      (forwardedBody(exchange) as { Labels: unknown }).Labels,
      MINE,
    );
  }
});

Deno.test("ownership guard adds its label to the filters of every list", async () => {
  const targets = [
    "/containers/json?all=1",
    "/images/json",
    "/volumes",
    "/networks",
    "/networks/",
    "/events?since=1",
    "/containers/prune",
    "/volumes/prune",
  ];
  for (const target of targets) {
    const { response, exchange } = await guard(
      target.includes("prune") ? "POST" : "GET",
      target,
    );
    assert.equal(response, null, target);
    const filters = parseGoQuery(exchange.target.rawQuery).getAll("filters");
    assert.deepEqual(filters.map((text) => JSON.parse(text)), [
      { label: { "dockgate.owner=a": true } },
    ], target);
  }
  const { exchange } = await guard(
    "GET",
    `/containers/json?all=1&filters=${
      encodeURIComponent('{"status":["running"],"label":{"x=1":true}}')
    }&filters=ignored`,
  );
  const query = parseGoQuery(exchange.target.rawQuery);
  assert.equal(query.get("all"), "1");
  assert.deepEqual(query.getAll("filters").map((text) => JSON.parse(text)), [{
    status: { running: true },
    label: { "x=1": true, "dockgate.owner=a": true },
  }]);
});

Deno.test("ownership guard labels builds and removes their intermediate containers", async () => {
  const { response, exchange } = await guard(
    "POST",
    `/build?t=img-mine:2&rm=0&forcerm=0&labels=${
      encodeURIComponent('{"dockgate.owner":"b","x":"y"}')
    }`,
  );
  assert.equal(response, null);
  const query = parseGoQuery(exchange.target.rawQuery);
  assert.deepEqual(JSON.parse(query.get("labels")!), {
    "dockgate.owner": "a",
    x: "y",
  });
  assert.deepEqual(query.getAll("rm"), ["1"]);
  assert.deepEqual(query.getAll("forcerm"), ["1"]);
  assert.deepEqual(query.getAll("t"), ["img-mine:2"]);
});

Deno.test("ownership guard ends commit and import changes with its own LABEL", async () => {
  const commit = await guard(
    "POST",
    "/commit?container=mine&repo=snap&changes=LABEL%20dockgate.owner%3Db&changes=CMD%20true",
    { Labels: { "dockgate.owner": "b" } },
  );
  assert.equal(commit.response, null);
  const query = parseGoQuery(commit.exchange.target.rawQuery);
  assert.deepEqual(query.getAll("changes"), [
    "LABEL dockgate.owner=b",
    "CMD true",
    "LABEL dockgate.owner=a",
  ]);
  assert.equal(query.get("container"), C1);
  assert.deepEqual(
    (forwardedBody(commit.exchange) as { Labels: unknown }).Labels,
    MINE,
  );
  const imported = await guard("POST", "/images/create?fromSrc=-&repo=new");
  assert.equal(imported.response, null);
  assert.deepEqual(
    parseGoQuery(imported.exchange.target.rawQuery).getAll("changes"),
    ["LABEL dockgate.owner=a"],
  );
});

Deno.test("ownership guard fails closed with 502 when the engine cannot answer", async () => {
  const lookup = fakeLookup(OBJECTS);
  lookup.container = () => Promise.reject(new Error("connection refused"));
  const exchange = fakeExchange("POST", "/containers/mine/start");
  const response = await createOwnershipGuard({ owner: OWNER, lookup })(
    exchange,
  );
  assert.equal(response?.status, 502);
  assert.equal(exchange.verdict.decision, "error");
});
