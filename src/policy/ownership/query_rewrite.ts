/**
 * Query rewriting for owner isolation: the owner's label joins the
 * `filters` the engine applies to a list, and the `labels` of a build.
 *
 * The engine reads these JSON values with Go's `encoding/json` into maps,
 * where a duplicate key silently wins; they are decoded here with the same
 * strict decoder as request bodies (duplicates refused) and re-encoded
 * from what was checked, so the engine reads exactly what we wrote.
 *
 * @module
 */

import type { OwnerLabel } from "../../config/profile_values.ts";
import {
  BodyError,
  decodeEngineJson,
  defineEntry,
} from "../filters/go_json.ts";
import { percentDecode } from "../percent_decode.ts";

const ENCODER = new TextEncoder();

/** The owner's label as a `label` filter value: `key=value`. */
export function ownerFilterValue(owner: OwnerLabel): string {
  return `${owner.name}=${owner.value}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/**
 * The client's `filters` JSON with the owner's label added to `label`.
 * Both shapes the engine accepts are read (`{"label": {"a=b": true}}` and
 * the older `{"label": ["a=b"]}`); the result uses the first. The engine
 * requires every `label` filter to match, so the client can narrow the
 * list further but never widen it.
 *
 * @throws {BodyError} when the client's value is not a filter set
 */
export function addOwnerFilter(
  filters: string | null,
  owner: OwnerLabel,
): string {
  const output: Record<string, Record<string, boolean>> = {};
  if (filters !== null && filters.trim() !== "") {
    const parsed = decodeEngineJson(ENCODER.encode(filters));
    if (!isPlainObject(parsed)) {
      throw new BodyError(`Cannot read filters: not an object: ${filters}`);
    }
    for (const [name, values] of Object.entries(parsed)) {
      const set: Record<string, boolean> = {};
      const items = Array.isArray(values)
        ? values
        : isPlainObject(values)
        ? Object.keys(values)
        : null;
      if (items === null || !items.every((item) => typeof item === "string")) {
        throw new BodyError(
          `Cannot read filters: ${JSON.stringify(name)} is not a list`,
        );
      }
      for (const item of items) set[item] = true;
      defineEntry(output, name, set);
    }
  }
  const labels = Object.hasOwn(output, "label") ? output["label"]! : {};
  labels[ownerFilterValue(owner)] = true;
  output["label"] = labels;
  return JSON.stringify(output);
}

/**
 * The client's build `labels` JSON with the owner's label set, whatever
 * the client gave for that key.
 *
 * @throws {BodyError} when the client's value is not a map of strings
 */
export function addOwnerLabel(
  labels: string | null,
  owner: OwnerLabel,
): string {
  const output: Record<string, string> = {};
  if (labels !== null && labels.trim() !== "" && labels.trim() !== "null") {
    const parsed = decodeEngineJson(ENCODER.encode(labels));
    if (
      !isPlainObject(parsed) ||
      !Object.values(parsed).every((value) => typeof value === "string")
    ) {
      throw new BodyError(`Cannot read labels: not a map of strings`);
    }
    for (const [key, value] of Object.entries(parsed)) {
      defineEntry(output, key, value);
    }
  }
  defineEntry(output, owner.name, owner.value);
  return JSON.stringify(output);
}

/**
 * `rawQuery` without any pair whose decoded key is in `replace`, followed
 * by the pairs of `replace`. The rest keeps its exact bytes, so nothing
 * the policy already read changes meaning.
 */
export function replaceQueryKeys(
  rawQuery: string,
  replace: ReadonlyMap<string, readonly string[]>,
): string {
  const kept = rawQuery.split("&").filter((pair) => {
    if (pair === "") return false;
    const equals = pair.indexOf("=");
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    return !replace.has(percentDecode(rawKey, { plusAsSpace: true }));
  });
  for (const [key, values] of replace) {
    for (const value of values) {
      kept.push(`${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
    }
  }
  return kept.join("&");
}
