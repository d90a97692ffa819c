/**
 * A profile made ready to serve: its ACL, filters, owner isolation and
 * tokens compiled once, into a Hono app of its own.
 *
 * @module
 */

import { createApp } from "../app/create_app.ts";
import type { Exchange } from "../app/exchange.ts";
import type { EngineAddress } from "../config/schema.ts";
import { createEndpointAcl } from "../policy/endpoint_acl.ts";
import { createRequestFilters } from "../policy/filters/request_filters.ts";
import { createRequestInspector } from "../policy/inspect_request.ts";
import { createPruneGuard } from "../policy/prune_guard.ts";
import { engineOwnerLookup } from "../policy/ownership/owner_lookup.ts";
import { createOwnershipGuard } from "../policy/ownership/ownership_guard.ts";
import type { EnginePool } from "../upstream/engine_pool.ts";
import type { ProfileSpec } from "./profile_specs.ts";
import { createTokenMatcher, type TokenMatcher } from "./token_set.ts";

/** What every profile shares. */
export interface ProfileContext {
  pool: EnginePool;
  engine: EngineAddress;
  /** The container dockgate runs in, protected by the filters. */
  ownContainerId: string | null;
  maxBodyBytes: number;
  apiVersion: string | null;
}

/** A compiled profile. */
export interface CompiledProfile {
  readonly spec: ProfileSpec;
  readonly tokens: TokenMatcher;
  /** Judges and forwards one request. */
  fetch(request: Request, exchange: Exchange): Promise<Response>;
}

/**
 * Compiles `spec`.
 *
 * @throws {TypeError} when its filters cannot be compiled
 */
export function compileProfile(
  spec: ProfileSpec,
  context: ProfileContext,
): CompiledProfile {
  const { pool, engine } = context;
  const filters = createRequestFilters({
    ...spec.filters,
    engine_socket_paths: engine.kind === "unix" ? [engine.path] : [],
    proxy_container_id: context.ownContainerId,
  });
  const owner = spec.ownerLabel;
  const app = createApp({
    acl: createEndpointAcl({
      sections: spec.sections,
      methods: spec.methods,
      actions: spec.actions,
    }),
    pool,
    apiVersion: context.apiVersion,
    inspect: createRequestInspector({
      filters,
      maxBodyBytes: context.maxBodyBytes,
      pool,
      ...(spec.filters.disable_defaults ? {} : {
        pruneGuard: createPruneGuard({
          pool,
          containers: [
            spec.filters.proxy_container_name,
            context.ownContainerId,
          ]
            .filter((name) => name !== null),
          network: spec.filters.proxy_network_name,
        }),
      }),
    }),
    ...(owner === null ? {} : {
      guard: createOwnershipGuard({ owner, lookup: engineOwnerLookup(pool) }),
    }),
    auditOnly: spec.auditOnly,
  });
  return {
    spec,
    tokens: createTokenMatcher(spec.tokens),
    fetch: async (request, exchange) => await app.fetch(request, exchange),
  };
}
