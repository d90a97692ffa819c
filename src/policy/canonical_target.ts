/**
 * Turns a raw HTTP request target into the one form the policy reasons
 * about and the upstream receives.
 *
 * The engine routes on the percent-decoded path (`/%63ontainers/create` is
 * container create) and answers any path that `path.Clean` would change with
 * a redirect. We decode once, refuse every spelling that could make the
 * engine see a different path than we matched, and forward the decoded path,
 * which by construction needs no escaping.
 */

import { parseGoQuery } from "./go_query.ts";

/** A request target in canonical form. */
export interface CanonicalTarget {
  /** Decoded path to send upstream, version prefix included if present. */
  path: string;
  /** `path` without the version prefix; what routes are matched against. */
  routePath: string;
  /** `"1.41"` for a `/v1.41/` prefix, null when there is none. */
  apiVersion: string | null;
  /** Query string as sent, without "?"; validated; "" when absent. */
  rawQuery: string;
}

/** Thrown when a request target is not acceptable; the message says why. */
export class TargetError extends Error {
  override name = "TargetError";
}

/**
 * Characters allowed in the decoded path: RFC 3986 `pchar` without "%", plus
 * "/" and the brackets of an IPv6 registry in an image name. None of them
 * needs escaping, so the engine decodes the forwarded path to exactly the
 * string we matched. "?" (from `%3F`) is left out because forwarding it
 * would cut the path short.
 */
const PATH_CHARS_REGEXP = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/[\]]*$/;

const PERCENT_ESCAPE_REGEXP = /^%[0-9A-Fa-f]{2}$/;

/** What the engine's `/v{version:[0-9.]+}` captures before a route path. */
const ENGINE_VERSION_PREFIX_REGEXP = /^\/v([0-9.]+)(?=\/|$)/;

/**
 * The only version spelling we forward. The engine compares versions field
 * by field, so `1.045`, `1.41.0` and `01.41` would all mean 1.41 to it; we
 * refuse them rather than guess. Three digits per field keep the numbers
 * exact in both Go and JavaScript.
 */
const CANONICAL_VERSION_REGEXP =
  /^(?:0|[1-9][0-9]{0,2})\.(?:0|[1-9][0-9]{0,2})$/;

/** Route paths the engine registers with a trailing slash. */
const TRAILING_SLASH_ROUTE_PATHS: ReadonlySet<string> = new Set([
  "/networks/",
  "/debug/pprof/",
]);

/**
 * Far below Go's own cap on query parameters: past that cap the engine's
 * handlers may see a different query than we parsed.
 */
const MAX_QUERY_PAIRS = 1000;

/**
 * Validates a raw request target (the second word of the request line) and
 * returns its canonical form.
 *
 * Accepts origin-form only. The path is percent-decoded exactly once; the
 * result must contain only characters that need no escaping and must be
 * what `path.Clean` would produce, so `//`, `.`, `..`, `%2F` and any double
 * encoding are refused. A trailing slash is accepted only on the route paths
 * the engine registers with one (`/networks/`, `/debug/pprof/`). A version
 * prefix must be `/vMAJOR.MINOR` without leading zeros.
 *
 * @throws {TargetError} when the target is refused
 *
 * @example
 * ```ts
 * canonicalizeTarget("/v1.41/%63ontainers/json?all=1");
 * // { path: "/v1.41/containers/json", routePath: "/containers/json",
 * //   apiVersion: "1.41", rawQuery: "all=1" }
 * ```
 */
export function canonicalizeTarget(rawTarget: string): CanonicalTarget {
  if (!rawTarget.startsWith("/")) {
    throw refuse("only origin-form is accepted", rawTarget);
  }
  const queryStart = rawTarget.indexOf("?");
  const rawPath = queryStart < 0 ? rawTarget : rawTarget.slice(0, queryStart);
  const rawQuery = queryStart < 0 ? "" : rawTarget.slice(queryStart + 1);
  const path = decodePath(rawPath);
  const { routePath, apiVersion } = splitVersionPrefix(path, rawPath);
  assertCleanPath(routePath, rawPath);
  validateQuery(rawQuery);
  return { path, routePath, apiVersion, rawQuery };
}

