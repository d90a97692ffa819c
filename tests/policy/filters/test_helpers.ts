/**
 * Builders for filter tests: options with every list empty, patterns
 * compiled the way the config loader compiles them, and request contexts
 * whose body goes through the same decoding as a real request.
 */

import {
  BodyError,
  canonicalizeKeys,
  decodeEngineJson,
} from "../../../src/policy/filters/go_json.ts";
import { createRequestFilters } from "../../../src/policy/filters/request_filters.ts";
import { bodySchemaFor } from "../../../src/policy/filters/schemas.ts";
import type {
  FilterContext,
  FilterOptions,
  FilterVerdict,
  Pattern,
} from "../../../src/policy/filters/types.ts";

/** An `allowed_*` pattern: must match the whole value. */
export function allow(source: string): Pattern {
  return { source, regexp: new RegExp(`^(?:${source})$`, "u") };
}

/** A `denied_*` pattern: denies on any match. */
export function denyPattern(source: string): Pattern {
  return { source, regexp: new RegExp(source, "u") };
}

type Area = "volumes" | "containers" | "images" | "networks";

/** Top-level options and any keys of each area. */
export type OptionsPatch =
  & Partial<Omit<FilterOptions, Area>>
  & { [A in Area]?: Partial<FilterOptions[A]> };

/**
 * Options with every list empty and every switch off except the defaults
 * (socket and proxy protections), plus `patch`.
 */
export function makeOptions(
  patch: OptionsPatch = {},
): FilterOptions {
  return {
    disable_defaults: patch.disable_defaults ?? false,
    proxy_container_name: patch.proxy_container_name === undefined
      ? "dockgate"
      : patch.proxy_container_name,
    proxy_network_name: patch.proxy_network_name === undefined
      ? "dockgate-net"
      : patch.proxy_network_name,
    engine_socket_paths: patch.engine_socket_paths ?? [],
    proxy_container_id: patch.proxy_container_id ?? null,
    volumes: {
      allowed_names: [],
      denied_names: [],
      allowed_paths: [],
      denied_paths: [],
      allowed_drivers: [],
      ...patch.volumes,
    },
    containers: {
      allowed_images: [],
      denied_images: [],
      allowed_names: [],
      denied_names: [],
      require_labels: {},
      deny_privileged: false,
      deny_host_network: false,
      allowed_capabilities: [],
      allowed_devices: [],
      allowed_runtimes: [],
      allowed_security_opts: [],
      ...patch.containers,
    },
    images: {
      allowed_repos: [],
      denied_repos: [],
      allowed_tags: [],
      denied_tags: [],
      allow_load: null,
      ...patch.images,
    },
    networks: {
      allowed_names: [],
      denied_names: [],
      allowed_drivers: [],
      ...patch.networks,
    },
  };
}

/** A query view over `a=b&c=d` pairs, first value wins like Go. */
export function query(raw = ""): FilterContext["query"] {
  const params = new URLSearchParams(raw);
  return {
    get: (key) => params.get(key),
    getAll: (key) => params.getAll(key),
  };
}

/** What a test says about one request. */
export interface RequestSpec {
  routeId: string;
  params?: Record<string, string>;
  query?: string;
  /** Raw JSON text, decoded and canonicalised like a real body. */
  json?: string;
  /** An already decoded body, canonicalised with the route's schema. */
  body?: unknown;
  apiVersion?: string;
  resolveContainer?: FilterContext["resolveContainer"];
}

/** Builds the filter context the lead's middleware would build. */
export function makeContext(spec: RequestSpec): FilterContext {
  const schema = bodySchemaFor(spec.routeId);
  let body: unknown = spec.body;
  if (spec.json !== undefined) {
    body = decodeEngineJson(new TextEncoder().encode(spec.json));
  }
  if (body !== undefined && schema !== undefined) {
    body = canonicalizeKeys(body, schema);
  }
  return {
    routeId: spec.routeId,
    params: spec.params ?? {},
    query: query(spec.query),
    body,
    apiVersion: spec.apiVersion ?? "1.41",
    ...(spec.resolveContainer
      ? { resolveContainer: spec.resolveContainer }
      : {}),
  };
}

/** Runs one request through freshly built filters. */
export function inspect(
  options: FilterOptions,
  spec: RequestSpec,
): FilterVerdict {
  return createRequestFilters(options)(makeContext(spec));
}

/** The rule that denied, or "allowed". */
export function outcome(verdict: FilterVerdict): string {
  return verdict.allowed ? "allowed" : verdict.rule;
}

/** Reads a captured request body from the fixtures folder. */
export function fixture(name: string): unknown {
  const url = new URL(`./fixtures/${name}`, import.meta.url);
  return JSON.parse(Deno.readTextFileSync(url));
}

/** One row of a filter table: what is sent and which rule must answer. */
export interface FilterCase {
  /** What the row proves. */
  name: string;
  options?: OptionsPatch;
  request: RequestSpec;
  /** The denying rule, "allowed", or "BodyError" (refused when decoding). */
  expected: string;
  /** A fragment the reason must contain. */
  reason?: string;
}

/**
 * Runs a table of cases, naming the failing row. A body refused while
 * decoding (as the middleware would refuse it with 400) has the outcome
 * `"BodyError"`.
 */
export function runCases(cases: readonly FilterCase[]): void {
  for (const row of cases) {
    let verdict: FilterVerdict;
    try {
      verdict = inspect(makeOptions(row.options), row.request);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      if (row.expected === "BodyError") continue;
      throw new Error(`${row.name}: expected ${row.expected}, got ${error}`);
    }
    if (outcome(verdict) !== row.expected) {
      throw new Error(
        `${row.name}: expected ${row.expected}, got ${JSON.stringify(verdict)}`,
      );
    }
    if (row.reason !== undefined && !verdict.allowed) {
      if (!verdict.reason.includes(row.reason)) {
        throw new Error(
          `${row.name}: reason ${JSON.stringify(verdict.reason)} lacks ${
            JSON.stringify(row.reason)
          }`,
        );
      }
    }
  }
}

/** A `container.create` request with `json` as its body. */
export function create(json: string, rawQuery = ""): RequestSpec {
  return { routeId: "container.create", json, query: rawQuery };
}
