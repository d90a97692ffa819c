/**
 * The shape of one engine route and the helper that builds it from the
 * engine's own gorilla/mux path template.
 */

import type { ActionSwitch, Section } from "./sections.ts";

/** Methods the engine registers routes for (OPTIONS is never matched). */
export type RouteMethod = "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH";

/** One route the engine serves, with what the policy needs to know. */
export interface RouteSpec {
  /** Stable name for logs and filters, e.g. `"container.create"`. */
  id: string;
  method: RouteMethod;
  /** The engine's template, e.g. `"/containers/{name:.*}/json"`. */
  template: string;
  /**
   * Anchored pattern for the route path (no version prefix), parameters as
   * named groups. `{name:.*}` matches slashes as in gorilla/mux; `{id}`
   * does not.
   */
  pattern: RegExp;
  /** Section that opens the route; DEBUG is always denied. */
  section: Section | "DEBUG";
  /** Per-action switch that grants or gates this route. */
  action?: ActionSwitch;
  /** A GET that changes state, so it also needs POST. */
  writes?: true;
  /** The engine takes over the connection on this route. */
  hijack?: "tcp" | "h2c" | "websocket";
  /** Request body: none, a JSON document, or a byte stream (tar, etc.). */
  body: "none" | "json" | "stream";
  /**
   * The response can stay open for an unbounded time (follow streams,
   * waits, hijacks, pull/push/build progress, whole-filesystem tars), so no
   * response timeout may apply.
   */
  streaming?: true;
}

/** Optional properties of a route, given after its section. */
export type RouteOptions = Partial<
  Pick<RouteSpec, "action" | "writes" | "hijack" | "body" | "streaming">
>;

/** `{name}` or `{name:pattern}` in a gorilla/mux template. */
const TEMPLATE_VARIABLE_REGEXP = /\{([A-Za-z]+)(?::([^{}]+))?\}/g;

/** gorilla/mux's pattern for a variable without one: one path segment. */
const DEFAULT_VARIABLE_PATTERN = "[^/]+";

/** The only variable patterns the engine uses. */
const KNOWN_VARIABLE_PATTERNS: ReadonlySet<string> = new Set([
  ".*",
  ".+",
  DEFAULT_VARIABLE_PATTERN,
]);

/**
 * Builds a route from the engine's path template. The template is compiled
 * the way gorilla/mux compiles it: literal text quoted, each variable a
 * group with its pattern, anchored at both ends.
 *
 * @throws {SyntaxError} on a variable pattern the engine does not use
 */
export function defineRoute(
  method: RouteMethod,
  template: string,
  id: string,
  section: Section | "DEBUG",
  options: RouteOptions = {},
): RouteSpec {
  let source = "";
  let literalStart = 0;
  for (const variable of template.matchAll(TEMPLATE_VARIABLE_REGEXP)) {
    const [whole, name, pattern = DEFAULT_VARIABLE_PATTERN] = variable;
    if (!KNOWN_VARIABLE_PATTERNS.has(pattern)) {
      throw new SyntaxError(
        `Cannot compile route ${id}: unexpected variable pattern ${
          JSON.stringify(whole)
        }`,
      );
    }
    source += quoteLiteral(template.slice(literalStart, variable.index)) +
      `(?<${name}>${pattern})`;
    literalStart = variable.index + whole.length;
  }
  source += quoteLiteral(template.slice(literalStart));
  return {
    id,
    method,
    template,
    pattern: new RegExp(`^${source}$`),
    section,
    body: "none",
    ...options,
  };
}

function quoteLiteral(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
