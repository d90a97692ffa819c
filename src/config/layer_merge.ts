/**
 * Merge configuration layers key by key, remembering which layer gave each
 * value so that a problem can be reported against the right source.
 */

import { pathKey } from "./env_source.ts";
import type { FileLayer } from "./file_source.ts";

/** Where a value in the merged input came from. */
export type Origin =
  | { readonly source: "env"; readonly name: string }
  | {
    readonly source: "file";
    readonly layer: FileLayer;
    /** Config path of the file's root: `["filters"]` for FILTERS_CONFIG. */
    readonly prefix: readonly string[];
  };

/** Names the origin of a path in a layer; undefined leaves it unrecorded. */
export type OriginOf = (path: readonly string[]) => Origin | undefined;

/** Merged, not yet validated, input with the origin of every path. */
export interface MergedInput {
  readonly value: Record<string, unknown>;
  readonly origins: Map<string, Origin>;
}

/**
 * Mappings that are one value, replaced as a whole: merging two label sets
 * would require labels that neither source asked for alone.
 */
const WHOLE_VALUE_PATHS = new Set([
  pathKey(["filters", "containers", "require_labels"]),
]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * Defined rather than assigned, so that a `__proto__` key from a file stays
 * an ordinary key (and gets reported as unknown) instead of a prototype.
 */
function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Start an empty merge. */
export function emptyInput(): MergedInput {
  return { value: {}, origins: new Map() };
}

/**
 * Lay `layer` over `merged.value` at `at`. Later layers win per key. Where
 * an earlier layer holds something that is not a mapping and this one brings
 * a mapping, the earlier value stays so that its own error is still reported.
 * A null (an empty `key:` in YAML) counts as absent.
 */
export function overlay(
  merged: MergedInput,
  layer: Record<string, unknown>,
  at: readonly string[],
  originOf: OriginOf,
): void {
  let target = merged.value;
  for (const [index, key] of at.entries()) {
    const path = at.slice(0, index + 1);
    const existing = Object.hasOwn(target, key)
      ? target[key] ?? undefined
      : undefined;
    if (existing === undefined) {
      const created: Record<string, unknown> = {};
      define(target, key, created);
      record(merged, path, originOf);
      target = created;
    } else if (isPlainObject(existing)) {
      target = existing;
    } else {
      return;
    }
  }
  mergeInto(merged, target, layer, at, originOf);
}

function mergeInto(
  merged: MergedInput,
  target: Record<string, unknown>,
  layer: Record<string, unknown>,
  at: readonly string[],
  originOf: OriginOf,
): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...at, key];
    const existing = Object.hasOwn(target, key)
      ? target[key] ?? undefined
      : undefined;
    const whole = WHOLE_VALUE_PATHS.has(pathKey(path));
    // An empty `key:` must not wipe a mapping that an earlier layer gave.
    if (value === null && isPlainObject(existing)) continue;
    if (isPlainObject(value) && !whole && existing !== undefined) {
      if (isPlainObject(existing)) {
        record(merged, path, originOf);
        mergeInto(merged, existing, value, path, originOf);
      }
      continue;
    }
    forgetBelow(merged, path);
    record(merged, path, originOf);
    if (isPlainObject(value) && !whole) {
      const created: Record<string, unknown> = {};
      define(target, key, created);
      mergeInto(merged, created, value, path, originOf);
    } else {
      define(target, key, value);
    }
  }
}

function record(
  merged: MergedInput,
  path: readonly string[],
  originOf: OriginOf,
): void {
  const origin = originOf(path);
  if (origin !== undefined) merged.origins.set(pathKey(path), origin);
}

/** Drop origins under a replaced value; they would point at stale lines. */
function forgetBelow(merged: MergedInput, path: readonly string[]): void {
  const prefix = pathKey(path).slice(0, -1) + ",";
  for (const key of [...merged.origins.keys()]) {
    if (key.startsWith(prefix)) merged.origins.delete(key);
  }
}

/**
 * The origin of the deepest recorded ancestor of `path` (or of `path`
 * itself), with how many segments that ancestor has.
 */
export function findOrigin(
  merged: MergedInput,
  path: readonly (string | number)[],
): { origin: Origin; depth: number } | undefined {
  for (let depth = path.length; depth > 0; depth--) {
    const origin = merged.origins.get(pathKey(path.slice(0, depth)));
    if (origin !== undefined) return { origin, depth };
  }
  return undefined;
}
