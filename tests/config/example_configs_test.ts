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
import { buildGeneration } from "../../src/profiles/gateway.ts";
import { chooseProfile } from "../../src/profiles/profile_router.ts";
import {
  type ProfileSpec,
  profileSpecs,
} from "../../src/profiles/profile_specs.ts";
import { EnginePool } from "../../src/upstream/engine_pool.ts";

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

const TEAM_B_CI_TOKEN = "team-b-ci-token-0123456789";

/** Variables an example reads, such as its token variables. */
const EXAMPLE_ENV: Partial<Record<Example, Record<string, string>>> = {
  multi_tenant_host: { TEAM_B_CI_TOKEN },
};

function load(name: Example): DockgateConfig {
  return loadConfig({
    env: EXAMPLE_ENV[name] ?? {},
    configFile: examplePath(name),
  });
}

/** The profile whose decisions the ACL and filter tables describe. */
const TABLE_PROFILE: Partial<Record<Example, string>> = {
  multi_tenant_host: "team-a",
};

function profileOf(config: DockgateConfig, name: string): ProfileSpec {
  const spec = profileSpecs(config).find((profile) => profile.name === name);
  assert.ok(spec, `no profile ${name}`);
  return spec;
}

function tableProfile(config: DockgateConfig, name: Example): ProfileSpec {
  return profileOf(config, TABLE_PROFILE[name] ?? "default");
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
  // Profile team-a: owner isolation makes exec and cp safe to open.
  multi_tenant_host: [
    ["POST", "/containers/create", true],
    ["POST", "/containers/web/start", true],
    ["DELETE", "/containers/web", true],
    ["POST", "/containers/web/exec", true],
    ["GET", "/containers/web/archive", true],
    ["PUT", "/containers/web/archive", true],
    ["GET", "/containers/web/export", false],
    ["POST", "/build", false],
    ["GET", "/swarm", false],
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
    const policy = tableProfile(load(name), name);
    const acl = createEndpointAcl({
      sections: policy.sections,
      methods: policy.methods,
      actions: policy.actions,
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
  // Profile team-a.
  multi_tenant_host: [
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team-a/web:1",
        HostConfig: { Binds: ["/srv/tenants/team-a/data:/data"] },
      },
      deniedBy: null,
    },
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team-a/web:1",
        HostConfig: { Binds: ["/srv/tenants/team-b/data:/data"] },
      },
      deniedBy: "volumes.allowed_paths",
    },
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team-a/web:1",
        HostConfig: { Binds: ["/etc:/host-etc"] },
      },
      deniedBy: "volumes.allowed_paths",
    },
    {
      routeId: "container.create",
      body: {
        Image: "registry.example.internal/team-a/web:1",
        HostConfig: { Privileged: true },
      },
      deniedBy: "containers.deny_privileged",
    },
    {
      routeId: "container.create",
      body: { Image: "alpine:3" },
      deniedBy: "containers.allowed_images",
    },
    {
      routeId: "image.tag",
      params: { name: "registry.example.internal/team-a/web:1" },
      query: "repo=registry.example.internal/team-b/web&tag=1",
      deniedBy: "images.allowed_repos",
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
    const policy = tableProfile(load(name as Example), name as Example);
    const inspect = createRequestFilters({
      ...policy.filters,
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

/** Compiles the profiles of an example without reaching an engine. */
function generationOf(config: DockgateConfig) {
  return buildGeneration(config, {
    pool: new EnginePool({ kind: "unix", path: "/nonexistent/engine.sock" }),
    engine: config.docker.socket,
    ownContainerId: null,
    maxBodyBytes: config.limits.max_body_bytes,
    apiVersion: null,
  });
}

/** [listener, client, token, chosen profile or the refusing rule] */
const TENANT_CASES: [string, string, string | null, string][] = [
  [
    "unix:///run/dockgate/team-a.sock",
    "unix:/run/dockgate/team-a.sock",
    null,
    "team-a",
  ],
  [
    "unix:///run/dockgate/team-b.sock",
    "unix:/run/dockgate/team-b.sock",
    null,
    "team-b",
  ],
  ["tcp://0.0.0.0:2376", "10.20.3.4:50000", TEAM_B_CI_TOKEN, "team-b-ci"],
  ["tcp://0.0.0.0:2376", "10.20.3.4:50000", null, "listener.no_profile"],
  // The right token from outside the runners' subnet is refused.
  [
    "tcp://0.0.0.0:2376",
    "192.0.2.10:50000",
    TEAM_B_CI_TOKEN,
    "listener.no_profile",
  ],
];

Deno.test("config/multi_tenant_host.yaml gives each client its team's profile", () => {
  const config = load("multi_tenant_host");
  const generation = generationOf(config);
  assert.deepEqual(
    [...generation.rules.keys()],
    [
      "unix:///run/dockgate/team-a.sock",
      "unix:///run/dockgate/team-b.sock",
      "tcp://0.0.0.0:2376",
    ],
    "no TCP port besides the listeners",
  );
  for (const [endpoint, client, token, expected] of TENANT_CASES) {
    const headers: [string, string][] = token === null
      ? []
      : [["X-Dockgate-Token", token]];
    const choice = chooseProfile(
      generation,
      generation.rules.get(endpoint) ?? [],
      {
        client,
        head: {
          method: "GET",
          target: "/containers/json",
          version: "HTTP/1.1",
          headers,
        },
      },
    );
    assert.equal(
      choice.ok ? choice.profile.spec.name : choice.rule,
      expected,
      `${client} on ${endpoint}`,
    );
  }
});

Deno.test("config/multi_tenant_host.yaml isolates the teams by owner label, the runners share team-b's", () => {
  const config = load("multi_tenant_host");
  const labels = Object.fromEntries(
    ["team-a", "team-b", "team-b-ci"].map((name) => {
      const label = profileOf(config, name).ownerLabel;
      return [name, label === null ? null : `${label.name}=${label.value}`];
    }),
  );
  assert.deepEqual(labels, {
    "team-a": "com.example.tenant=team-a",
    "team-b": "com.example.tenant=team-b",
    "team-b-ci": "com.example.tenant=team-b",
  });
  assert.equal(profileOf(config, "team-b-ci").tokens.length, 1);
});

Deno.test("config/multi_tenant_host.yaml serves the runners over TLS only", () => {
  const config = load("multi_tenant_host");
  assert.equal(config.listen.addr, null);
  assert.deepEqual(config.listeners[2]?.tls, {
    cert_file: "/etc/dockgate/tls/cert.pem",
    key_file: "/etc/dockgate/tls/key.pem",
    client_ca_file: null,
  });
});

/** [profile, filter case]: decisions that differ between the tenants. */
const TENANT_FILTER_CASES: [string, FilterCase][] = [
  ["team-b", {
    routeId: "container.create",
    body: {
      Image: "registry.example.internal/team-b/web:1",
      HostConfig: { Binds: ["/srv/tenants/team-b/data:/data"] },
    },
    deniedBy: null,
  }],
  ["team-b", {
    routeId: "container.create",
    body: {
      Image: "registry.example.internal/team-b/web:1",
      HostConfig: { Binds: ["/srv/tenants/team-a/data:/data"] },
    },
    deniedBy: "volumes.allowed_paths",
  }],
  ["team-b-ci", {
    routeId: "container.create",
    body: {
      Image: "registry.example.internal/team-b/web:1",
      HostConfig: { Binds: ["/srv/tenants/team-b/data:/data"] },
    },
    deniedBy: "volumes.denied_paths",
  }],
  ["team-b-ci", {
    routeId: "image.tag",
    params: { name: "registry.example.internal/team-b/web:1" },
    query: "repo=registry.example.internal/team-b/web&tag=2",
    deniedBy: null,
  }],
];

Deno.test("config/multi_tenant_host.yaml keeps each team to its own paths and repositories", () => {
  const config = load("multi_tenant_host");
  for (const [profile, testCase] of TENANT_FILTER_CASES) {
    const inspect = createRequestFilters({
      ...profileOf(config, profile).filters,
      engine_socket_paths: [],
      proxy_container_id: null,
    });
    const verdict = inspect({
      routeId: testCase.routeId,
      params: testCase.params ?? {},
      query: parseGoQuery(testCase.query ?? ""),
      body: testCase.body,
      apiVersion: "1.41",
    });
    const shown = `${profile}: ${testCase.routeId} ${
      JSON.stringify(testCase.params ?? testCase.body)
    }`;
    assert.equal(
      verdict.allowed ? null : verdict.rule,
      testCase.deniedBy,
      shown,
    );
  }
});
