/**
 * JSON bodies read the way the engine reads them, or refused.
 *
 * The engine decodes bodies with Go's `encoding/json`: struct fields match
 * keys case-insensitively with Unicode folding (`ſ` is `s`, the Kelvin sign
 * is `k`), the last duplicate wins and repeated objects merge. Rather than
 * emulate that, we refuse every body where it could matter (two keys equal
 * after folding, non-ASCII struct keys), then rename struct keys to their
 * Go field names so checks and the forwarded body use one spelling.
 *
 * @module
 */

import type { JsonSchema } from "./schemas.ts";

/** A body the engine would read differently from us, or not at all. */
export class BodyError extends Error {
  /** HTTP status to answer with. */
  readonly status = 400;
  override name = "BodyError";
}

/** Objects and arrays nested deeper than this are refused. */
export const MAX_JSON_DEPTH = 64;

const UTF8_DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const NON_ASCII_REGEXP = /[\u0080-\uffff]/;
const NUMBER_REGEXP = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4_REGEXP = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/**
 * Folds a key so that two keys Go could match to the same struct field
 * compare equal. Upper-then-lower case covers ASCII and also maps U+017F
 * and U+212A to "s" and "k"; the explicit replacements keep that true
 * whatever the runtime's case tables say. It may merge more keys than Go
 * does (ß and ss), which only refuses more bodies.
 */
export function foldKey(key: string): string {
  return key.toUpperCase().toLowerCase()
    .replaceAll("\u017f", "s")
    .replaceAll("\u212a", "k")
    .replaceAll("\u212b", "\u00e5");
}

/**
 * Decodes a request body, refusing what Go and JavaScript could read
 * differently: invalid UTF-8, a byte order mark, duplicate keys after
 * folding in any object, unpaired surrogate escapes, nesting deeper than
 * {@link MAX_JSON_DEPTH}, and trailing bytes (Go accepts a trailing `}` or
 * `]`; we do not).
 *
 * @throws {BodyError} when the body is refused
 *
 * @example
 * ```ts
 * const bytes = new TextEncoder().encode('{"Image":"x","image":"y"}');
 * decodeEngineJson(bytes); // throws BodyError: duplicate key
 * ```
 */
export function decodeEngineJson(bytes: Uint8Array): unknown {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new BodyError("Cannot decode JSON body: byte order mark");
  }
  let text: string;
  try {
    text = UTF8_DECODER.decode(bytes);
  } catch {
    throw new BodyError("Cannot decode JSON body: invalid UTF-8");
  }
  new JsonScanner(text).scanDocument();
  try {
    return JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new BodyError(`Cannot decode JSON body: ${detail}`);
  }
}

/**
 * A strict JSON grammar walker that checks what `JSON.parse` cannot:
 * duplicate keys after folding, surrogates, depth. Linear in the input.
 */
class JsonScanner {
  #text: string;
  #at = 0;

  constructor(text: string) {
    this.#text = text;
  }

  scanDocument(): void {
    this.#skipSpace();
    this.#scanValue(0);
    this.#skipSpace();
    if (this.#at !== this.#text.length) {
      this.#fail("unexpected content after the JSON value");
    }
  }

  #fail(detail: string): never {
    throw new BodyError(
      `Cannot decode JSON body: ${detail} at offset ${this.#at}`,
    );
  }

  #skipSpace(): void {
    const text = this.#text;
    while (this.#at < text.length) {
      const c = text.charCodeAt(this.#at);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return;
      this.#at++;
    }
  }

  #scanValue(depth: number): void {
    const c = this.#text[this.#at];
    if (c === "{") return this.#scanObject(depth + 1);
    if (c === "[") return this.#scanArray(depth + 1);
    if (c === '"') return void this.#scanString();
    for (const word of ["true", "false", "null"]) {
      if (this.#text.startsWith(word, this.#at)) {
        this.#at += word.length;
        return;
      }
    }
    NUMBER_REGEXP.lastIndex = this.#at;
    if (NUMBER_REGEXP.test(this.#text)) {
      this.#at = NUMBER_REGEXP.lastIndex;
      return;
    }
    this.#fail("invalid value");
  }

  #scanObject(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.#fail("nesting too deep");
    this.#at++;
    const seen = new Set<string>();
    this.#skipSpace();
    if (this.#text[this.#at] === "}") {
      this.#at++;
      return;
    }
    for (;;) {
      if (this.#text[this.#at] !== '"') this.#fail("expected a key");
      const key = this.#scanString();
      const folded = foldKey(key);
      if (seen.has(folded)) {
        this.#fail(`duplicate key ${JSON.stringify(key)}`);
      }
      seen.add(folded);
      this.#skipSpace();
      if (this.#text[this.#at] !== ":") this.#fail("expected ':'");
      this.#at++;
      this.#skipSpace();
      this.#scanValue(depth);
      this.#skipSpace();
      const next = this.#text[this.#at++];
      if (next === "}") return;
      if (next !== ",") this.#fail("expected ',' or '}'");
      this.#skipSpace();
    }
  }

  #scanArray(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.#fail("nesting too deep");
    this.#at++;
    this.#skipSpace();
    if (this.#text[this.#at] === "]") {
      this.#at++;
      return;
    }
    for (;;) {
      this.#scanValue(depth);
      this.#skipSpace();
      const next = this.#text[this.#at++];
      if (next === "]") return;
      if (next !== ",") this.#fail("expected ',' or ']'");
      this.#skipSpace();
    }
  }

  /** Returns the decoded string; the cursor must be on the opening quote. */
  #scanString(): string {
    const text = this.#text;
    let out = "";
    let chunkStart = ++this.#at;
    for (;;) {
      if (this.#at >= text.length) this.#fail("unterminated string");
      const code = text.charCodeAt(this.#at);
      if (code === 0x22) {
        out += text.slice(chunkStart, this.#at++);
        return out;
      }
      if (code < 0x20) this.#fail("control character in string");
      if (code !== 0x5c) {
        this.#at++;
        continue;
      }
      out += text.slice(chunkStart, this.#at);
      out += this.#scanEscape();
      chunkStart = this.#at;
    }
  }

  #scanEscape(): string {
    const letter = this.#text[this.#at + 1] ?? "";
    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) {
      this.#at += 2;
      return simple;
    }
    if (letter !== "u") this.#fail("invalid escape");
    const unit = this.#readUnit(this.#at + 2);
    this.#at += 6;
    if (unit >= 0xdc00 && unit <= 0xdfff) this.#fail("unpaired surrogate");
    if (unit < 0xd800 || unit > 0xdbff) return String.fromCharCode(unit);
    // Go turns an unpaired surrogate into U+FFFD, so two different ones
    // would become the same key for the engine but not for us.
    if (this.#text.slice(this.#at, this.#at + 2) !== "\\u") {
      this.#fail("unpaired surrogate");
    }
    const low = this.#readUnit(this.#at + 2);
    if (low < 0xdc00 || low > 0xdfff) this.#fail("unpaired surrogate");
    this.#at += 6;
    return String.fromCharCode(unit, low);
  }

  #readUnit(from: number): number {
    const hex = this.#text.slice(from, from + 4);
    if (!HEX4_REGEXP.test(hex)) this.#fail("invalid \\u escape");
    return parseInt(hex, 16);
  }
}

