import { deepStrictEqual } from "node:assert/strict";
import {
  collectContainerRefs,
  PROXY_PROTECTED_ROUTES,
} from "../../../src/policy/filters/container_refs.ts";
import { makeContext, runCases } from "./test_helpers.ts";
import type { RequestSpec } from "./test_helpers.ts";

function onContainer(
  routeId: string,
  name: string,
  json?: string,
): RequestSpec {
  return { routeId, params: { name }, ...(json === undefined ? {} : { json }) };
}

Deno.test("every container route that acts on the proxy container is denied by name", () => {
  const cases = [...PROXY_PROTECTED_ROUTES].flatMap((routeId) => [
    {
      name: `${routeId} by name`,
      request: onContainer(routeId, "dockgate"),
      expected: "defaults.proxy_container",
    },
    {
      name: `${routeId} with a slash`,
      request: onContainer(routeId, "/dockgate"),
      expected: "defaults.proxy_container",
    },
    {
      name: `${routeId} on another container`,
      request: onContainer(routeId, "web"),
      expected: "allowed",
    },
    {
      name: `${routeId} with defaults off`,
      options: { disable_defaults: true },
      request: onContainer(routeId, "dockgate"),
      expected: "allowed",
    },
  ]);
  runCases(cases);
});

Deno.test("routes that only read a container are not guarded", () => {
  runCases(
    ["container.inspect", "container.logs", "container.wait", "container.top"]
      .map((routeId) => ({
        name: routeId,
        request: onContainer(routeId, "dockgate"),
        expected: "allowed",
      })),
  );
});

Deno.test("a resolved reference to the proxy container is denied like its name", () => {
  const resolveContainer = (ref: string) =>
    ref.length >= 3 && "3f57d9401f8d".startsWith(ref)
      ? { id: "3f57d9401f8d".padEnd(64, "0"), name: "/dockgate" }
      : undefined;
  runCases([
    {
      name: "ID prefix",
      request: { ...onContainer("container.kill", "3f57"), resolveContainer },
      expected: "defaults.proxy_container",
    },
    {
      name: "VolumesFrom by ID prefix",
      request: {
        routeId: "container.create",
        json: '{"Image":"x","HostConfig":{"VolumesFrom":["3f5:ro"]}}',
        resolveContainer,
      },
      expected: "defaults.proxy_container",
    },
    {
      name: "another container",
      request: { ...onContainer("container.kill", "abcd"), resolveContainer },
      expected: "allowed",
    },
    {
      name: "proxy container name null",
      options: { proxy_container_name: null },
      request: onContainer("container.kill", "dockgate"),
      expected: "allowed",
    },
  ]);
});

Deno.test("exec create denies the proxy container and, with deny_privileged, Privileged", () => {
  const exec = (name: string, json: string) =>
    onContainer("exec.create", name, json);
  const on = { containers: { deny_privileged: true } };
  runCases([
    {
      name: "plain exec",
      options: on,
      request: exec("web", '{"Cmd":["true"],"User":"root"}'),
      expected: "allowed",
    },
    {
      name: "privileged",
      options: on,
      request: exec("web", '{"Cmd":["sh"],"Privileged":true}'),
      expected: "containers.deny_privileged",
    },
    {
      name: "folded key",
      options: on,
      request: exec("web", '{"privileged":true}'),
      expected: "containers.deny_privileged",
    },
    {
      name: "duplicate keys",
      options: on,
      request: exec("web", '{"Privileged":false,"PRIVILEGED":true}'),
      expected: "BodyError",
    },
    {
      name: "privileged allowed",
      request: exec("web", '{"Privileged":true}'),
      expected: "allowed",
    },
    {
      name: "into the proxy",
      request: exec("dockgate", '{"Cmd":["sh"]}'),
      expected: "defaults.proxy_container",
    },
  ]);
});

Deno.test("collectContainerRefs() lists every container a request names", () => {
  const cases: [RequestSpec, string[]][] = [
    [onContainer("container.stop", "web"), ["web"]],
    [onContainer("container.inspect", "web"), []],
    [{ routeId: "container.commit", query: "container=abc&repo=x" }, ["abc"]],
    [{
      routeId: "network.connect",
      params: { id: "n" },
      json: '{"Container":"abc"}',
    }, ["abc"]],
    [
      {
        routeId: "container.create",
        json: JSON.stringify({
          Image: "x",
          HostConfig: {
            NetworkMode: "container:a",
            PidMode: "container:b",
            IpcMode: "shareable",
            Cgroup: "container:c",
            VolumesFrom: ["d:ro", "e"],
          },
        }),
      },
      ["a", "b", "c", "d", "e"],
    ],
    [onContainer("container.start", "web", '{"NetworkMode":"container:f"}'), [
      "web",
      "f",
    ]],
  ];
  for (const [spec, expected] of cases) {
    deepStrictEqual(
      collectContainerRefs(makeContext(spec)),
      expected,
      spec.routeId,
    );
  }
});

Deno.test("the proxy's own container is recognised by the ID prefix from its hostname", () => {
  const ownId = "3f57a1b2c3d4";
  const fullId = ownId + "e".repeat(52);
  const resolveContainer = (ref: string) =>
    fullId.startsWith(ref) || ref === "renamed"
      ? { id: fullId, name: "/renamed" }
      : { id: "a".repeat(64), name: "/web" };
  runCases([
    {
      name: "by a longer prefix",
      options: { proxy_container_name: null, proxy_container_id: ownId },
      request: { ...onContainer("container.stop", "3f57a1"), resolveContainer },
      expected: "defaults.proxy_container",
    },
    {
      name: "by a new name",
      options: { proxy_container_name: null, proxy_container_id: ownId },
      request: {
        ...onContainer("container.stop", "renamed"),
        resolveContainer,
      },
      expected: "defaults.proxy_container",
    },
    {
      name: "another container",
      options: { proxy_container_name: null, proxy_container_id: ownId },
      request: { ...onContainer("container.stop", "web"), resolveContainer },
      expected: "allowed",
    },
  ]);
});
