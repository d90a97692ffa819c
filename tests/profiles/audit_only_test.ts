import assert from "node:assert/strict";
import { Hono } from "hono";
import { auditExchange } from "../../src/app/audit.ts";
import type { Exchange } from "../../src/app/exchange.ts";
import { deny } from "../../src/policy/deny.ts";
import { createEndpointAcl } from "../../src/policy/endpoint_acl.ts";
import { policyMiddleware } from "../../src/policy/policy_middleware.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { captureRecords } from "../log/_records.ts";
import { fakeExchange } from "../ownership/_exchange.ts";

const CLOSED = loadConfig({ env: {} });
const ACL = createEndpointAcl(CLOSED);

type Step = (exchange: Exchange) => Promise<Response | null>;

/** Runs the policy middleware in front of a handler that says "forwarded". */
async function judge(
  exchange: Exchange,
  options: { auditOnly: boolean; guard?: Step },
): Promise<Response> {
  const app = new Hono<{ Bindings: Exchange }>();
  app.use(policyMiddleware({
    acl: ACL,
    auditOnly: options.auditOnly,
    ...(options.guard ? { guard: options.guard } : {}),
  }));
  app.all("*", (c) => c.text("forwarded"));
  const { path } = exchange.target;
  return await app.fetch(
    new Request(`http://dockgate${path}`, { method: exchange.head.method }),
    exchange,
  );
}

const refuseWith = (status: number, rule: string): Step => (exchange) =>
  Promise.resolve(deny(exchange, status, rule, `refused by ${rule}`));

/** [what, exchange, guard, forwarded in audit-only mode, rule recorded] */
const CASES: [string, () => Exchange, Step | undefined, boolean, string][] = [
  [
    "a closed section",
    () => fakeExchange("GET", "/containers/json"),
    undefined,
    true,
    "section:CONTAINERS",
  ],
  [
    "an unknown endpoint",
    () => fakeExchange("GET", "/no/such/endpoint"),
    undefined,
    true,
    "route:unknown",
  ],
  [
    "a 403 from a later step",
    () => fakeExchange("GET", "/_ping"),
    refuseWith(403, "containers.deny_privileged"),
    true,
    "containers.deny_privileged",
  ],
  [
    "a 404 from owner isolation",
    () => fakeExchange("GET", "/_ping"),
    refuseWith(404, "ownership.container"),
    true,
    "ownership.container",
  ],
  [
    "an unreadable request (400)",
    () => fakeExchange("GET", "/_ping"),
    refuseWith(400, "request.invalid"),
    false,
    "request.invalid",
  ],
  [
    "a repeated Content-Type header",
    () =>
      fakeExchange("GET", "/_ping", undefined, [
        ["Content-Type", "application/json"],
        ["Content-Type", "text/plain"],
      ]),
    undefined,
    false,
    "headers:repeated",
  ],
];

for (const [what, makeExchange, guard, forwarded, rule] of CASES) {
  Deno.test(`audit-only ${forwarded ? "forwards" : "still refuses"} ${what}`, async () => {
    const exchange = makeExchange();
    const response = await judge(exchange, {
      auditOnly: true,
      ...(guard ? { guard } : {}),
    });
    assert.equal((await response.text()) === "forwarded", forwarded);
    assert.equal(exchange.verdict.rule, rule);
    assert.equal(exchange.verdict.auditDenied === true, forwarded);
    assert.equal(exchange.verdict.decision, forwarded ? "allow" : "deny");
  });
}

Deno.test("without audit-only the same requests are refused", async () => {
  for (const [what, makeExchange, guard] of CASES) {
    const exchange = makeExchange();
    const response = await judge(exchange, {
      auditOnly: false,
      ...(guard ? { guard } : {}),
    });
    assert.notEqual(await response.text(), "forwarded", what);
    assert.equal(exchange.verdict.decision, "deny", what);
  }
});

Deno.test("audit-only records the first denial and still runs later steps", async () => {
  const exchange = fakeExchange("GET", "/containers/json");
  let guarded = false;
  await judge(exchange, {
    auditOnly: true,
    guard: (ex) => {
      guarded = true;
      return refuseWith(404, "ownership.container")(ex);
    },
  });
  assert.ok(guarded);
  assert.equal(exchange.verdict.rule, "section:CONTAINERS");
});

Deno.test("the audit record says audit-deny at warning level", async () => {
  const records = await captureRecords(
    { level: "debug", format: "json" },
    async () => {
      const exchange = fakeExchange("GET", "/containers/json");
      exchange.profile = "learner";
      await judge(exchange, { auditOnly: true });
      auditExchange(exchange, 200);
      const failed = fakeExchange("GET", "/containers/json");
      await judge(failed, { auditOnly: true });
      failed.verdict = {
        ...failed.verdict,
        decision: "error",
        rule: "engine:unreachable",
      };
      auditExchange(failed, 502);
    },
  );
  assert.deepEqual(
    records.map((record) => [
      record.level,
      record.properties["decision"],
      record.properties["profile"],
      record.properties["rule"],
    ]),
    [
      ["warning", "audit-deny", "learner", "section:CONTAINERS"],
      ["error", "error", null, "engine:unreachable"],
    ],
  );
});
