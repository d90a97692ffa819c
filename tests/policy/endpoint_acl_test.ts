import assert from "node:assert/strict";
import {
  type AclPolicy,
  createEndpointAcl,
} from "../../src/policy/endpoint_acl.ts";
import { ROUTES } from "../../src/policy/routes.ts";
import {
  ACTION_SWITCH_NAMES,
  ACTION_SWITCHES,
  type ActionSwitch,
  type Section,
  SECTIONS,
  SECTIONS_ALLOWED_BY_DEFAULT,
  WRITE_METHODS,
  type WriteMethod,
} from "../../src/policy/sections.ts";

type Switch = Section | WriteMethod | ActionSwitch;

/** Parses "CONTAINERS=1 ALLOW_LOGS=0" (or "ALL") over the defaults. */
function policyFrom(switches: string): AclPolicy {
  const on: Switch[] = [];
  const off: Switch[] = [];
  for (const word of switches.split(" ").filter((w) => w !== "")) {
    if (word === "ALL") on.push(...SECTIONS, ...WRITE_METHODS);
    else (word.endsWith("=1") ? on : off).push(word.slice(0, -2) as Switch);
  }
  return policyWith(on, off);
}

/** The defaults of sections.ts with `on` switched on and `off` off. */
function policyWith(on: Switch[] = [], off: Switch[] = []): AclPolicy {
  const value = (name: Switch, fallback: boolean) =>
    on.includes(name) ? true : off.includes(name) ? false : fallback;
  const defaultSections: readonly string[] = SECTIONS_ALLOWED_BY_DEFAULT;
  return {
    sections: Object.fromEntries(
      SECTIONS.map((
        name,
      ) => [name, value(name, defaultSections.includes(name))]),
    ) as Record<Section, boolean>,
    methods: Object.fromEntries(
      WRITE_METHODS.map((name) => [name, value(name, false)]),
    ) as Record<WriteMethod, boolean>,
    actions: Object.fromEntries(
      ACTION_SWITCH_NAMES.map((
        name,
      ) => [name, value(name, ACTION_SWITCHES[name].default)]),
    ) as Record<ActionSwitch, boolean>,
  };
}

/**
 * Each row: switches set on top of the defaults ("ALL" = every section and
 * write method), the request, and the verdict with the deciding rule.
 */
const MATRIX: [string, string, string][] = [
  ["", "GET /containers/json", "deny section:CONTAINERS"],
  ["", "GET /_ping", "allow section:PING"],
  ["", "HEAD /_ping", "allow section:PING"],
  ["", "GET /events", "allow section:EVENTS"],
  ["PING=0", "GET /_ping", "deny section:PING"],
  ["CONTAINERS=1", "GET /containers/x/json", "allow section:CONTAINERS"],
  ["CONTAINERS=1", "POST /containers/create", "deny method:POST"],
  [
    "CONTAINERS=1 POST=1",
    "POST /containers/create",
    "allow section:CONTAINERS",
  ],
  ["CONTAINERS=1 POST=1", "DELETE /containers/x", "deny method:DELETE"],
  ["CONTAINERS=1 DELETE=1", "DELETE /containers/x", "allow section:CONTAINERS"],
  [
    "ALLOW_RESTARTS=1",
    "POST /containers/x/restart",
    "allow action:ALLOW_RESTARTS",
  ],
  [
    "ALLOW_RESTARTS=1",
    "POST /containers/x/stop",
    "allow action:ALLOW_RESTARTS",
  ],
  [
    "ALLOW_RESTARTS=1",
    "POST /containers/x/kill",
    "allow action:ALLOW_RESTARTS",
  ],
  ["ALLOW_RESTARTS=1", "POST /containers/x/start", "deny section:CONTAINERS"],
  ["ALLOW_STOP=1", "POST /containers/x/stop", "allow action:ALLOW_STOP"],
  ["ALLOW_STOP=1", "POST /containers/x/kill", "deny section:CONTAINERS"],
  ["ALLOW_START=1", "POST /containers/x/start", "allow action:ALLOW_START"],
  ["ALLOW_START=1", "POST /containers/create", "deny section:CONTAINERS"],
  ["ALLOW_PAUSE=1", "POST /containers/x/pause", "allow action:ALLOW_PAUSE"],
  ["ALLOW_PAUSE=1", "POST /containers/x/unpause", "deny section:CONTAINERS"],
  [
    "ALLOW_UNPAUSE=1",
    "POST /containers/x/unpause",
    "allow action:ALLOW_UNPAUSE",
  ],
  ["ALLOW_KILL=1", "POST /containers/x/kill", "allow action:ALLOW_KILL"],
  [
    "CONTAINERS=1 POST=1",
    "POST /containers/x/start",
    "allow section:CONTAINERS",
  ],
  [
    "CONTAINERS=1 POST=1 PUT=1",
    "PUT /containers/x/archive",
    "deny action:ALLOW_ARCHIVE",
  ],
  ["CONTAINERS=1", "GET /containers/x/archive", "deny action:ALLOW_ARCHIVE"],
  ["CONTAINERS=1", "HEAD /containers/x/archive", "deny action:ALLOW_ARCHIVE"],
  [
    "CONTAINERS=1 ALLOW_ARCHIVE=1",
    "GET /containers/x/archive",
    "allow section:CONTAINERS",
  ],
  [
    "CONTAINERS=1 ALLOW_ARCHIVE=1",
    "PUT /containers/x/archive",
    "deny method:PUT",
  ],
  ["ALLOW_ARCHIVE=1", "GET /containers/x/archive", "deny section:CONTAINERS"],
  ["CONTAINERS=1", "GET /containers/x/export", "deny action:ALLOW_EXPORT"],
  ["CONTAINERS=1", "GET /containers/x/logs", "allow section:CONTAINERS"],
  [
    "CONTAINERS=1 ALLOW_LOGS=0",
    "GET /containers/x/logs",
    "deny action:ALLOW_LOGS",
  ],
  ["CONTAINERS=1", "GET /containers/x/attach/ws", "deny method:POST"],
  [
    "CONTAINERS=1 POST=1",
    "GET /containers/x/attach/ws",
    "allow section:CONTAINERS",
  ],
  [
    "CONTAINERS=1 POST=1 ALLOW_ATTACH=0",
    "GET /containers/x/attach/ws",
    "deny action:ALLOW_ATTACH",
  ],
  [
    "CONTAINERS=1 POST=1 ALLOW_ATTACH=0",
    "POST /containers/x/attach",
    "deny action:ALLOW_ATTACH",
  ],
  ["CONTAINERS=1 POST=1", "POST /containers/x/exec", "deny section:EXEC"],
  ["EXEC=1 POST=1", "POST /containers/x/exec", "allow section:EXEC"],
  ["VOLUMES=1 PUT=1", "PUT /volumes/x", "allow section:VOLUMES"],
  ["VOLUMES=1 POST=1", "PUT /volumes/x", "deny method:PUT"],
  ["VOLUMES=1 PUT=1", "POST /volumes/create", "deny method:POST"],
  ["VOLUMES=1 PUT=1 PATCH=1", "PATCH /volumes/x", "deny route:unknown"],
  ["ALL", "GET /debug/vars", "deny section:DEBUG"],
  ["ALL", "GET /debug/pprof/heap", "deny section:DEBUG"],
  ["ALL", "OPTIONS /_ping", "deny route:unknown"],
  ["ALL", "HEAD /containers/json", "deny route:unknown"],
  ["ALL", "GET /containersX/json", "deny route:unknown"],
  ["BUILD=1 POST=1", "POST /session", "deny section:SESSION"],
  ["GRPC=1 POST=1", "POST /grpc", "allow section:GRPC"],
  ["SWARM=1", "GET /swarm", "allow section:SWARM"],
];

