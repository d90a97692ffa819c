import assert from "node:assert/strict";
import { parse } from "yaml";
import { matchRoute, ROUTES } from "../../src/policy/routes.ts";

/**
 * The engine's OpenAPI files. They are not vendored into the repo; set
 * DOCKGATE_API_SPECS to a directory holding swagger.yaml and vX.YY.yaml.
 */
const SPEC_DIR = Deno.env.get("DOCKGATE_API_SPECS") ??
  "/work/shared/docker-api";
const SPEC_FILES = [
  "swagger.yaml",
  "v1.41.yaml",
  "v1.43.yaml",
  "v1.44.yaml",
  "v1.45.yaml",
  "v1.47.yaml",
  "v1.55.yaml",
];
const SPEC_METHODS = ["get", "head", "post", "put", "delete", "patch"];

/** Routes the engine registers that no swagger file documents. */
const UNDOCUMENTED_ROUTES = new Set([
  "GET /containers/{}/checkpoints",
  "POST /containers/{}/checkpoints",
  "DELETE /containers/{}/checkpoints/{}",
  "POST /build/cancel",
  "POST /grpc",
  "GET /networks/",
  "GET /debug/vars",
  "GET /debug/pprof/",
  "GET /debug/pprof/cmdline",
  "GET /debug/pprof/profile",
  "GET /debug/pprof/symbol",
  "GET /debug/pprof/trace",
  "GET /debug/pprof/{}",
]);

function specOperations(file: string): string[] {
  const spec = parse(Deno.readTextFileSync(`${SPEC_DIR}/${file}`));
  const operations: string[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of Object.keys(item as object)) {
      if (SPEC_METHODS.includes(method)) {
        operations.push(`${method.toUpperCase()} ${blankParams(path)}`);
      }
    }
  }
  return operations;
}

function blankParams(template: string): string {
  return template.replace(/\{[^}]*\}/g, "{}");
}

for (const file of SPEC_FILES) {
  Deno.test(`matchRoute() resolves every operation in ${file}`, () => {
    const operations = specOperations(file);
    assert.ok(operations.length > 90, `${file}: too few operations`);
    for (const operation of operations) {
      const [method = "", path = ""] = operation.split(" ");
      const match = matchRoute(method, path.replaceAll("{}", "sample"));
      assert.equal(
        match === null
          ? null
          : `${method} ${blankParams(match.route.template)}`,
        operation,
        `${file}: ${operation}`,
      );
    }
  });
}

Deno.test("ROUTES holds only documented routes and the known extras", () => {
  const documented = new Set(SPEC_FILES.flatMap(specOperations));
  const extras = ROUTES.map((route) =>
    `${route.method} ${blankParams(route.template)}`
  ).filter((operation) => !documented.has(operation));
  assert.deepEqual(new Set(extras), UNDOCUMENTED_ROUTES);
});

Deno.test("ROUTES ids are unique", () => {
  const ids = ROUTES.map((route) => route.id);
  assert.equal(new Set(ids).size, ids.length);
});

/** Each row: method, route path, expected route id (or null), params. */
const MATCH_CASES: [string, string, string | null, Record<string, string>][] = [
  ["POST", "/images/a/b/push/tag", "image.tag", { name: "a/b/push" }],
  ["POST", "/images/a/b/tag/push", "image.push", { name: "a/b/tag" }],
  ["POST", "/images/localhost:5000/x/push", "image.push", {
    name: "localhost:5000/x",
  }],
  ["POST", "/images/create", "image.create", {}],
  ["POST", "/images/create/tag", "image.tag", { name: "create" }],
  ["GET", "/images/get", "image.export", {}],
  ["GET", "/images/x/get", "image.export.one", { name: "x" }],
  ["GET", "/images/json", "image.list", {}],
  ["GET", "/images/json/json", "image.inspect", { name: "json" }],
  ["GET", "/images/a/history/json", "image.inspect", { name: "a/history" }],
  ["DELETE", "/images/a/b/push", "image.delete", { name: "a/b/push" }],
  ["GET", "/containers/json", "container.list", {}],
  ["GET", "/containers/json/json", "container.inspect", { name: "json" }],
  ["GET", "/containers/x/logs/json", "container.inspect", { name: "x/logs" }],
  ["GET", "/containers/x/json/logs", "container.logs", { name: "x/json" }],
  ["GET", "/containers/x/attach/ws", "container.attach.ws", { name: "x" }],
  ["GET", "/containers/x/attach/ws/archive", "container.archive.get", {
    name: "x/attach/ws",
  }],
  ["POST", "/containers/x/unpause", "container.unpause", { name: "x" }],
  ["POST", "/containers/x/pause", "container.pause", { name: "x" }],
  ["POST", "/containers/create/start", "container.start", { name: "create" }],
  // Start is registered before exec create, so this starts "x/exec".
  ["POST", "/containers/x/exec/start", "container.start", { name: "x/exec" }],
  ["POST", "/containers/x/exec", "exec.create", { name: "x" }],
  ["POST", "/exec/x/start", "exec.start", { id: "x" }],
  ["GET", "/exec/x/json", "exec.inspect", { id: "x" }],
  // The checkpoint router comes first, so its patterns win.
  ["POST", "/containers/x/start/checkpoints", "checkpoint.create", {
    name: "x/start",
  }],
  ["DELETE", "/containers/x/checkpoints/y", "checkpoint.delete", {
    name: "x",
    checkpoint: "y",
  }],
  // The checkpoint DELETE takes one segment per variable.
  ["DELETE", "/containers/a/b/checkpoints/y", "container.delete", {
    name: "a/b/checkpoints/y",
  }],
  ["DELETE", "/containers/x", "container.delete", { name: "x" }],
  ["GET", "/networks", "network.list", {}],
  ["GET", "/networks/", "network.list.slash", {}],
  ["GET", "/networks/a/b", "network.inspect", { id: "a/b" }],
  ["DELETE", "/networks/", "network.delete", { id: "" }],
  ["POST", "/networks/create", "network.create", {}],
  ["POST", "/networks/x/connect", "network.connect", { id: "x" }],
  ["GET", "/volumes/create", "volume.inspect", { name: "create" }],
  ["GET", "/services/x/logs", "service.logs", { id: "x" }],
  ["GET", "/services/a/b", null, {}],
  ["POST", "/services/a/b/update", null, {}],
  ["GET", "/plugins/privileges", "plugin.privileges", {}],
  ["GET", "/plugins/a/privileges/json", "plugin.inspect", {
    name: "a/privileges",
  }],
  ["POST", "/plugins/x/pull", null, {}],
  ["GET", "/distribution/docker.io/library/x/json", "distribution.inspect", {
    name: "docker.io/library/x",
  }],
  ["GET", "/debug/pprof/heap", "debug.pprof.named", { name: "heap" }],
  ["GET", "/debug/pprof/a/b", null, {}],
  ["HEAD", "/_ping", "system.ping.head", {}],
  ["HEAD", "/containers/x/archive", "container.archive.head", { name: "x" }],
  ["HEAD", "/containers/x/json", null, {}],
  ["HEAD", "/version", null, {}],
  ["OPTIONS", "/_ping", null, {}],
  ["get", "/_ping", null, {}],
  ["PATCH", "/containers/x", null, {}],
  ["GET", "/containers/x", null, {}],
  ["GET", "/Containers/json", null, {}],
  ["GET", "/V1.41/containers/json", null, {}],
  ["GET", "/v1.41/containers/json", null, {}],
  ["GET", "/containersX/json", null, {}],
];

