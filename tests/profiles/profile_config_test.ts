import assert from "node:assert/strict";
import { ConfigError } from "../../src/config/config_error.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { redactPolicyForLog } from "../../src/log/redact_policy_for_log.ts";
import {
  listenerSpecs,
  profileSpecs,
} from "../../src/profiles/profile_specs.ts";

const CI_TOKEN = "ci-token-0123456789abcdef";
const OPS_TOKEN = "ops-token-0123456789abcdef";

/** Writes `yaml(dir)` and a token file to a temp dir, loads, cleans up. */
function withConfig<T>(
  yaml: (dir: string) => string,
  body: (file: string, dir: string) => T,
): T {
  const dir = Deno.makeTempDirSync({ prefix: "dockgate-profiles-" });
  try {
    Deno.writeTextFileSync(`${dir}/ci.token`, `${CI_TOKEN}\n`);
    Deno.writeTextFileSync(`${dir}/short.token`, "abc\n");
    Deno.writeTextFileSync(`${dir}/site.yaml`, yaml(dir));
    return body(`${dir}/site.yaml`, dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function issuesOf(file: string, env: Record<string, string> = {}) {
  try {
    loadConfig({ env, configFile: file });
  } catch (error) {
    if (error instanceof ConfigError) {
      return error.issues.map((issue) =>
        `${issue.key}@${issue.line ?? "-"}: ${issue.message}`
      );
    }
    throw error;
  }
  return assert.fail("the configuration loaded");
}

const VALID = (dir: string) => `
sections:
  containers: true
profiles:
  ci:
    sections:
      containers: true
      build: true
    methods:
      post: true
    owner_label: dockgate.owner=ci
    tokens:
      - file: ${dir}/ci.token
  ops:
    audit_only: true
    tokens:
      - env: OPS_TOKEN
listeners:
  - socket: ${dir}/ci.sock
    socket_perms: "0600"
    profile: ci
  - addr: 127.0.0.1:2380
    clients:
      - cidr: 10.0.0.0/8
        profile: ops
      - cidr: [127.0.0.1, "::1"]
        profile: ci
`;

Deno.test("profiles and listeners load, with tokens read from file and env", () => {
  withConfig(VALID, (file, dir) => {
    const config = loadConfig({ env: { OPS_TOKEN }, configFile: file });
    const profiles = profileSpecs(config);
    assert.deepEqual(profiles.map((spec) => spec.name), [
      "default",
      "ci",
      "ops",
    ]);
    const [defaults, ci, ops] = profiles;
    assert.equal(defaults?.sections.CONTAINERS, true);
    // A profile starts from the defaults, not from the top level.
    assert.equal(ops?.sections.CONTAINERS, false);
    assert.equal(ci?.sections.BUILD, true);
    assert.deepEqual(ci?.ownerLabel, { name: "dockgate.owner", value: "ci" });
    assert.deepEqual(ci?.tokens, [CI_TOKEN]);
    assert.deepEqual(ops?.tokens, [OPS_TOKEN]);
    assert.equal(ops?.auditOnly, true);
    const listeners = listenerSpecs(config);
    // With listeners configured, the implicit 127.0.0.1:2375 is gone.
    assert.deepEqual(listeners.map((spec) => spec.endpoint), [
      `unix://${dir}/ci.sock`,
      "tcp://127.0.0.1:2380",
    ]);
    assert.deepEqual(
      listeners[1]?.rules.map((rule) => [
        rule.cidrs?.map((cidr) => cidr.source),
        rule.profile,
      ]),
      [[["10.0.0.0/8"], "ops"], [["127.0.0.1", "::1"], "ci"]],
    );
    const logged = JSON.stringify(redactPolicyForLog(config));
    assert.ok(!logged.includes(CI_TOKEN) && !logged.includes(OPS_TOKEN));
    assert.ok(logged.includes('"owner_label":{"name":"dockgate.owner"'));
  });
});

Deno.test("the environment alone still gives one default profile on 127.0.0.1:2375", () => {
  const config = loadConfig({ env: { CONTAINERS: "1" } });
  assert.deepEqual(profileSpecs(config).map((spec) => spec.name), ["default"]);
  assert.deepEqual(listenerSpecs(config).map((spec) => spec.endpoint), [
    "tcp://127.0.0.1:2375",
  ]);
});

Deno.test("OWNER_LABEL, AUDIT_ONLY and TOKEN_FILE set the default profile", () => {
  withConfig(() => "{}", (_file, dir) => {
    const config = loadConfig({
      env: {
        OWNER_LABEL: "team=a",
        AUDIT_ONLY: "1",
        TOKEN_FILE: `${dir}/ci.token`,
      },
    });
    const [spec] = profileSpecs(config);
    assert.deepEqual(spec?.ownerLabel, { name: "team", value: "a" });
    assert.equal(spec?.auditOnly, true);
    assert.deepEqual(spec?.tokens, [CI_TOKEN]);
  });
});

const INVALID_CASES: [string, (dir: string) => string, string[]][] = [
  [
    "a listener naming an unknown profile",
    (dir) => `listeners:\n  - socket: ${dir}/x.sock\n    profile: nobody\n`,
    ['listeners[0].profile@3: unknown profile: "nobody"'],
  ],
  [
    "the reserved name default",
    () => "profiles:\n  default: {}\n",
    [
      'profiles.default@2: reserved name: the top-level policy is the profile "default"',
    ],
  ],
  [
    "a listener with both socket and addr",
    (dir) => `listeners:\n  - socket: ${dir}/x.sock\n    addr: 127.0.0.1:1\n`,
    ["listeners[0]@2: a listener needs exactly one of socket and addr"],
  ],
  [
    "clients on a socket",
    (dir) =>
      `listeners:\n  - socket: ${dir}/x.sock\n    clients:\n      - profile: default\n`,
    [
      "listeners[0].clients@3: clients are chosen by address on TCP only; bind a socket to one profile",
    ],
  ],
  [
    "a bad address range",
    () =>
      "listeners:\n  - addr: 127.0.0.1:1\n    clients:\n      - cidr: 10.0.0.0/40\n        profile: default\n",
    [
      'listeners[0].clients[0].cidr@4: prefix longer than the address in "10.0.0.0/40": 40',
    ],
  ],
  [
    "two listeners on one socket",
    (dir) =>
      `listeners:\n  - socket: ${dir}/x.sock\n  - socket: ${dir}/x.sock\n`,
    [`listeners[1].socket@3: listens where another listener does: "unix://DIR/x.sock"`],
  ],
  [
    "a short token and a missing variable",
    (dir) =>
      `profiles:\n  ci:\n    tokens:\n      - file: ${dir}/short.token\n      - env: NOT_SET_ANYWHERE\n`,
    [
      'profiles.ci.tokens[0]@4: token from "DIR/short.token" is shorter than 16 characters',
      'profiles.ci.tokens[1]@5: token variable is not set: "NOT_SET_ANYWHERE"',
    ],
  ],
  [
    "one token for two profiles",
    (dir) =>
      `profiles:\n  a:\n    tokens: [{file: ${dir}/ci.token}]\n  b:\n    tokens: [{file: ${dir}/ci.token}]\n`,
    [
      'profiles.b.tokens[0]@5: the same token also opens profile "a": a token must choose one profile',
    ],
  ],
  [
    "an owner label without a value",
    () => "profiles:\n  a:\n    owner_label: dockgate.owner\n",
    [
      'profiles.a.owner_label@3: expected key=value with plain characters (key: letters, digits, . _ / -; value: letters, digits, . _ -): "dockgate.owner"',
    ],
  ],
  [
    "a profile name with a space",
    () => "profiles:\n  'team a': {}\n",
    ['profiles.team a@2: not a profile name (letters, digits, . _ -): "team a"'],
  ],
];

for (const [what, yaml, expected] of INVALID_CASES) {
  Deno.test(`loadConfig() reports ${what} with key and line`, () => {
    withConfig(yaml, (file, dir) => {
      const issues = issuesOf(file).map((issue) =>
        issue.replaceAll(dir, "DIR")
      );
      assert.deepEqual(issues, expected);
    });
  });
}