/**
 * Rewrites the keys of known engine structs to their Go field names and
 * checks the types of the fields that policy reads, so that checks can
 * read `body.HostConfig.Privileged` and the engine later sees exactly
 * that spelling. Keys that match no known field are kept as they are (the
 * engine ignores them); map keys (labels, driver options) are never
 * touched. The input is not modified.
 *
 * @throws {BodyError} on a non-ASCII key where the engine expects a struct,
 * two keys naming the same field, or a value of the wrong JSON type
 *
 * @example
 * ```ts
 * canonicalizeKeys({ hostconfig: { privileged: true } }, CREATE_SCHEMA);
 * // { HostConfig: { Privileged: true } }
 * ```
 */
export function canonicalizeKeys(value: unknown, schema: JsonSchema): unknown {
  return canonicalizeAt(value, schema, "body");
}

function canonicalizeAt(
  value: unknown,
  schema: JsonSchema,
  path: string,
): unknown {
  if (value === null || schema.kind === "any") return value;
  switch (schema.kind) {
    case "string":
      if (typeof value !== "string") throw typeError(path, "string", value);
      return value;
    case "bool":
      if (typeof value !== "boolean") throw typeError(path, "boolean", value);
      return value;
    case "strslice":
      // Go's StrSlice accepts one string for a one-element list.
      if (typeof value === "string") return [value];
      return canonicalizeAt(value, { kind: "array", items: STRING_ITEM }, path);
    case "array":
      if (!Array.isArray(value)) throw typeError(path, "array", value);
      return value.map((item, index) =>
        canonicalizeAt(item, schema.items, `${path}[${index}]`)
      );
    case "map": {
      const object = asObject(value, path);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(object)) {
        const itemPath = `${path}[${JSON.stringify(key)}]`;
        defineEntry(out, key, canonicalizeAt(item, schema.values, itemPath));
      }
      return out;
    }
    case "struct": {
      const object = asObject(value, path);
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(object)) {
        if (NON_ASCII_REGEXP.test(key)) {
          throw new BodyError(
            `Cannot decode JSON body: non-ASCII key ${
              JSON.stringify(key)
            } in ${path}`,
          );
        }
        const field = schema.fieldsByFold.get(key.toLowerCase());
        const name = field ?? key;
        if (Object.hasOwn(out, name)) {
          throw new BodyError(
            `Cannot decode JSON body: two keys for ${path}.${name}`,
          );
        }
        const child = field === undefined ? ANY : schema.fields[field] ?? ANY;
        defineEntry(out, name, canonicalizeAt(item, child, `${path}.${name}`));
      }
      return out;
    }
  }
}

const ANY: JsonSchema = { kind: "any" };
const STRING_ITEM: JsonSchema = { kind: "string" };

function asObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw typeError(path, "object", value);
  }
  return value as Record<string, unknown>;
}

/**
 * Sets `key` on `target` as an ordinary own entry, the way `JSON.parse`
 * does: plain assignment would turn a `__proto__` key into a prototype
 * change.
 */
export function defineEntry(
  target: Record<string, unknown>,
  key: string,
  value: unknown,
): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function typeError(path: string, expected: string, value: unknown): BodyError {
  const actual = Array.isArray(value) ? "array" : typeof value;
  return new BodyError(
    `Cannot decode JSON body: ${path}: expected ${expected}, got ${actual}`,
  );
}
