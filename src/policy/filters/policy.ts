/**
 * The filter options compiled once at startup, and the small helpers every
 * filter uses to match patterns and word denials.
 *
 * @module
 */

import { cleanPath, isAbsolutePath } from "./host_path.ts";
import type {
  FilterDenial,
  FilterOptions,
  Pattern,
  PatternList,
} from "./types.ts";

/** Socket paths protected by default, whatever the configuration says. */
export const DEFAULT_ENGINE_SOCKETS = [
  "/var/run/docker.sock",
  "/run/docker.sock",
] as const;

/**
 * A `denied_paths` pattern with the directories that contain everything it
 * can match: mounting one of them, or an ancestor, exposes a denied path.
 */
export interface DeniedPathRule {
  readonly pattern: Pattern;
  readonly dirs: readonly string[];
}

/** Everything the per-request checks read, computed at startup. */
export interface Policy {
  readonly options: FilterOptions;
  /** Whether the built-in protections are on. */
  readonly defaults: boolean;
  /** Proxy container name without a leading "/", or null. */
  readonly proxyContainer: string | null;
  /** Full ID of the container dockgate runs in, or null. */
  readonly proxyContainerId: string | null;
  readonly proxyNetwork: string | null;
  /** Cleaned socket paths that no mount may expose. */
  readonly protectedSockets: readonly string[];
  readonly deniedPaths: readonly DeniedPathRule[];
}

const UNIX_SCHEME = "unix://";
const STATEFUL_FLAGS_REGEXP = /[gy]/;
const REGEXP_SYNTAX = new Set([..."^$.*+?()[]{}|\\"]);
const QUANTIFIERS = new Set([..."*+?{"]);
const MAX_QUOTED_LENGTH = 200;

/**
 * Validates and precomputes the options.
 *
 * @throws {TypeError} on a stateful pattern (`g` or `y` flag) or a socket
 * path that is not absolute
 */
export function compilePolicy(options: FilterOptions): Policy {
  for (const [key, list] of patternLists(options)) {
    for (const pattern of list) {
      if (STATEFUL_FLAGS_REGEXP.test(pattern.regexp.flags)) {
        throw new TypeError(
          `Cannot use pattern ${quote(pattern.source)} in ${key}: ` +
            `flag "${pattern.regexp.flags}" makes matching stateful`,
        );
      }
    }
  }
  const defaults = !options.disable_defaults;
  const sockets = new Set<string>();
  for (
    const raw of [...DEFAULT_ENGINE_SOCKETS, ...options.engine_socket_paths]
  ) {
    const path = raw.startsWith(UNIX_SCHEME)
      ? raw.slice(UNIX_SCHEME.length)
      : raw;
    if (!isAbsolutePath(path)) {
      throw new TypeError(
        `Cannot protect engine socket ${quote(raw)}: not an absolute path`,
      );
    }
    sockets.add(cleanPath(path));
  }
  const allowedPaths = options.volumes.allowed_paths;
  return {
    options,
    defaults,
    proxyContainer: stripSlash(options.proxy_container_name ?? "") || null,
    proxyContainerId: options.proxy_container_id ?? null,
    proxyNetwork: options.proxy_network_name || null,
    protectedSockets: defaults
      ? [...sockets].filter((socket) => !releasesSocket(allowedPaths, socket))
      : [],
    deniedPaths: options.volumes.denied_paths.map((pattern) => ({
      pattern,
      dirs: literalDirs(pattern.source),
    })),
  };
}

function patternLists(
  options: FilterOptions,
): [string, PatternList][] {
  const lists: [string, PatternList][] = [];
  for (const area of ["volumes", "containers", "images", "networks"] as const) {
    for (const [key, value] of Object.entries(options[area])) {
      if (Array.isArray(value)) lists.push([`${area}.${key}`, value]);
    }
  }
  return lists;
}

/**
 * An allow pattern gives a socket back only when it matches the socket and
 * names its file: `^/var/run/docker\.sock$` does, `^/.*` does not, so a
 * broad pattern cannot expose the engine by accident.
 */
function releasesSocket(allowed: PatternList, socket: string): boolean {
  const fileName = socket.slice(socket.lastIndexOf("/") + 1);
  return allowed.some((pattern) =>
    pattern.regexp.test(socket) &&
    pattern.source.replaceAll("\\", "").includes(fileName)
  );
}

/**
 * The directories under which a deny pattern can match, one per top-level
 * alternative: the literal path the alternative starts with (`^/etc/.*`
 * gives `/etc`), cut back to its last "/". An alternative that is not
 * anchored at an absolute literal can match anywhere and yields `/`.
 */
