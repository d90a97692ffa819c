/**
 * The effective configuration as plain JSON, for the startup log record.
 *
 * This is the one place that decides what of the configuration may be
 * logged: secrets added later (tokens, passwords) must be hidden here.
 */

import type { DockgateConfig } from "../config/schema.ts";

/** A JSON value. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };

/**
 * Keys whose values are never logged. Matched on the whole key or its last
 * `_` part, so `api_token` is caught while the `SECRETS` section switch,
 * which only says whether Swarm secrets are reachable, is not.
 */
const SECRET_KEY_REGEXP =
  /(?:^|_)(?:token|tokens|password|passphrase|secret|credentials|key)$/i;

/** Value put in place of a secret. */
export const REDACTED = "[redacted]";

/** Keys of modes best read in octal, as they are written. */
const OCTAL_KEYS = new Set(["socket_perms"]);

function isPattern(value: object): value is { source: string; regexp: RegExp } {
  return "regexp" in value && value.regexp instanceof RegExp &&
    "source" in value && typeof value.source === "string";
}

function toJson(value: unknown, key: string): JsonValue | undefined {
  if (SECRET_KEY_REGEXP.test(key) && value !== null) return REDACTED;
  if (OCTAL_KEYS.has(key) && typeof value === "number") {
    return `0${value.toString(8)}`;
  }
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isFinite(value) ? value : String(value);
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return undefined;
  }
  if (value === null) return null;
  if (value instanceof RegExp) return value.source;
  if (isPattern(value)) return value.source;
  if (Array.isArray(value)) {
    return value.map((item) => toJson(item, "") ?? null);
  }
  const output: { [key: string]: JsonValue } = {};
  for (const [childKey, child] of Object.entries(value)) {
    const converted = toJson(child, childKey);
    // Defined, not assigned: a label named __proto__ must stay a key.
    if (converted !== undefined) {
      Object.defineProperty(output, childKey, {
        value: converted,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return output;
}

/**
 * The effective configuration as a plain JSON-safe object: patterns as the
 * text the user wrote, the socket mode in octal, secrets replaced by
 * `"[redacted]"`.
 */
export function redactPolicyForLog(
  config: DockgateConfig,
): { [key: string]: JsonValue } {
  const json = toJson(config, "");
  return json !== null && typeof json === "object" && !Array.isArray(json)
    ? json
    : {};
}
