/**
 * Picks the profile that judges a request: the listener's rules in order,
 * each matching on the client's address range and, when its profile has
 * tokens, on the token the request carries. A client no rule accepts is
 * refused with 403 in Docker's error shape.
 *
 * @module
 */

import type { Exchange } from "../app/exchange.ts";
import type { ExchangeHandler } from "../listener/connection.ts";
import { deny } from "../policy/deny.ts";
import { cidrContains, parseIpAddress } from "./cidr.ts";
import type { CompiledProfile } from "./compile_profile.ts";
import type { ClientRule } from "./profile_specs.ts";
import { presentedToken } from "./token_set.ts";

/** One loaded configuration: its profiles and the rules of each listener. */
export interface Generation {
  readonly profiles: ReadonlyMap<string, CompiledProfile>;
  /** Listener endpoint (`unix:///path`, `tcp://host:port`) to its rules. */
  readonly rules: ReadonlyMap<string, readonly ClientRule[]>;
}

/** What the router reports, for the audit log and metrics. */
export interface RouterHooks {
  /** The request was given to a profile. */
  started(exchange: Exchange): void;
  /** The exchange is over (every exchange, chosen profile or not). */
  audit(exchange: Exchange, status: number): void;
  protocolError(client: string, status: number, message: string): void;
}

type Choice =
  | { readonly ok: true; readonly profile: CompiledProfile }
  | { readonly ok: false; readonly rule: string; readonly reason: string };

/** The client's IP address from the listener's label, null on a socket. */
export function clientAddress(client: string): number[] | null {
  if (client.startsWith("unix:")) return null;
  const colon = client.lastIndexOf(":");
  return colon < 0 ? null : parseIpAddress(client.slice(0, colon));
}

/** The profile for one request, or why there is none. */
export function chooseProfile(
  generation: Generation,
  rules: readonly ClientRule[],
  exchange: Pick<Exchange, "client" | "head">,
): Choice {
  const presented = presentedToken(exchange.head.headers);
  if (!presented.ok) {
    return { ok: false, rule: "listener.token", reason: presented.reason };
  }
  const address = clientAddress(exchange.client);
  for (const rule of rules) {
    if (rule.cidrs !== null) {
      const inRange = address !== null &&
        rule.cidrs.some((cidr) => cidrContains(cidr, address));
      if (!inRange) continue;
    }
    const profile = generation.profiles.get(rule.profile);
    if (profile === undefined) continue;
    if (profile.tokens.size === 0) return { ok: true, profile };
    if (presented.token !== null && profile.tokens.matches(presented.token)) {
      return { ok: true, profile };
    }
  }
  return {
    ok: false,
    rule: "listener.no_profile",
    reason: presented.token === null
      ? "no profile accepts this client without a token"
      : "no profile accepts this client with this token",
  };
}

/**
 * The handler for one connection to `endpoint`, bound to `generation` for
 * as long as the connection lives.
 */
export function connectionHandler(
  generation: Generation,
  endpoint: string,
  hooks: RouterHooks,
): ExchangeHandler {
  const rules = generation.rules.get(endpoint) ?? [];
  return {
    async fetch(request, exchange) {
      const choice = chooseProfile(generation, rules, exchange);
      if (!choice.ok) {
        return deny(exchange, 403, choice.rule, choice.reason);
      }
      exchange.profile = choice.profile.spec.name;
      hooks.started(exchange);
      return await choice.profile.fetch(request, exchange);
    },
    rejectTarget: (exchange, error) =>
      deny(exchange, 400, "target:invalid", error.message),
    audit: hooks.audit,
    protocolError: hooks.protocolError,
  };
}
