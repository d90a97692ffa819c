/**
 * The example configs in config/ load, and decide a few requests the way
 * their comments promise, through the real ACL and request filters.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../src/config/load_config.ts";
import type { DockgateConfig } from "../../src/config/schema.ts";
import { createEndpointAcl } from "../../src/policy/endpoint_acl.ts";
import { createRequestFilters } from "../../src/policy/filters/request_filters.ts";
import { parseGoQuery } from "../../src/policy/go_query.ts";

const EXAMPLES = [
  "read_only_dashboard",
  "ci_runner",
  "multi_tenant_host",
  "strict_production",
] as const;

type Example = typeof EXAMPLES[number];

function examplePath(name: Example): string {
  return fileURLToPath(new URL(`../../config/${name}.yaml`, import.meta.url));
}

function load(name: Example): DockgateConfig {
  return loadConfig({ env: {}, configFile: examplePath(name) });
}

/** `[method, path, allowed]` for the endpoint ACL. */
type AclCase = readonly [string, string, boolean];

const ACL_CASES: Record<Example, readonly AclCase[]> = {
  read_only_dashboard: [
    ["GET", "/containers/json", true],
    ["GET", "/containers/web/json", true],
    ["GET", "/events", true],
    ["GET", "/containers/web/logs", true],
    ["GET", "/containers/web/archive", false],
    ["HEAD", "/containers/web/archive", false],
    ["GET", "/containers/web/export", false],
    ["GET", "/containers/web/attach/ws", false],
    ["GET", "/images/get", false],
    ["POST", "/containers/web/restart", false],
    ["POST", "/containers/create", false],
    ["DELETE", "/containers/web", false],
    ["POST", "/containers/web/exec", false],
  ],
  ci_runner: [
    ["POST", "/build", true],
    ["POST", "/images/registry.example.internal/app/push", true],
    ["POST", "/images/app/tag", true],
    ["DELETE", "/images/app", true],
    ["POST", "/auth", true],
    ["POST", "/containers/create", false],
    ["GET", "/containers/json", false],
    ["POST", "/volumes/create", false],
  ],
  multi_tenant_host: [
    ["POST", "/containers/create", true],
    ["POST", "/containers/web/start", true],
    ["DELETE", "/containers/web", true],
    ["POST", "/containers/web/exec", false],
    ["GET", "/containers/web/archive", false],
    ["PUT", "/containers/web/archive", false],
    ["GET", "/containers/web/export", false],
    ["POST", "/build", false],
  ],
  strict_production: [
    ["POST", "/containers/create", true],
    ["POST", "/containers/web/restart", true],
    ["POST", "/images/create", true],
    ["GET", "/containers/web/logs", false],
    ["POST", "/containers/web/attach", false],
    ["POST", "/containers/web/exec", false],
    ["POST", "/build", false],
    ["POST", "/volumes/create", false],
    ["GET", "/info", false],
  ],
};

