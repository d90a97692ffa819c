/**
 * The deep-inspection step: read what an ACL-approved request would make
 * the engine do, and refuse it when a filter says no.
 *
 * JSON bodies are read whole (up to a cap) before deciding, decoded the way
 * the engine would read them or refused when ambiguous, and forwarded as
 * the re-serialisation of exactly what was checked. References to
 * containers and networks are resolved through the engine first, and the
 * forwarded path names the resolved ID, so a rename between the check and
 * the engine's action cannot change what the request acts on.
 */
import type { Exchange } from "../app/exchange.ts";
import { headerValues, HttpError } from "../http/message.ts";
import type { EnginePool } from "../upstream/engine_pool.ts";
import {
  resolveContainer,
  type ResolvedObject,
  resolveNetwork,
} from "../upstream/engine_lookup.ts";
import { deny, fail } from "./deny.ts";
import { collectContainerRefs } from "./filters/container_refs.ts";
import {
  BodyError,
  canonicalizeKeys,
  decodeEngineJson,
} from "./filters/go_json.ts";
import { collectNetworkRefs } from "./filters/network_routes.ts";
import { pinReferences } from "./filters/pin_refs.ts";
import { FILTERED_ROUTE_IDS } from "./filters/request_filters.ts";
import { bodySchemaFor } from "./filters/schemas.ts";
import type { FilterContext, RequestFilter } from "./filters/types.ts";
import { parseGoQuery } from "./go_query.ts";
import type { PruneGuard } from "./prune_guard.ts";

export interface InspectorOptions {
  filters: RequestFilter;
  /** Largest JSON body read for inspection; larger ones get a 413. */
  maxBodyBytes: number;
  pool: EnginePool;
  /** Refuses prunes that would take a protected object (defaults on). */
  pruneGuard?: PruneGuard;
}

const FILTERED_ROUTES: ReadonlySet<string> = new Set(FILTERED_ROUTE_IDS);
const JSON_MEDIA_TYPE_REGEXP = /^\s*application\/json\s*(;|$)/i;
const NETWORK_ROUTES_BY_ID: ReadonlySet<string> = new Set([
  "network.inspect",
  "network.delete",
  "network.connect",
  "network.disconnect",
]);
const ENCODER = new TextEncoder();

type Inspector = (exchange: Exchange) => Promise<Response | null>;

/** Replaces one variable of a route template, keeping the rest as sent. */
function pathWith(
  exchange: Exchange,
  param: string,
  value: string,
): string {
  const match = exchange.route!;
  const params = { ...match.params, [param]: value };
  const routePath = match.route.template.replace(
    /\{([A-Za-z]+)(?::[^{}]+)?\}/g,
    (_, name: string) => params[name] ?? "",
  );
  const version = exchange.target.apiVersion;
  return version === null ? routePath : `/v${version}${routePath}`;
}