export function literalDirs(source: string): string[] {
  const dirs = new Set<string>();
  for (const alternative of splitAlternatives(source)) {
    const literal = literalPrefix(alternative);
    const cut = literal.lastIndexOf("/");
    dirs.add(cut <= 0 ? "/" : cleanPath(literal.slice(0, cut)));
  }
  return [...dirs];
}

function splitAlternatives(source: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === "\\") {
      i++;
    } else if (inClass) {
      if (c === "]") inClass = false;
    } else if (c === "[") {
      inClass = true;
    } else if (c === "(") {
      depth++;
    } else if (c === ")") {
      depth--;
    } else if (c === "|" && depth === 0) {
      parts.push(source.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(source.slice(start));
  return parts;
}

/** The literal text after a leading `^`, up to the first operator. */
function literalPrefix(alternative: string): string {
  if (!alternative.startsWith("^/")) return "";
  let literal = "";
  for (let i = 1; i < alternative.length; i++) {
    let c = alternative[i] ?? "";
    if (c === "\\") {
      const next = alternative[i + 1] ?? "";
      if (!REGEXP_SYNTAX.has(next) && next !== "/" && next !== "-") break;
      c = next;
      i++;
    } else if (REGEXP_SYNTAX.has(c)) {
      // "a?" or "a*" makes the last character optional: drop it.
      if (QUANTIFIERS.has(c)) literal = literal.slice(0, -1);
      break;
    }
    literal += c;
  }
  return literal;
}

/** Removes one leading "/", as the engine does for container names. */
export function stripSlash(name: string): string {
  return name.startsWith("/") ? name.slice(1) : name;
}

/** Quotes a value for a reason: JSON string syntax, cut when very long. */
export function quote(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  const cut = text.length > MAX_QUOTED_LENGTH
    ? `${text.slice(0, MAX_QUOTED_LENGTH)}…`
    : text;
  return JSON.stringify(cut);
}

/** A policy denial (403). */
export function deny(rule: string, reason: string): FilterDenial {
  return { allowed: false, status: 403, rule, reason };
}

/** A request the engine would misread or refuse (400). */
export function invalid(reason: string): FilterDenial {
  return { allowed: false, status: 400, rule: "request.invalid", reason };
}

/** The first pattern that matches `value`, if any. */
export function firstMatch(
  patterns: PatternList,
  value: string,
): Pattern | undefined {
  return patterns.find((pattern) => pattern.regexp.test(value));
}

/** Whether an allow list lets `value` through (an empty list does). */
export function allowedBy(patterns: PatternList, value: string): boolean {
  return patterns.length === 0 || firstMatch(patterns, value) !== undefined;
}

/** Names of one kind of object, with the rules that govern them. */
export interface NameRules {
  /** `"containers"`, `"volumes"` or `"networks"`. */
  readonly area: string;
  readonly allowed: PatternList;
  readonly denied: PatternList;
}

/**
 * Checks a name against a denied list, then an allowed list. `field` says
 * where the name came from, e.g. `query "name"`.
 */
export function checkName(
  rules: NameRules,
  field: string,
  name: string,
): FilterDenial | undefined {
  const hit = firstMatch(rules.denied, name);
  if (hit !== undefined) {
    return deny(
      `${rules.area}.denied_names`,
      `${field} ${quote(name)} matches denied pattern ${quote(hit.source)}`,
    );
  }
  if (!allowedBy(rules.allowed, name)) {
    return deny(
      `${rules.area}.allowed_names`,
      `${field} ${quote(name)} matches no allowed pattern`,
    );
  }
  return undefined;
}

/** Narrows an unknown JSON value to a plain object, or undefined. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return undefined;
  }
  return value as Record<string, unknown>;
}

/** An own property of a JSON object; inherited names read as absent. */
export function field(
  object: Record<string, unknown> | undefined,
  key: string,
): unknown {
  if (object === undefined || !Object.hasOwn(object, key)) return undefined;
  return object[key];
}

/** A string field, or "" when absent or null. */
export function stringField(
  object: Record<string, unknown> | undefined,
  key: string,
): string {
  const value = field(object, key);
  return typeof value === "string" ? value : "";
}

/** A list field, or [] when absent or null. */
export function listField(
  object: Record<string, unknown> | undefined,
  key: string,
): readonly unknown[] {
  const value = field(object, key);
  return Array.isArray(value) ? value : [];
}

/** An object field, or undefined when absent, null or not an object. */
export function recordField(
  object: Record<string, unknown> | undefined,
  key: string,
): Record<string, unknown> | undefined {
  return asRecord(field(object, key));
}
