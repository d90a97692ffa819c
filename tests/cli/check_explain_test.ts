import assert from "node:assert/strict";
import { runCheck } from "../../src/cli/check.ts";
import { explainRequest, runExplain } from "../../src/cli/explain.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { profileSpecs } from "../../src/profiles/profile_specs.ts";

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
const TOKEN = "explain-token-0123456789";

const CONFIG = `
sections:
  containers: true
methods:
  post: true
filters:
  containers:
    allowed_images: ['registry\\.example\\.com/.*']
profiles:
  tenant:
    owner_label: dockgate.owner=tenant
    sections: {containers: true, volumes: true}
    methods: {post: true, delete: true}
    tokens: [{env: TENANT_TOKEN}]
  learner:
    audit_only: true
listeners:
  - socket: /run/dockgate/tenant.sock
    profile: tenant
  - addr: 127.0.0.1:2380
    clients:
      - cidr: 10.0.0.0/8
        profile: learner
`;

function withConfigFile<T>(text: string, body: (file: string) => T): T {
  const dir = Deno.makeTempDirSync({ prefix: "dockgate-cli-" });
  try {
    Deno.writeTextFileSync(`${dir}/site.yaml`, text);
    return body(`${dir}/site.yaml`);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

function capture(run: (write: (text: string) => void) => number) {
  let output = "";
  const code = run((text) => output += text);
  return { code, output };
}

Deno.test("dockgate check prints each profile's effective policy without token values", () => {
  withConfigFile(CONFIG, (file) => {
    const { code, output } = capture((write) =>
      runCheck({ env: { TENANT_TOKEN: TOKEN }, configFile: file, write })
    );
    assert.equal(code, 0, output);
    assert.ok(!output.includes(TOKEN));
    for (
      const line of [
        'profile "default"',
        "  listeners:   (none)",
        "  sections:    EVENTS PING VERSION CONTAINERS",
        "  methods:     POST",
        '    filters.containers.allowed_images: ["registry\\\\.example\\\\.com/.*"]',
        'profile "tenant"',
        "  listeners:   unix:///run/dockgate/tenant.sock",
        "  owner label: dockgate.owner=tenant",
        "  tokens:      1 (values not shown)",
        "  filters:     defaults",
        'profile "learner"',
        "  listeners:   tcp://127.0.0.1:2380 from 10.0.0.0/8",
        "  audit only:  yes: nothing is denied",
      ]
    ) {
      assert.ok(
        output.split("\n").includes(line),
        `missing ${line}\n${output}`,
      );
    }
  });
});

Deno.test("dockgate check reports every problem with its file line and exits 1", () => {
  withConfigFile(
    "profiles:\n  a:\n    sections: {containers: sure}\nlisteners:\n  - socket: /x.sock\n    profile: b\n",
    (file) => {
      const { code, output } = capture((write) =>
        runCheck({ env: {}, configFile: file, write })
      );
      assert.equal(code, 1);
      assert.match(
        output,
        /profiles\.a\.sections\.containers \(.*site\.yaml:3:\d+\): expected a boolean: "sure"/,
      );
    },
  );
});

/** [profile, method, path, body, decision, rule] */
const EXPLAIN_CASES: [string, string, string, unknown, string, string][] = [
  [
    "default",
    "GET",
    "/containers/json",
    undefined,
    "allow",
    "section:CONTAINERS",
  ],
  ["default", "DELETE", "/containers/web", undefined, "deny", "method:DELETE"],
  [
    "default",
    "POST",
    "/v1.41/containers/create",
    { Image: "ubuntu" },
    "deny",
    "containers.allowed_images",
  ],
  [
    "default",
    "POST",
    "/containers/create",
    { Image: "registry.example.com/app:1", HostConfig: { Privileged: true } },
    "deny",
    "containers.deny_privileged",
  ],
  [
    "default",
    "GET",
    "/containers/../../etc",
    undefined,
    "deny",
    "target:invalid",
  ],
  ["tenant", "GET", "/system/df", undefined, "deny", "section:SYSTEM"],
  [
    "tenant",
    "POST",
    "/containers/prune",
    undefined,
    "allow",
    "section:CONTAINERS",
  ],
  [
    "learner",
    "GET",
    "/containers/json",
    undefined,
    "audit-deny",
    "section:CONTAINERS",
  ],
];

for (const [profile, method, path, body, decision, rule] of EXPLAIN_CASES) {
  Deno.test(`dockgate explain --profile ${profile} ${method} ${path} -> ${decision} (${rule})`, () => {
    withConfigFile(CONFIG, (file) => {
      const spec = profileSpecs(
        loadConfig({ env: { TENANT_TOKEN: TOKEN }, configFile: file }),
      ).find((candidate) => candidate.name === profile)!;
      const explanation = explainRequest(spec, {
        method,
        target: path,
        body: body === undefined
          ? null
          : new TextEncoder().encode(JSON.stringify(body)),
      });
      assert.deepEqual([explanation.decision, explanation.rule], [
        decision,
        rule,
      ]);
    });
  });
}

Deno.test("dockgate explain notes what owner isolation would check through the engine", () => {
  withConfigFile(CONFIG, (file) => {
    const { code, output } = capture((write) =>
      runExplain({
        args: [
          "--config",
          file,
          "--profile",
          "tenant",
          "post",
          "/containers/web/stop",
        ],
        env: { TENANT_TOKEN: TOKEN },
        write,
      })
    );
    assert.equal(code, 0, output);
    assert.match(output, /^decision: allow$/m);
    assert.match(
      output,
      /^note: {5}owner isolation: allowed only if the container carries dockgate\.owner=tenant$/m,
    );
    const denied = capture((write) =>
      runExplain({
        args: ["--config", file, "DELETE", "/containers/web"],
        env: { TENANT_TOKEN: TOKEN },
        write,
      })
    );
    assert.equal(denied.code, 3);
    const unknown = capture((write) =>
      runExplain({
        args: ["--config", file, "--profile", "nobody", "GET", "/_ping"],
        env: { TENANT_TOKEN: TOKEN },
        write,
      })
    );
    assert.equal(unknown.code, 1);
    assert.match(
      unknown.output,
      /unknown profile: "nobody" \(known: default, tenant, learner\)/,
    );
  });
});

Deno.test("dockgate check and explain run as subcommands of the binary", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dockgate-cli-" });
  try {
    await Deno.writeTextFile(`${dir}/site.yaml`, CONFIG);
    await Deno.writeTextFile(`${dir}/body.json`, '{"Image":"ubuntu"}');
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-env", MAIN, ...args],
        env: { TENANT_TOKEN: TOKEN, NO_COLOR: "1" },
        clearEnv: true,
      }).output();
    const check = await run(["check", "--config", `${dir}/site.yaml`]);
    const checkText = new TextDecoder().decode(check.stdout);
    assert.equal(check.code, 0, new TextDecoder().decode(check.stderr));
    assert.match(checkText, /^Configuration is valid\.$/m);
    const explain = await run([
      "explain",
      "--config",
      `${dir}/site.yaml`,
      "POST",
      "/containers/create",
      `@${dir}/body.json`,
    ]);
    assert.equal(explain.code, 3);
    assert.match(
      new TextDecoder().decode(explain.stdout),
      /^rule: {5}containers\.allowed_images$/m,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
