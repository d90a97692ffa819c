import { deepStrictEqual, equal } from "node:assert/strict";
import { ENV_SETTINGS, readEnvLayer } from "../../src/config/env_source.ts";
import { schemaLeafPaths } from "./_schema_paths.ts";

/** Lists of mappings, which only a file can hold. */
const FILE_ONLY_KEYS = ["profiles", "listeners"];

Deno.test("ENV_SETTINGS gives every config key an environment variable", () => {
  const fromEnv = new Set(
    ENV_SETTINGS.map((setting) => setting.path.join(".")),
  );
  deepStrictEqual(
    schemaLeafPaths().filter((path) =>
      !fromEnv.has(path) && !FILE_ONLY_KEYS.includes(path)
    ),
    [],
  );
});

Deno.test("ENV_SETTINGS uses each variable name once", () => {
  const names = ENV_SETTINGS.map((setting) => setting.name);
  equal(new Set(names).size, names.length);
});

Deno.test("ENV_SETTINGS uses the seed's variable names", () => {
  const byName = new Map(
    ENV_SETTINGS.map((setting) => [setting.name, setting.path.join(".")]),
  );
  deepStrictEqual(
    [
      "CONTAINERS",
      "GRPC",
      "POST",
      "ALLOW_RESTARTS",
      "DKRPRX__VOLUMES__DENIED_PATHS",
      "DKRPRX__CONTAINERS__REQUIRE_LABELS",
      "DKRPRX__IMAGES__ALLOW_LOAD",
      "HEADER_TIMEOUT",
    ].map((name) => byName.get(name)),
    [
      "sections.containers",
      "sections.grpc",
      "methods.post",
      "actions.allow_restarts",
      "filters.volumes.denied_paths",
      "filters.containers.require_labels",
      "filters.images.allow_load",
      "limits.header_timeout_ms",
    ],
  );
});

Deno.test("readEnvLayer() converts seconds to milliseconds", () => {
  const layer = readEnvLayer({ HEADER_TIMEOUT: "1.5", IDLE_TIMEOUT: "60" });
  deepStrictEqual(layer.value, {
    limits: { header_timeout_ms: 1500, idle_timeout_ms: 60000 },
  });
  deepStrictEqual(layer.issues, []);
});

Deno.test("readEnvLayer() refuses a misspelt ALLOW_ switch, which could leave a route open", () => {
  const layer = readEnvLayer({ ALLOW_LOG: "0", ALLOW_LOGS: "0" });
  equal(layer.issues.length, 1);
  equal(layer.issues[0]?.key, "ALLOW_LOG");
});

Deno.test("readEnvLayer() reads Tecnativa's SOCKET_PATH as the engine socket", () => {
  const layer = readEnvLayer({ SOCKET_PATH: "/run/engine.sock" });
  equal(layer.issues.length, 0);
  equal(
    (layer.value["docker"] as Record<string, unknown>)["socket"],
    "/run/engine.sock",
  );
  const both = readEnvLayer({
    SOCKET_PATH: "/run/a.sock",
    DOCKER_SOCKET: "/run/b.sock",
  });
  equal(both.issues.length, 1);
});
