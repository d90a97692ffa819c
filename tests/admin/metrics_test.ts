import assert from "node:assert/strict";
import { LATENCY_BUCKETS, Metrics } from "../../src/admin/metrics.ts";
import { fakeExchange } from "../ownership/_exchange.ts";

function finishedExchange(
  profile: string,
  decision: "allow" | "deny" | "error",
  rule: string,
  auditDenied = false,
) {
  const exchange = fakeExchange("GET", "/containers/json");
  exchange.profile = profile;
  exchange.verdict = {
    decision,
    rule,
    reason: "",
    section: "CONTAINERS",
    ...(auditDenied ? { auditDenied } : {}),
  };
  return exchange;
}

Deno.test("Metrics counts requests by profile, section, decision and status", () => {
  const metrics = new Metrics();
  const open = finishedExchange("ci", "allow", "section:CONTAINERS");
  metrics.started(open);
  let text = metrics.render();
  assert.match(text, /^dockgate_open_requests\{profile="ci"\} 1$/m);
  metrics.finished(open, 200);
  metrics.finished(finishedExchange("ci", "allow", "section:CONTAINERS"), 200);
  metrics.finished(finishedExchange("ci", "deny", "section:CONTAINERS"), 403);
  metrics.finished(
    finishedExchange("learn", "allow", "section:CONTAINERS", true),
    200,
  );
  metrics.finished(finishedExchange("ci", "error", "engine:unreachable"), 502);
  metrics.protocolError(431);
  metrics.reloaded(false);
  metrics.connections = () => new Map([["unix:///run/a.sock", 2]]);
  text = metrics.render();
  const expected = [
    'dockgate_requests_total{profile="ci",section="CONTAINERS",decision="allow",status="200"} 2',
    'dockgate_requests_total{profile="ci",section="CONTAINERS",decision="deny",status="403"} 1',
    'dockgate_requests_total{profile="learn",section="CONTAINERS",decision="audit-deny",status="200"} 1',
    'dockgate_requests_total{profile="ci",section="CONTAINERS",decision="error",status="502"} 1',
    'dockgate_open_requests{profile="ci"} 0',
    'dockgate_upstream_errors_total{rule="engine:unreachable"} 1',
    'dockgate_protocol_errors_total{status="431"} 1',
    'dockgate_config_reloads_total{result="failed"} 1',
    'dockgate_open_connections{listener="unix:///run/a.sock"} 2',
    'dockgate_request_duration_seconds_count{profile="ci",section="CONTAINERS"} 4',
    'dockgate_request_duration_seconds_bucket{profile="ci",section="CONTAINERS",le="+Inf"} 4',
  ];
  for (const line of expected) {
    assert.ok(text.split("\n").includes(line), `missing: ${line}\n${text}`);
  }
  assert.match(text, /^# TYPE dockgate_request_duration_seconds histogram$/m);
  const buckets = text.split("\n").filter((line) =>
    line.startsWith(
      'dockgate_request_duration_seconds_bucket{profile="ci"',
    )
  );
  assert.equal(buckets.length, LATENCY_BUCKETS.length + 1);
});

Deno.test("Metrics escapes label values", () => {
  const metrics = new Metrics();
  metrics.finished(finishedExchange('a"b\\c\nd', "allow", "x"), 200);
  assert.ok(metrics.render().includes('profile="a\\"b\\\\c\\nd"'));
});
