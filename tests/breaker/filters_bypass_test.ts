/**
 * Unit-level reproductions of the bypasses in bypass_test.ts: each row is
 * a request body the engine acts on in a way the filters must refuse,
 * decoded and canonicalised as a real request is.
 */

import assert from "node:assert/strict";
import { BodyError } from "../../src/policy/filters/go_json.ts";
import { createRequestFilters } from "../../src/policy/filters/request_filters.ts";
import type {
  FilterContext,
  ResolvedNetwork,
} from "../../src/policy/filters/types.ts";
import {
  allow,
  denyPattern,
  makeContext,
  makeOptions,
  type OptionsPatch,
  outcome,
  type RequestSpec,
} from "../policy/filters/test_helpers.ts";

const PROXY_NETWORK_ID = "b9f0151c15" + "0".repeat(54);
const HOST_NETWORK_ID = "ea65bbee3f" + "1".repeat(54);

/** The networks the engine knows in these tests, by every spelling. */
const NETWORKS: ReadonlyMap<string, ResolvedNetwork> = new Map([
  ["dockgate-net", { id: PROXY_NETWORK_ID, name: "dockgate-net" }],
  [PROXY_NETWORK_ID, { id: PROXY_NETWORK_ID, name: "dockgate-net" }],
  ["b9f0151c", { id: PROXY_NETWORK_ID, name: "dockgate-net" }],
  [HOST_NETWORK_ID, { id: HOST_NETWORK_ID, name: "host" }],
  ["ea65bbee", { id: HOST_NETWORK_ID, name: "host" }],
  ["decoy", { id: "dec0" + "2".repeat(60), name: "decoy" }],
]);

/** Options a shared CI host would run: defaults on, both deny switches. */
const STRICT: OptionsPatch = {
  containers: { deny_privileged: true, deny_host_network: true },
  volumes: { allowed_paths: [allow("/tmp/allowed/.*")] },
  images: { denied_tags: [denyPattern("^latest$")] },
};

interface Row {
  name: string;
  request: RequestSpec;
  /** The denying rule, or "BodyError" for a body refused while decoding. */
  expected: string;
  options?: OptionsPatch;
}

function judge(row: Row): string {
  let ctx: FilterContext;
  try {
    ctx = {
      ...makeContext(row.request),
      resolveNetwork: (ref: string) => NETWORKS.get(ref),
    };
  } catch (error) {
    if (error instanceof BodyError) return "BodyError";
    throw error;
  }
  const options = makeOptions({ ...STRICT, ...row.options });
  return outcome(createRequestFilters(options)(ctx));
}

function runRows(rows: readonly Row[]): void {
  for (const row of rows) {
    assert.equal(judge(row), row.expected, row.name);
  }
}

function create(body: Record<string, unknown>): RequestSpec {
  return {
    routeId: "container.create",
    json: JSON.stringify({ Image: "tiny:1", ...body }),
  };
}

function legacyStart(body: unknown): RequestSpec {
  return {
    routeId: "container.start",
    params: { name: "web" },
    json: JSON.stringify(body),
    apiVersion: "1.23",
  };
}

Deno.test("createRequestFilters() refuses HostConfig fields at the top level of a create body", () => {
  runRows([
    {
      name: "Binds",
      request: create({ Binds: ["/:/host"] }),
      expected: "request.invalid",
    },
    {
      name: "lower-case binds",
      request: create({ binds: ["/var/run:/r"] }),
      expected: "request.invalid",
    },
    {
      name: "Privileged beside a harmless HostConfig",
      request: create({ Privileged: true, HostConfig: { Memory: 1 << 24 } }),
      expected: "request.invalid",
    },
    {
      name: "VolumeDriver, merged by the engine into HostConfig",
      request: create({ VolumeDriver: "evil", HostConfig: {} }),
      expected: "request.invalid",
    },
    {
      name: "Config fields only",
      request: create({ Cmd: ["true"], Env: ["A=1"], HostConfig: {} }),
      expected: "allowed",
    },
  ]);
});

