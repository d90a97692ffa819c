import { deepStrictEqual, equal } from "node:assert/strict";
import { ENV_SETTINGS, readEnvLayer } from "../../src/config/env_source.ts";
import { schemaLeafPaths } from "./_schema_paths.ts";

Deno.test("ENV_SETTINGS gives every config key an environment variable", () => {
  const fromEnv = new Set(
    ENV_SETTINGS.map((setting) => setting.path.join(".")),
  );
  deepStrictEqual(
    schemaLeafPaths().filter((path) => !fromEnv.has(path)),
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