for (const name of EXAMPLES) {
  Deno.test(`config/${name}.yaml loads and its ACL decides as documented`, () => {
    const config = load(name);
    const acl = createEndpointAcl({
      sections: config.sections,
      methods: config.methods,
      actions: config.actions,
    });
    for (const [method, path, allowed] of ACL_CASES[name]) {
      const decision = acl(method, path);
      assert.equal(
        decision.allowed,
        allowed,
        `${name}: ${method} ${path}: ${decision.rule}: ${decision.reason}`,
      );
    }
  });

  Deno.test(`config/${name}.yaml explains itself in comments`, () => {
    const text = Deno.readTextFileSync(examplePath(name));
    const lines = text.split("\n");
    assert.match(lines[0] ?? "", /^# \S/, "opens with a comment");
    const comments = lines.filter((line) => line.trimStart().startsWith("#"));
    assert.ok(
      comments.length >= 10,
      `${name} has only ${comments.length} comment lines`,
    );
    assert.match(text, /DOCKGATE_CONFIG=\/etc\/dockgate\//);
  });
}

/** A filter request: route, path variables, raw query and JSON body. */
interface FilterCase {
  readonly routeId: string;
  readonly params?: Record<string, string>;
  readonly query?: string;
  readonly body?: unknown;
  /** The rule expected to deny, or null for an allowed request. */
  readonly deniedBy: string | null;
}

const FILTER_CASES: Partial<Record<Example, readonly FilterCase[]>> = {
  ci_runner: [
    {
      routeId: "image.push",
      params: { name: "registry.example.internal/team/app" },
      query: "tag=1.4.2",
      deniedBy: null,
    },
    {
      routeId: "image.push",
      params: { name: "registry.example.internal/team/app" },
      query: "tag=latest",
      deniedBy: "images.denied_tags",
    },
    {
      routeId: "image.push",
      params: { name: "docker.io/someone/app" },
      query: "tag=1.4.2",
      deniedBy: "images.allowed_repos",
    },
    {
      routeId: "image.tag",
      params: { name: "app:build" },
      query: "repo=registry.example.internal/team/app&tag=latest",
      deniedBy: "images.denied_tags",
    },
  ],
  multi_tenant_host: [
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team/web:1",
        Labels: { "com.example.team": "shared-host" },
        HostConfig: { Binds: ["/srv/tenants/blue/data:/data"] },
      },
      deniedBy: null,
    },
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team/web:1",
        Labels: { "com.example.team": "shared-host" },
        HostConfig: { Binds: ["/etc:/host-etc"] },
      },
      deniedBy: "volumes.allowed_paths",
    },
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team/web:1",
        Labels: { "com.example.team": "shared-host" },
        HostConfig: { Privileged: true },
      },
      deniedBy: "containers.deny_privileged",
    },
    {
      routeId: "container.create",
      body: {
        Image: "alpine:3",
        Labels: { "com.example.team": "shared-host" },
      },
      deniedBy: "containers.allowed_images",
    },
  ],
  strict_production: [
    {
      routeId: "container.create",
      query: "name=prod-api",
      body: {
        Image: "registry.example.internal/prod/api:v2.3.1",
        Labels: { "com.example.env": "production" },
      },
      deniedBy: null,
    },
    {
      routeId: "container.create",
      query: "name=prod-api",
      body: {
        Image: "registry.example.internal/prod/api:latest",
        Labels: { "com.example.env": "production" },
      },
      deniedBy: "containers.allowed_images",
    },
    {
      routeId: "container.create",
      query: "name=prod-api",
      body: {
        Image: "registry.example.internal/prod/api:v2.3.1",
        Labels: { "com.example.env": "production" },
        HostConfig: { Binds: ["/srv/data:/data"] },
      },
      deniedBy: "volumes.denied_paths",
    },
  ],
};

for (const [name, cases] of Object.entries(FILTER_CASES)) {
  Deno.test(`config/${name}.yaml filters decide as its comments say`, () => {
    const config = load(name as Example);
    const inspect = createRequestFilters({
      ...config.filters,
      engine_socket_paths: [],
      proxy_container_id: null,
    });
    for (const testCase of cases ?? []) {
      const verdict = inspect({
        routeId: testCase.routeId,
        params: testCase.params ?? {},
        query: parseGoQuery(testCase.query ?? ""),
        body: testCase.body,
        apiVersion: "1.41",
      });
      const shown = `${name}: ${testCase.routeId} ${
        JSON.stringify(testCase.params ?? testCase.body)
      } ${testCase.query ?? ""}`;
      if (testCase.deniedBy === null) {
        assert.deepEqual(verdict, { allowed: true }, shown);
      } else {
        assert.equal(verdict.allowed, false, shown);
        assert.equal(verdict.allowed ? "" : verdict.rule, testCase.deniedBy);
      }
    }
  });
}