Deno.test("createRequestFilters() refuses a HostConfig object in a legacy start body", () => {
  runRows([
    {
      name: "nested HostConfig",
      request: legacyStart({ HostConfig: { Binds: ["/:/host"] } }),
      expected: "request.invalid",
    },
    {
      name: "nested hostconfig, folded",
      request: legacyStart({ hostconfig: { Privileged: true } }),
      expected: "request.invalid",
    },
    {
      name: "HostConfig fields at the top level are still checked",
      request: legacyStart({ Binds: ["/:/host"] }),
      expected: "defaults.engine_socket",
    },
    {
      name: "null HostConfig is no HostConfig",
      request: legacyStart({ HostConfig: null }),
      expected: "allowed",
    },
  ]);
});

Deno.test("createRequestFilters() refuses local volumes that mount kernel filesystems or relative devices", () => {
  const volume = (opts: Record<string, string>): RequestSpec => ({
    routeId: "volume.create",
    json: JSON.stringify({ Name: "v1", DriverOpts: opts }),
  });
  const mount = (opts: Record<string, string>): RequestSpec =>
    create({
      HostConfig: {
        Mounts: [{
          Type: "volume",
          Source: "v2",
          Target: "/m",
          VolumeOptions: { DriverConfig: { Options: opts } },
        }],
      },
    });
  const service = (opts: Record<string, string>): RequestSpec => ({
    routeId: "service.create",
    json: JSON.stringify({
      TaskTemplate: {
        ContainerSpec: {
          Image: "tiny:1",
          Mounts: [{
            Type: "volume",
            Target: "/m",
            VolumeOptions: {
              DriverConfig: { Name: "local", Options: opts },
            },
          }],
        },
      },
    }),
  });
  const rows: Row[] = [];
  for (
    const [how, build] of [["volume", volume], ["mount", mount], [
      "service",
      service,
    ]] as const
  ) {
    rows.push(
      {
        name: `${how}: procfs`,
        request: build({ type: "proc", device: "proc" }),
        expected: "containers.deny_privileged",
      },
      {
        name: `${how}: sysfs with an allowed-looking device`,
        request: build({ type: "sysfs", device: "/tmp/allowed/x" }),
        expected: "containers.deny_privileged",
      },
      {
        name: `${how}: cgroup2`,
        request: build({ type: "cgroup2", device: "none" }),
        expected: "containers.deny_privileged",
      },
      {
        name: `${how}: a block device by a relative path`,
        request: build({ type: "ext4", device: "dev/vda1" }),
        expected: "request.invalid",
      },
      {
        name: `${how}: a block device outside allowed_paths`,
        request: build({ type: "ext4", device: "/dev/vda1" }),
        expected: "volumes.allowed_paths",
      },
      {
        name: `${how}: tmpfs`,
        request: build({ type: "tmpfs", device: "tmpfs", o: "size=1m" }),
        expected: "allowed",
      },
      {
        name: `${how}: an allowed bind`,
        request: build({ type: "none", o: "bind", device: "/tmp/allowed/x" }),
        expected: "allowed",
      },
    );
  }
  runRows(rows);
});

