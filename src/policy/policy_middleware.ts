/**
 * The policy step of the Hono app: the endpoint ACL, header rules, then the
 * deep request filters. A request reaches the forwarder only when every
 * step allowed it.
 */
import type { MiddlewareHandler } from "hono";
import type { Exchange } from "../app/exchange.ts";
import { deny } from "./deny.ts";
import type { EndpointAcl } from "./endpoint_acl.ts";
import { checkRequestHeaders } from "./header_checks.ts";

export interface PolicyOptions {
  acl: EndpointAcl;
  /**
   * Deep checks on an ACL-approved request; returns a Response to refuse
   * it, or null to let it through (possibly with a rewritten body).
   */
  inspect?: (exchange: Exchange) => Promise<Response | null>;
}

/** Builds the policy middleware; all matchers are built here, once. */
export function policyMiddleware(
  options: PolicyOptions,
): MiddlewareHandler<{ Bindings: Exchange }> {
  const { acl, inspect } = options;
  return async (c, next) => {
    const exchange = c.env;
    const decision = acl(exchange.head.method, exchange.target.routePath);
    exchange.verdict.section = decision.section;
    exchange.route = decision.match;
    if (!decision.allowed) {
      return deny(exchange, 403, decision.rule, decision.reason);
    }
    const problem = checkRequestHeaders(exchange.head.headers);
    if (problem) {
      return deny(exchange, problem.status, problem.rule, problem.reason);
    }
    const refused = inspect ? await inspect(exchange) : null;
    if (refused) return refused;
    exchange.verdict = {
      decision: "allow",
      rule: decision.rule,
      reason: decision.reason,
      section: decision.section,
    };
    await next();
  };
}
