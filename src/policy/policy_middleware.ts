/**
 * The policy step of the Hono app: the endpoint ACL, header rules, then the
 * deep request filters. A request reaches the forwarder only when every
 * step allowed it.
 */
import type { MiddlewareHandler } from "hono";
import type { Exchange, Verdict } from "../app/exchange.ts";
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
  /** Runs after `inspect`, same contract: owner isolation. */
  guard?: (exchange: Exchange) => Promise<Response | null>;
  /**
   * Forward what policy would refuse (403 or 404), recording the first
   * such denial with `auditDenied`. Unusable input is still refused.
   */
  auditOnly?: boolean;
}

/** Refusals an audit-only profile lets through: policy, not bad input. */
const POLICY_STATUSES: ReadonlySet<number> = new Set([403, 404]);

/** Builds the policy middleware; all matchers are built here, once. */
export function policyMiddleware(
  options: PolicyOptions,
): MiddlewareHandler<{ Bindings: Exchange }> {
  const { acl, auditOnly = false } = options;
  const steps = [options.inspect, options.guard].filter((step) =>
    step !== undefined
  );
  return async (c, next) => {
    const exchange = c.env;
    const decision = acl(exchange.head.method, exchange.target.routePath);
    exchange.verdict.section = decision.section;
    exchange.route = decision.match;
    let wouldDeny: Verdict | null = null;
    if (!decision.allowed) {
      const refused = deny(exchange, 403, decision.rule, decision.reason);
      if (!auditOnly) return refused;
      wouldDeny = exchange.verdict;
    }
    const problem = checkRequestHeaders(exchange.head.headers);
    if (problem) {
      return deny(exchange, problem.status, problem.rule, problem.reason);
    }
    // Only an audit-only profile gets here with an unknown route, which
    // has nothing to inspect.
    if (exchange.route !== null) {
      for (const step of steps) {
        const refused = await step(exchange);
        if (refused === null) continue;
        if (!auditOnly || !POLICY_STATUSES.has(refused.status)) return refused;
        wouldDeny ??= exchange.verdict;
      }
    }
    exchange.verdict = wouldDeny === null
      ? {
        decision: "allow",
        rule: decision.rule,
        reason: decision.reason,
        section: decision.section,
      }
      : { ...wouldDeny, decision: "allow", auditDenied: true };
    await next();
  };
}