for (const [method, path, id, params] of MATCH_CASES) {
  Deno.test(`matchRoute() maps ${method} ${path} to ${id}`, () => {
    const match = matchRoute(method, path);
    assert.equal(match?.route.id ?? null, id);
    if (match !== null) assert.deepEqual(match.params, params);
  });
}

Deno.test("ROUTES marks exactly the five hijack routes", () => {
  const hijacks = ROUTES.filter((route) => route.hijack !== undefined)
    .map((route) => `${route.method} ${route.template} ${route.hijack}`);
  assert.deepEqual(hijacks.sort(), [
    "GET /containers/{name:.*}/attach/ws websocket",
    "POST /containers/{name:.*}/attach tcp",
    "POST /exec/{id:.*}/start tcp",
    "POST /grpc h2c",
    "POST /session h2c",
  ]);
});

Deno.test("ROUTES marks only attach/ws as a GET that writes", () => {
  const writers = ROUTES.filter((route) => route.writes).map((r) => r.id);
  assert.deepEqual(writers, ["container.attach.ws"]);
});

/** Each row: route id, expected section, expected action switch. */
const SECTION_CASES: [string, string, string | undefined][] = [
  ["exec.create", "EXEC", undefined],
  ["exec.start", "EXEC", undefined],
  ["container.attach", "CONTAINERS", "ALLOW_ATTACH"],
  ["container.attach.ws", "CONTAINERS", "ALLOW_ATTACH"],
  ["container.archive.head", "CONTAINERS", "ALLOW_ARCHIVE"],
  ["container.archive.get", "CONTAINERS", "ALLOW_ARCHIVE"],
  ["container.archive.put", "CONTAINERS", "ALLOW_ARCHIVE"],
  ["container.export", "CONTAINERS", "ALLOW_EXPORT"],
  ["container.logs", "CONTAINERS", "ALLOW_LOGS"],
  ["container.start", "CONTAINERS", "ALLOW_START"],
  ["container.stop", "CONTAINERS", "ALLOW_STOP"],
  ["container.restart", "CONTAINERS", "ALLOW_RESTARTS"],
  ["container.kill", "CONTAINERS", "ALLOW_KILL"],
  ["container.pause", "CONTAINERS", "ALLOW_PAUSE"],
  ["container.unpause", "CONTAINERS", "ALLOW_UNPAUSE"],
  ["container.inspect", "CONTAINERS", undefined],
  ["container.commit", "COMMIT", undefined],
  ["checkpoint.delete", "CONTAINERS", undefined],
  ["session", "SESSION", undefined],
  ["grpc", "GRPC", undefined],
  ["debug.vars", "DEBUG", undefined],
  ["system.ping.head", "PING", undefined],
  ["system.df", "SYSTEM", undefined],
  ["distribution.inspect", "DISTRIBUTION", undefined],
  ["swarm.unlockkey", "SWARM", undefined],
];

for (const [id, section, action] of SECTION_CASES) {
  Deno.test(`ROUTES files ${id} under ${section} ${action ?? ""}`, () => {
    const route = ROUTES.find((candidate) => candidate.id === id);
    assert.equal(route?.section, section);
    assert.equal(route?.action, action);
  });
}
