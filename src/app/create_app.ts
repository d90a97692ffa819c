/**
 * The Hono app: policy first, then forwarding. The listener runs it once
 * per request with the request's `Exchange` as its environment.
 */
import { Hono } from "hono";
import { getLogger } from "@logtape/logtape";
import { fail } from "../policy/deny.ts";
import type { EndpointAcl } from "../policy/endpoint_acl.ts";
import { policyMiddleware } from "../policy/policy_middleware.ts";
import type { EnginePool } from "../upstream/engine_pool.ts";
import type { Exchange } from "./exchange.ts";
import { forwardHandler } from "./forward.ts";

const logger = getLogger(["dockgate", "app"]);

export interface AppOptions {
  acl: EndpointAcl;
  pool: EnginePool;
  inspect?: (exchange: Exchange) => Promise<Response | null>;
  /** Owner isolation, after `inspect`; see `policyMiddleware`. */
  guard?: (exchange: Exchange) => Promise<Response | null>;
  /** Log what policy would refuse, refuse nothing. Default: false. */
  auditOnly?: boolean;
  /** Version prefix for requests that name none (API_VERSION). */
  apiVersion?: string | null;
}

/** Builds the app; every matcher and filter is compiled here, once. */
export function createApp(options: AppOptions): Hono<{ Bindings: Exchange }> {
  const app = new Hono<{ Bindings: Exchange }>();
  app.use(policyMiddleware({
    acl: options.acl,
    ...(options.inspect ? { inspect: options.inspect } : {}),
    ...(options.guard ? { guard: options.guard } : {}),
    auditOnly: options.auditOnly ?? false,
  }));
  app.all("*", forwardHandler(options.pool, options.apiVersion ?? null));
  app.onError((error, c) => {
    // A fault in the proxy's own code fails this request only, and fails
    // it closed: nothing was forwarded.
    logger.error("Request {requestId} failed inside dockgate: {error}", {
      requestId: c.env.id,
      error,
    });
    return fail(
      c.env,
      500,
      "internal",
      `internal error (request ${c.env.id})`,
    );
  });
  return app;
}
