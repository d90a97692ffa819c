/**
 * Everything the proxy knows about one request while it is in flight.
 *
 * The listener creates it from the parsed head, the Hono app receives it as
 * its environment, policy records its verdict in it, and the listener writes
 * the audit record from it once the last byte has gone out.
 */
import type { OutgoingBody } from "../upstream/engine_exchange.ts";
import type { EngineResponse } from "../upstream/engine_exchange.ts";
import type { BodyFraming, RequestHead } from "../http/message.ts";
import type { CanonicalTarget } from "../policy/canonical_target.ts";
import type { RouteMatch } from "../policy/routes.ts";

/** What policy decided, for the audit record. */
export interface Verdict {
  decision: "allow" | "deny" | "error";
  rule: string;
  reason: string;
  section: string | null;
  /**
   * Set when an audit-only profile let through a request that policy would
   * have denied; `rule` and `reason` are those of that denial.
   */
  auditDenied?: boolean;
}

export interface Exchange {
  readonly id: string;
  /** Client address, or `unix:<socket path>` for Unix socket clients. */
  readonly client: string;
  readonly startedAt: number;
  readonly head: RequestHead;
  /** Set by the listener once the request target is canonical. */
  target: CanonicalTarget;
  readonly requestFraming: BodyFraming;
  /** The body that will go upstream; policy may replace it after reading. */
  body: OutgoingBody;
  /** Reads and returns the whole client body, up to `maxBytes`. */
  readBody(maxBytes: number): Promise<Uint8Array>;
  verdict: Verdict;
  /** The engine route the request matched, once the ACL has run. */
  route: RouteMatch | null;
  /**
   * Set by the forwarder: the engine's answer, which the listener relays
   * with its own headers and framing instead of the app's Response.
   */
  relay: { engine: EngineResponse } | null;
  /** The profile that judged the request, once one is chosen. */
  profile?: string;
  /** True when the route may take over the connection after a 101. */
  hijack: boolean;
  bytesIn: number;
  bytesOut: number;
}
