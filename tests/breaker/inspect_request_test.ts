/**
 * createRequestInspector() against a fake engine: what it answers for a
 * body it cannot canonicalise, and what it forwards once it has resolved
 * the references a request names.
 */

import assert from "node:assert/strict";
import type { Exchange } from "../../src/app/exchange.ts";
import { canonicalizeTarget } from "../../src/policy/canonical_target.ts";
import { createRequestFilters } from "../../src/policy/filters/request_filters.ts";
import { createRequestInspector } from "../../src/policy/inspect_request.ts";
import { matchRoute } from "../../src/policy/routes.ts";
import type { EnginePool } from "../../src/upstream/engine_pool.ts";
import { makeOptions } from "../policy/filters/test_helpers.ts";
import { withServedPool } from "../upstream/_served_pool.ts";

const PROXY_ID = "d9a30787d7f7" + "1".repeat(52);
const MINE_ID = "e".repeat(64);
const PROXY_NET_ID = "318429448b08" + "2".repeat(52);
const SHADOW_NET_ID = "f".repeat(64);

/**
 * What the fake engine knows: the proxy container, a container named like
 * a prefix of the proxy's ID, the proxy network, and a network named like
 * a prefix of the proxy network's ID. Names win over ID prefixes, as in
 * the engine.
 */
const CONTAINERS: Record<string, { Id: string; Name: string }> = {
  dockgate: { Id: PROXY_ID, Name: "/dockgate" },
  d9a30787d7f7: { Id: MINE_ID, Name: "/d9a30787d7f7" },
};
const NETWORKS: Record<string, { Id: string; Name: string }> = {
  "dockgate-net": { Id: PROXY_NET_ID, Name: "dockgate-net" },
  "318429": { Id: SHADOW_NET_ID, Name: "318429" },
};

function withFakeEngine(
  fn: (pool: EnginePool) => Promise<void>,
): Promise<void> {
  return withServedPool((request) => {
    const { pathname } = new URL(request.url);
    const container = /^\/containers\/([^/]+)\/json$/.exec(pathname);
    const network = /^\/networks\/([^/]+)$/.exec(pathname);
    const found = container
      ? CONTAINERS[decodeURIComponent(container[1] ?? "")]
      : network
      ? NETWORKS[decodeURIComponent(network[1] ?? "")]
      : undefined;
    return found === undefined
      ? Response.json({ message: "not found" }, { status: 404 })
      : Response.json(found);
  }, fn);
}

/** A request as the listener would hand it to policy. */
function makeExchange(
  method: string,
  rawTarget: string,
  body?: string,
): Exchange {
  const target = canonicalizeTarget(rawTarget);
  const bytes = new TextEncoder().encode(body ?? "");
  const route = matchRoute(method, target.routePath);
  assert.ok(route, `no route for ${method} ${rawTarget}`);
  return {
    id: "test-1",
    client: "unix:test",
    startedAt: 0,
    head: {
      method,
      target: rawTarget,
      version: "HTTP/1.1",
      headers: body === undefined ? [] : [["Content-Type", "application/json"]],
    },
    target,
    requestFraming: body === undefined
      ? { kind: "none" }
      : { kind: "length", length: bytes.length },
    body: { kind: "none" },
    readBody: () => Promise.resolve(bytes),
    verdict: { decision: "allow", rule: "", reason: "", section: null },
    route,
    relay: null,
    hijack: false,
    bytesIn: 0,
    bytesOut: 0,
  };
}

function inspector(pool: EnginePool) {
  return createRequestInspector({
    filters: createRequestFilters(makeOptions()),
    maxBodyBytes: 1 << 20,
    pool,
  });
}

function forwardedJson(exchange: Exchange): unknown {
  assert.equal(exchange.body.kind, "bytes");
  const bytes = (exchange.body as { bytes: Uint8Array }).bytes;
  return JSON.parse(new TextDecoder().decode(bytes));
}

Deno.test("createRequestInspector() answers 400, not 500, for keys it cannot canonicalise", async () => {
  await withFakeEngine(async (pool) => {
    const bodies = [
      '{"Image":"tiny:1","Ho\u017ftConfig":{"Privileged":true}}',
      '{"Image":"tiny:1","HostConfig":{"Privileged":"true"}}',
    ];
    for (const body of bodies) {
      const exchange = makeExchange("POST", "/containers/create", body);
      const refused = await inspector(pool)(exchange);
      assert.equal(refused?.status, 400, body);
    }
  });
});

Deno.test("createRequestInspector() forwards commit with the container ID it checked", async () => {
  await withFakeEngine(async (pool) => {
    const exchange = makeExchange(
      "POST",
      "/commit?container=d9a30787d7f7&repo=app&tag=v1",
    );
    assert.equal(await inspector(pool)(exchange), null);
    assert.equal(
      exchange.target.rawQuery,
      `container=${MINE_ID}&repo=app&tag=v1`,
    );
  });
});

Deno.test("createRequestInspector() pins the network a create joins by name", async () => {
  await withFakeEngine(async (pool) => {
    const exchange = makeExchange(
      "POST",
      "/containers/create",
      JSON.stringify({
        Image: "tiny:1",
        HostConfig: { NetworkMode: "318429" },
      }),
    );
    assert.equal(await inspector(pool)(exchange), null);
    const body = forwardedJson(exchange) as {
      NetworkingConfig: { EndpointsConfig: Record<string, unknown> };
    };
    assert.deepEqual(body.NetworkingConfig.EndpointsConfig, {
      "318429": { NetworkID: SHADOW_NET_ID },
    });
  });
});

Deno.test("createRequestInspector() refuses a create whose NetworkID is the proxy network", async () => {
  await withFakeEngine(async (pool) => {
    const exchange = makeExchange(
      "POST",
      "/containers/create",
      JSON.stringify({
        Image: "tiny:1",
        NetworkingConfig: {
          EndpointsConfig: { "318429": { NetworkID: "dockgate-net" } },
        },
      }),
    );
    const refused = await inspector(pool)(exchange);
    assert.equal(refused?.status, 403);
    assert.equal(exchange.verdict.rule, "defaults.proxy_network");
  });
});