for (const [switches, request, verdict] of MATRIX) {
  const name = `endpoint ACL: ${
    switches || "defaults"
  }, ${request}: ${verdict}`;
  Deno.test(name, () => {
    const [method = "", path = ""] = request.split(" ");
    const decision = createEndpointAcl(policyFrom(switches))(method, path);
    assert.equal(
      `${decision.allowed ? "allow" : "deny"} ${decision.rule}`,
      verdict,
    );
  });
}

Deno.test("endpoint ACL reasons name the variable to set", () => {
  const acl = createEndpointAcl(policyWith());
  assert.equal(
    acl("GET", "/containers/json").reason,
    "endpoint denied: section CONTAINERS is disabled " +
      "(set CONTAINERS=1)",
  );
  const post = createEndpointAcl(policyWith(["CONTAINERS"]));
  assert.match(post("POST", "/containers/create").reason, /set POST=1/);
  assert.match(post("GET", "/containers/x/export").reason, /ALLOW_EXPORT=1/);
});

Deno.test("endpoint ACL returns the match and the section", () => {
  const decision = createEndpointAcl(policyWith(["IMAGES", "POST"]))(
    "POST",
    "/images/a/b/push/tag",
  );
  assert.equal(decision.section, "IMAGES");
  assert.equal(decision.match?.route.id, "image.tag");
  assert.deepEqual(decision.match?.params, { name: "a/b/push" });
});

Deno.test("endpoint ACL denies unknown routes with no section or match", () => {
  const decision = createEndpointAcl(policyWith(SECTIONS.slice()))(
    "GET",
    "/nope",
  );
  assert.deepEqual(
    [decision.allowed, decision.rule, decision.section, decision.match],
    [false, "route:unknown", null, null],
  );
  assert.match(decision.reason, /"GET \/nope" is not a known/);
});

Deno.test("endpoint ACL with every switch on still denies only DEBUG", () => {
  const all = [...SECTIONS, ...WRITE_METHODS, ...ACTION_SWITCH_NAMES];
  const acl = createEndpointAcl(policyWith(all));
  for (const route of ROUTES) {
    const path = route.template.replace(/\{[^}]*\}/g, "x");
    const decision = acl(route.method, path);
    assert.equal(decision.allowed, route.section !== "DEBUG", route.id);
  }
});

Deno.test("createEndpointAcl() rejects a policy with a missing switch", () => {
  const policy = policyWith();
  const { CONTAINERS: _, ...sections } = policy.sections;
  assert.throws(
    () =>
      createEndpointAcl({
        ...policy,
        sections: sections as Record<Section, boolean>,
      }),
    { name: "TypeError", message: /sections\.CONTAINERS/ },
  );
});
