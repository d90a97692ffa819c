/**
 * One audit record per request, written once its last byte is out.
 */
import { getLogger } from "@logtape/logtape";
import type { Exchange } from "./exchange.ts";

const auditLogger = getLogger(["dockgate", "audit"]);
const protocolLogger = getLogger(["dockgate", "listener"]);

/** Logs the completed exchange: denials at warning, errors at error. */
export function auditExchange(exchange: Exchange, status: number): void {
  const { verdict } = exchange;
  // A forwarded request that then failed is an error, audit-only or not.
  const decision = verdict.decision === "allow" && verdict.auditDenied
    ? "audit-deny"
    : verdict.decision;
  const properties = {
    requestId: exchange.id,
    client: exchange.client,
    profile: exchange.profile ?? null,
    method: exchange.head.method,
    path: exchange.target.path || exchange.head.target.slice(0, 200),
    section: verdict.section,
    decision,
    rule: verdict.rule,
    reason: verdict.reason,
    status,
    durationMs: Math.round((performance.now() - exchange.startedAt) * 10) /
      10,
    bytesIn: exchange.bytesIn,
    bytesOut: exchange.bytesOut,
  };
  const message =
    "{decision} {method} {path} -> {status} ({rule}) for {client}";
  if (decision === "deny" || decision === "audit-deny") {
    auditLogger.warn(message, properties);
  } else if (decision === "error") auditLogger.error(message, properties);
  else auditLogger.info(message, properties);
}

/** Logs a malformed or refused connection-level request. */
export function auditProtocolError(
  client: string,
  status: number,
  message: string,
): void {
  protocolLogger.warn("Refused request from {client} with {status}: {error}", {
    client,
    status,
    error: message,
  });
}