function decodePath(rawPath: string): string {
  let decoded = "";
  let literalStart = 0;
  for (let index = rawPath.indexOf("%"); index >= 0;) {
    const escape = rawPath.slice(index, index + 3);
    if (!PERCENT_ESCAPE_REGEXP.test(escape)) {
      throw refuse(`bad percent escape ${JSON.stringify(escape)}`, rawPath);
    }
    const byte = parseInt(escape.slice(1), 16);
    if (byte === 0x2f) {
      // An escaped slash would be one segment for us and two for the engine.
      throw refuse('path contains an encoded "/"', rawPath);
    }
    decoded += rawPath.slice(literalStart, index) + String.fromCharCode(byte);
    literalStart = index + 3;
    index = rawPath.indexOf("%", literalStart);
  }
  decoded += rawPath.slice(literalStart);
  assertPathChars(decoded, rawPath);
  return decoded;
}

function assertPathChars(decoded: string, rawPath: string): void {
  if (PATH_CHARS_REGEXP.test(decoded)) return;
  const bad = [...decoded].find((char) => !PATH_CHARS_REGEXP.test(char)) ?? "";
  const code = bad.charCodeAt(0);
  let what = "a character that would need escaping";
  if (bad === "%") what = "a double-encoded escape";
  else if (code < 0x20 || code === 0x7f) what = "a control character";
  else if (code > 0x7f) what = "a non-ASCII character";
  else if (bad === "\\") what = "a backslash";
  else if (bad === "#") what = "a fragment marker";
  else if (bad === "?") what = "an encoded query marker";
  throw refuse(
    `decoded path contains ${what} ${JSON.stringify(bad)}`,
    rawPath,
  );
}

function splitVersionPrefix(
  path: string,
  rawPath: string,
): { routePath: string; apiVersion: string | null } {
  const match = ENGINE_VERSION_PREFIX_REGEXP.exec(path);
  if (match === null) return { routePath: path, apiVersion: null };
  const version = match[1] ?? "";
  if (!CANONICAL_VERSION_REGEXP.test(version)) {
    throw refuse("API version must be MAJOR.MINOR, no leading zeros", rawPath);
  }
  const routePath = path.slice(match[0].length);
  if (routePath === "") {
    throw refuse("no endpoint after the version prefix", rawPath);
  }
  return { routePath, apiVersion: version };
}

function assertCleanPath(routePath: string, rawPath: string): void {
  const segments = routePath.split("/").slice(1);
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    if (segment === "" && last && TRAILING_SLASH_ROUTE_PATHS.has(routePath)) {
      return;
    }
    if (segment === "" || segment === "." || segment === "..") {
      // The engine answers such paths with a redirect to their cleaned form
      // and runs nothing, so no client needs them.
      throw refuse('empty, "." or ".." path segment', rawPath);
    }
  });
}

function validateQuery(rawQuery: string): void {
  for (const char of rawQuery) {
    const code = char.charCodeAt(0);
    if (code <= 0x20 || code >= 0x7f || char === "#") {
      throw refuse(`query contains ${JSON.stringify(char)}`, rawQuery);
    }
    if (char === ";") {
      // Go drops a pair that holds ";" and handlers such as /build ignore
      // that error, so "a=x;y&a=z" is "z" to the engine and "x;y" to us.
      throw refuse('query contains ";"', rawQuery);
    }
  }
  const pairs = rawQuery.split("&").filter((pair) => pair !== "").length;
  if (pairs > MAX_QUERY_PAIRS) {
    throw new TargetError(
      `Invalid request target: query has ${pairs} parameters, ` +
        `the limit is ${MAX_QUERY_PAIRS}`,
    );
  }
  try {
    parseGoQuery(rawQuery);
  } catch (error) {
    throw new TargetError(
      `Invalid request target: ${(error as Error).message}`,
    );
  }
}

function refuse(what: string, value: string): TargetError {
  return new TargetError(
    `Invalid request target: ${what}: ${JSON.stringify(value)}`,
  );
}