async function readJsonBody(
  exchange: Exchange,
  maxBodyBytes: number,
): Promise<{ body: unknown } | Response> {
  const contentType = headerValues(exchange.head.headers, "content-type")[0];
  if (contentType === undefined || !JSON_MEDIA_TYPE_REGEXP.test(contentType)) {
    return deny(
      exchange,
      415,
      "request.content_type",
      `a JSON body needs Content-Type application/json, got ${
        JSON.stringify(contentType ?? "")
      }`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await exchange.readBody(maxBodyBytes);
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    return deny(exchange, error.status, "request.body", error.message);
  }
  let body: unknown;
  try {
    body = decodeEngineJson(bytes);
    const schema = bodySchemaFor(exchange.route!.route.id);
    if (schema !== undefined) body = canonicalizeKeys(body, schema);
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    return deny(exchange, 400, "request.invalid", error.message);
  }
  exchange.body = {
    kind: "bytes",
    bytes: ENCODER.encode(JSON.stringify(body)),
  };
  return { body };
}

async function resolveAll(
  pool: EnginePool,
  refs: string[],
  resolve: typeof resolveContainer,
): Promise<Map<string, ResolvedObject>> {
  const resolved = new Map<string, ResolvedObject>();
  await Promise.all(refs.map(async (ref) => {
    const object = await resolve(pool, ref);
    if (object !== null) resolved.set(ref, object);
  }));
  return resolved;
}

/** Builds the inspection step; the filters are compiled by the caller. */
export function createRequestInspector(options: InspectorOptions): Inspector {
  const { filters, maxBodyBytes, pool, pruneGuard } = options;
  return async (exchange) => {
    const match = exchange.route!;
    const route = match.route;
    if (pruneGuard !== undefined) {
      let reason: string | null;
      try {
        reason = await pruneGuard(route.id);
      } catch (error) {
        return fail(
          exchange,
          502,
          "engine:lookup",
          `cannot check what prune would remove: ${(error as Error).message}`,
        );
      }
      if (reason !== null) {
        const rule = route.id === "network.prune"
          ? "defaults.proxy_network"
          : "defaults.proxy_container";
        return deny(exchange, 403, rule, reason);
      }
    }
    let query;
    try {
      query = parseGoQuery(exchange.target.rawQuery);
    } catch (error) {
      return deny(exchange, 400, "request.query", (error as Error).message);
    }
    let body: unknown = undefined;
    if (route.body === "json" && exchange.requestFraming.kind !== "none") {
      const read = await readJsonBody(exchange, maxBodyBytes);
      if (read instanceof Response) return read;
      body = read.body;
    }
    if (!FILTERED_ROUTES.has(route.id)) return null;

    let params = match.params;
    let network: ResolvedObject | null = null;
    let containers: Map<string, ResolvedObject>;
    let networks: Map<string, ResolvedObject>;
    const draft: FilterContext = {
      routeId: route.id,
      params,
      query,
      body,
      apiVersion: exchange.target.apiVersion,
    };
    try {
      if (NETWORK_ROUTES_BY_ID.has(route.id) && params["id"]) {
        network = await resolveNetwork(pool, params["id"]);
        // Name rules apply to the network's real name, whatever spelling
        // (ID, ID prefix, name) the client used.
        if (network !== null) params = { ...params, id: network.name };
      }
      [containers, networks] = await Promise.all([
        resolveAll(pool, collectContainerRefs(draft), resolveContainer),
        resolveAll(pool, collectNetworkRefs(draft), resolveNetwork),
      ]);
    } catch (error) {
      return fail(
        exchange,
        502,
        "engine:lookup",
        `cannot resolve the objects this request names: ${
          (error as Error).message
        }`,
      );
    }
    const verdict = filters({
      ...draft,
      params,
      resolveContainer: (ref) => containers.get(ref),
      resolveNetwork: (ref) => networks.get(ref),
    });
    if (!verdict.allowed) {
      return deny(exchange, verdict.status, verdict.rule, verdict.reason);
    }
    // Forward the IDs that were checked, not names the engine would look
    // up again later.
    const routeNetwork = network;
    const pinned = pinReferences(
      route.id,
      match.params,
      body,
      exchange.target.rawQuery,
      {
        container: (ref) => containers.get(ref),
        network: (ref) =>
          networks.get(ref) ??
            (routeNetwork !== null && ref === match.params["id"]
              ? routeNetwork
              : undefined),
      },
    );
    if (pinned.body !== undefined) {
      exchange.body = {
        kind: "bytes",
        bytes: ENCODER.encode(JSON.stringify(pinned.body)),
      };
    }
    if (pinned.rawQuery !== undefined) {
      exchange.target = { ...exchange.target, rawQuery: pinned.rawQuery };
    }
    const containerParam = "name" in match.params ? "name" : null;
    const container = containerParam
      ? containers.get(match.params[containerParam] ?? "")
      : undefined;
    if (containerParam && container) {
      exchange.target = {
        ...exchange.target,
        path: pathWith(exchange, containerParam, container.id),
      };
    } else if (network !== null) {
      exchange.target = {
        ...exchange.target,
        path: pathWith(exchange, "id", network.id),
      };
    }
    return null;
  };
}
