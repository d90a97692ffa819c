import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import { parseGoQuery } from "../../../src/policy/go_query.ts";
import { matchRoute, ROUTES } from "../../../src/policy/routes.ts";
import {
  createRequestFilters,
  FILTERED_ROUTE_IDS,
} from "../../../src/policy/filters/request_filters.ts";
import { bodySchemaFor } from "../../../src/policy/filters/schemas.ts";
import { allow, makeContext, makeOptions, outcome } from "./test_helpers.ts";

Deno.test("every filtered route id exists in the route table", () => {
  const known = new Set(ROUTES.map((route) => route.id));
  deepStrictEqual(FILTERED_ROUTE_IDS.filter((id) => !known.has(id)), []);
});

Deno.test("every route with a JSON body schema is a filtered route", () => {
  const filtered = new Set(FILTERED_ROUTE_IDS);
  for (const route of ROUTES) {
    if (bodySchemaFor(route.id) !== undefined) {
      strictEqual(filtered.has(route.id), true, route.id);
    }
  }
});

Deno.test("filters read the route variables the router produces", () => {
  const inspectRequest = createRequestFilters(
    makeOptions({
      images: { denied_tags: [allow("latest")] },
      volumes: { allowed_names: [allow("app-.*")] },
    }),
  );
  const cases: [string, string, string, string][] = [
    ["POST", "/containers/dockgate/stop", "", "defaults.proxy_container"],
    ["POST", "/containers/dockgate/exec", "", "defaults.proxy_container"],
    ["DELETE", "/containers/dockgate", "", "defaults.proxy_container"],
    [
      "PUT",
      "/containers/dockgate/archive",
      "path=/",
      "defaults.proxy_container",
    ],
    ["DELETE", "/networks/dockgate-net", "", "defaults.proxy_network"],
    ["POST", "/networks/dockgate-net/connect", "", "defaults.proxy_network"],
    ["DELETE", "/volumes/db", "", "volumes.allowed_names"],
    ["POST", "/images/me/app/push", "", "images.denied_tags"],
    ["POST", "/images/a/b/push/tag", "repo=x&tag=latest", "images.denied_tags"],
  ];
  for (const [method, path, rawQuery, expected] of cases) {
    const match = matchRoute(method, path);
    if (match === null) throw new Error(`no route for ${method} ${path}`);
    const verdict = inspectRequest({
      routeId: match.route.id,
      params: match.params,
      query: parseGoQuery(rawQuery),
      body: undefined,
      apiVersion: null,
    });
    strictEqual(outcome(verdict), expected, `${method} ${path}`);
  }
});

Deno.test("routes without filters pass untouched", () => {
  const inspectRequest = createRequestFilters(
    makeOptions({ containers: { deny_privileged: true } }),
  );
  const verdict = inspectRequest(
    makeContext({ routeId: "container.list", body: { Privileged: true } }),
  );
  deepStrictEqual(verdict, { allowed: true });
});

Deno.test("a denial carries status, rule and a reason naming field and value", () => {
  const inspectRequest = createRequestFilters(makeOptions());
  const verdict = inspectRequest(
    makeContext({
      routeId: "container.create",
      json: '{"Image":"x","HostConfig":{"Binds":["/var/run:/r"]}}',
    }),
  );
  deepStrictEqual(verdict, {
    allowed: false,
    status: 403,
    rule: "defaults.engine_socket",
    reason:
      'HostConfig.Binds[0] mounts "/var/run" which exposes the engine socket /var/run/docker.sock',
  });
});

Deno.test("a body that skipped canonicalisation still cannot crash the filters", () => {
  const inspectRequest = createRequestFilters(
    makeOptions({ containers: { deny_privileged: true } }),
  );
  const verdict = inspectRequest({
    routeId: "container.create",
    params: {},
    query: parseGoQuery(""),
    body: { Image: "x", HostConfig: { CapAdd: [7] } },
    apiVersion: null,
  });
  strictEqual(outcome(verdict), "request.invalid");
});

Deno.test("createRequestFilters() refuses unusable options at creation", () => {
  throws(
    () =>
      createRequestFilters(
        makeOptions({ engine_socket_paths: ["relative.sock"] }),
      ),
    TypeError,
  );
});