Deno.test("createRequestFilters() judges a network by what an ID or NetworkID resolves to", () => {
  runRows([
    {
      name: "NetworkMode as an ID prefix of the proxy network",
      request: create({ HostConfig: { NetworkMode: "b9f0151c" } }),
      expected: "defaults.proxy_network",
    },
    {
      name: "EndpointsConfig keyed by the proxy network's full ID",
      request: create({
        NetworkingConfig: { EndpointsConfig: { [PROXY_NETWORK_ID]: {} } },
      }),
      expected: "defaults.proxy_network",
    },
    {
      name: "NetworkID overriding an innocent key",
      request: create({
        HostConfig: { NetworkMode: "decoy" },
        NetworkingConfig: {
          EndpointsConfig: { decoy: { NetworkID: "b9f0151c" } },
        },
      }),
      expected: "defaults.proxy_network",
    },
    {
      name: "networkid, folded, naming the proxy network by name",
      request: create({
        NetworkingConfig: {
          EndpointsConfig: { decoy: { networkid: "dockgate-net" } },
        },
      }),
      expected: "defaults.proxy_network",
    },
    {
      name: "NetworkMode as the host network's ID",
      request: create({ HostConfig: { NetworkMode: "ea65bbee" } }),
      expected: "containers.deny_host_network",
    },
    {
      name: "legacy start NetworkMode as an ID prefix",
      request: legacyStart({ NetworkMode: "b9f0151c" }),
      expected: "defaults.proxy_network",
    },
    {
      name: "connect through a decoy with EndpointConfig.NetworkID",
      request: {
        routeId: "network.connect",
        params: { id: "decoy" },
        json: JSON.stringify({
          Container: "web",
          EndpointConfig: { NetworkID: PROXY_NETWORK_ID },
        }),
      },
      expected: "defaults.proxy_network",
    },
    {
      name: "service Target as the host network's ID",
      request: {
        routeId: "service.create",
        json: JSON.stringify({
          TaskTemplate: {
            ContainerSpec: { Image: "tiny:1" },
            Networks: [{ Target: HOST_NETWORK_ID }],
          },
        }),
      },
      expected: "containers.deny_host_network",
    },
    {
      name: "service Target as an ID prefix of the proxy network",
      request: {
        routeId: "service.create",
        json: JSON.stringify({
          TaskTemplate: { ContainerSpec: { Image: "tiny:1" } },
          Networks: [{ Target: "b9f0151c" }],
        }),
      },
      expected: "defaults.proxy_network",
    },
    {
      name: "an ordinary network by name",
      request: create({ HostConfig: { NetworkMode: "decoy" } }),
      expected: "allowed",
    },
  ]);
});

Deno.test("createRequestFilters() applies the network and proxy rules to a build's networkmode", () => {
  const build = (networkmode: string): RequestSpec => ({
    routeId: "build",
    query: `t=app:1&networkmode=${encodeURIComponent(networkmode)}`,
  });
  const open: OptionsPatch = {
    containers: { deny_privileged: true, deny_host_network: false },
  };
  runRows([
    {
      name: "the proxy network by name",
      request: build("dockgate-net"),
      expected: "defaults.proxy_network",
    },
    {
      name: "the proxy network by ID prefix",
      request: build("b9f0151c"),
      expected: "defaults.proxy_network",
    },
    {
      name: "the host network by ID",
      request: build(HOST_NETWORK_ID),
      expected: "containers.deny_host_network",
    },
    {
      name: "the proxy container, host networking allowed",
      options: open,
      request: build("container:dockgate"),
      expected: "defaults.proxy_container",
    },
    {
      name: "a denied network name",
      options: { networks: { denied_names: [denyPattern("^decoy$")] } },
      request: build("decoy"),
      expected: "networks.denied_names",
    },
    {
      name: "an ordinary network",
      request: build("decoy"),
      expected: "allowed",
    },
  ]);
});

Deno.test("createRequestFilters() applies tag rules to an image name made of hex digits", () => {
  runRows([
    {
      name: "hex that is the name beef:latest",
      request: create({ Image: "beef" }),
      expected: "images.denied_tags",
    },
    {
      name: "a short ID is also a possible name",
      request: create({ Image: "f586b70eb4bc" }),
      expected: "images.denied_tags",
    },
    {
      name: "sha256: and a short ID is never a name",
      request: create({ Image: "sha256:f586b70eb4bc" }),
      expected: "allowed",
    },
    {
      name: "a full ID is never a name",
      request: create({ Image: "f586b70eb4bc" + "0".repeat(52) }),
      expected: "allowed",
    },
  ]);
});
