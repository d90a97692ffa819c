/**
 * The one way a request is refused or fails inside the app.
 *
 * It records the verdict for the audit record (written once the answer is
 * out, at warning level for denials) and answers in Docker's error shape,
 * so the `docker` CLI prints which rule said no.
 */
import type { Exchange } from "../app/exchange.ts";

/** Docker's JSON error answer. */
export function dockerError(status: number, message: string): Response {
  return new Response(JSON.stringify({ message }) + "\n", {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** Refuses the request: 403 by policy, 400/413/415 for unusable input. */
export function deny(
  exchange: Exchange,
  status: number,
  rule: string,
  reason: string,
): Response {
  exchange.verdict = {
    decision: "deny",
    rule,
    reason,
    section: exchange.verdict.section,
  };
  return dockerError(status, `dockgate: ${reason} (rule ${rule})`);
}

/** Answers an allowed request that could not be completed (5xx). */
export function fail(
  exchange: Exchange,
  status: number,
  rule: string,
  reason: string,
): Response {
  exchange.verdict = { ...exchange.verdict, decision: "error", rule, reason };
  return dockerError(status, `dockgate: ${reason}`);
}
