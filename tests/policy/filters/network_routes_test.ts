import { allow, denyPattern, runCases } from "./test_helpers.ts";
import type { RequestSpec } from "./test_helpers.ts";

const CLI_CREATE = {
  Driver: "bridge",
  Scope: "",
  IPAM: { Driver: "default", Options: {}, Config: [] },
  Internal: false,
  Attachable: false,
  Ingress: false,
  ConfigOnly: false,
  ConfigFrom: null,
  Options: {},
  Labels: {},
  Name: "mynet",
  CheckDuplicate: true,
};

function createNetwork(body: unknown): RequestSpec {
  return { routeId: "network.create", json: JSON.stringify(body) };
}

function onNetwork(routeId: string, id: string, body?: unknown): RequestSpec {
  return {
    routeId,
    params: { id },
    ...(body === undefined ? {} : { json: JSON.stringify(body) }),
  };
}

Deno.test("network create checks name and driver", () => {
  const rules = {
    networks: {
      allowed_names: [allow("app-.*")],
      denied_names: [denyPattern("^app-admin")],
      allowed_drivers: [allow("bridge"), allow("overlay")],
    },
  };
  runCases([
    {
      name: "CLI body",
      request: createNetwork(CLI_CREATE),
      expected: "allowed",
    },
    {
      name: "allowed",
      options: rules,
      request: createNetwork({ ...CLI_CREATE, Name: "app-1" }),
      expected: "allowed",
    },
    {
      name: "other name",
      options: rules,
      request: createNetwork(CLI_CREATE),
      expected: "networks.allowed_names",
    },
    {
      name: "denied name",
      options: rules,
      request: createNetwork({ Name: "app-admin" }),
      expected: "networks.denied_names",
    },
    {
      name: "empty driver is bridge",
      options: rules,
      request: createNetwork({ Name: "app-1" }),
      expected: "allowed",
    },
    {
      name: "macvlan",
      options: rules,
      request: createNetwork({
        Name: "app-1",
        Driver: "macvlan",
        Options: { parent: "eth0" },
      }),
      expected: "networks.allowed_drivers",
    },
    {
      name: "folded driver key",
      options: rules,
      request: {
        routeId: "network.create",
        json: '{"name":"app-1","DRIVER":"ipvlan"}',
      },
      expected: "networks.allowed_drivers",
    },
    {
      name: "reusing the proxy network's name",
      request: createNetwork({ Name: "dockgate-net" }),
      expected: "defaults.proxy_network",
    },
  ]);
});

Deno.test("network connect, disconnect and remove protect the proxy network and container", () => {
  runCases([
    {
      name: "connect",
      request: onNetwork("network.connect", "mynet", { Container: "abc" }),
      expected: "allowed",
    },
    {
      name: "connect to the proxy network",
      request: onNetwork("network.connect", "dockgate-net", {
        Container: "abc",
      }),
      expected: "defaults.proxy_network",
    },
    {
      name: "disconnect from the proxy network",
      request: onNetwork("network.disconnect", "dockgate-net", {
        Container: "dockgate",
      }),
      expected: "defaults.proxy_network",
    },
    {
      name: "remove the proxy network",
      request: onNetwork("network.delete", "dockgate-net"),
      expected: "defaults.proxy_network",
    },
    {
      name: "connect the proxy container elsewhere",
      request: onNetwork("network.connect", "mynet", {
        container: "/dockgate",
      }),
      expected: "defaults.proxy_container",
    },
    {
      name: "defaults off",
      options: { disable_defaults: true },
      request: onNetwork("network.delete", "dockgate-net"),
      expected: "allowed",
    },
    {
      name: "names on connect",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: onNetwork("network.connect", "other", { Container: "abc" }),
      expected: "networks.allowed_names",
    },
    {
      name: "names on remove",
      options: { networks: { denied_names: [denyPattern("^prod-")] } },
      request: onNetwork("network.delete", "prod-net"),
      expected: "networks.denied_names",
    },
    {
      name: "an ID is not an allowed name",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: onNetwork("network.delete", "0123456789ab"),
      expected: "networks.allowed_names",
    },
  ]);
});
