import { deepStrictEqual, equal } from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";
import type { DockgateConfig } from "../../src/config/schema.ts";
import {
  REDACTED,
  redactPolicyForLog,
} from "../../src/log/redact_policy_for_log.ts";

Deno.test("redactPolicyForLog() gives plain JSON with pattern sources", () => {
  const config = loadConfig({
    env: {
      DKRPRX__CONTAINERS__ALLOWED_IMAGES: '["^registry\\\\.example/.*", "a|b"]',
      DKRPRX__CONTAINERS__REQUIRE_LABELS: "team=core",
      SECRETS: "1",
    },
  });
  const json = redactPolicyForLog(config);
  deepStrictEqual(JSON.parse(JSON.stringify(json)), json);
  const filters = json["filters"] as Record<string, Record<string, unknown>>;
  deepStrictEqual(filters["containers"]?.["allowed_images"], [
    "^registry\\.example/.*",
    "a|b",
  ]);
  deepStrictEqual(filters["containers"]?.["require_labels"], { team: "core" });
  equal((json["sections"] as Record<string, unknown>)["SECRETS"], true);
  deepStrictEqual(json["listen"], {
    addr: "127.0.0.1:2375",
    socket: null,
    socket_perms: "0660",
    tls: null,
  });
  deepStrictEqual(json["docker"], {
    socket: { kind: "unix", path: "/var/run/docker.sock" },
    api_version: null,
  });
});

Deno.test("redactPolicyForLog() hides secret-looking fields", () => {
  const config = {
    ...loadConfig({ env: {} }),
    auth: { tokens: ["s3cret"], api_token: "t0ken", password: null },
  } as unknown as DockgateConfig;
  deepStrictEqual(redactPolicyForLog(config)["auth"], {
    tokens: REDACTED,
    api_token: REDACTED,
    password: null,
  });
});
