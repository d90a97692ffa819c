/**
 * Query-string parsing with the engine's semantics rather than the WHATWG
 * ones, so that filters read the same values the engine's handlers will.
 */

import { percentDecode } from "./percent_decode.ts";

/** A parsed query string, read the way Go's `net/http` reads it. */
export interface GoQuery {
  /** First value of `key`, like Go's `FormValue`; null when absent. */
  get(key: string): string | null;
  /** Every value of `key` in order; empty when absent. */
  getAll(key: string): string[];
  /** Whether `key` appears at all, even as a bare `?key`. */
  has(key: string): boolean;
  /** Distinct keys in order of first appearance. */
  keys(): string[];
}

/**
 * Characters Go's `strings.TrimSpace` removes (`unicode.IsSpace`). This is
 * not JavaScript's `trim()` set: Go also trims U+0085 and keeps U+FEFF.
 */
const GO_SPACE_CLASS = "[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680" +
  "\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]";
const GO_SPACE_REGEXP = new RegExp(
  `^${GO_SPACE_CLASS}+|${GO_SPACE_CLASS}+$`,
  "g",
);

/** The values the engine's `BoolValue` reads as false, after trim+lower. */
const GO_FALSE_WORDS: ReadonlySet<string> = new Set([
  "",
  "0",
  "no",
  "false",
  "none",
]);

/**
 * Parses a raw query string like Go's `url.ParseQuery`: pairs are split on
 * "&" only, empty pairs are skipped, a pair without "=" has the value "",
 * "+" is a space and escapes are decoded once.
 *
 * Where Go would drop a pair and record an error (a ";" or a bad escape),
 * this throws instead, because some engine handlers ignore that error and
 * the two views would differ. Values must decode to valid UTF-8.
 *
 * @throws {URIError} on ";", a malformed escape or invalid UTF-8
 *
 * @example
 * ```ts
 * const query = parseGoQuery("t=a&t=b&force");
 * query.get("t"); // "a"
 * query.getAll("t"); // ["a", "b"]
 * query.get("force"); // ""
 * ```
 */
export function parseGoQuery(rawQuery: string): GoQuery {
  const values = new Map<string, string[]>();
  for (const pair of rawQuery.split("&")) {
    if (pair === "") continue;
    if (pair.includes(";")) {
      throw new URIError(
        `Cannot parse query: ";" in pair ${JSON.stringify(pair)}`,
      );
    }
    const equals = pair.indexOf("=");
    const rawKey = equals < 0 ? pair : pair.slice(0, equals);
    const rawValue = equals < 0 ? "" : pair.slice(equals + 1);
    const key = percentDecode(rawKey, { plusAsSpace: true });
    const value = percentDecode(rawValue, { plusAsSpace: true });
    const list = values.get(key);
    if (list === undefined) values.set(key, [value]);
    else list.push(value);
  }
  return {
    get: (key) => values.get(key)?.[0] ?? null,
    getAll: (key) => [...(values.get(key) ?? [])],
    has: (key) => values.has(key),
    keys: () => [...values.keys()],
  };
}

/**
 * The engine's `httputils.BoolValue`: after trimming white space and
 * lower-casing, "", "0", "no", "false" and "none" are false and anything
 * else is true ("off", "2", "nope" included). An absent key (null) is false.
 *
 * @example
 * ```ts
 * goBoolValue(parseGoQuery("force").get("force")); // false
 * goBoolValue(" Off "); // true
 * ```
 */
export function goBoolValue(value: string | null): boolean {
  if (value === null) return false;
  // Only ASCII letters lower-case into the false words, in Go and in
  // JavaScript alike, so the two lower-casings decide the same way.
  const word = value.replace(GO_SPACE_REGEXP, "").toLowerCase();
  return !GO_FALSE_WORDS.has(word);
}
