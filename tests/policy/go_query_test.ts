import assert from "node:assert/strict";
import { goBoolValue, parseGoQuery } from "../../src/policy/go_query.ts";

Deno.test("parseGoQuery() get() returns the first value like FormValue", () => {
  const query = parseGoQuery("networkmode=default&networkmode=host");
  assert.equal(query.get("networkmode"), "default");
  assert.deepEqual(query.getAll("networkmode"), ["default", "host"]);
});

/** Each row: raw query, key, expected getAll(key). */
const VALUE_CASES: [string, string, string[]][] = [
  ["a=1&b=2", "b", ["2"]],
  ["a=x+y", "a", ["x y"]],
  ["a=x%2By", "a", ["x+y"]],
  ["a%2Bb=1", "a+b", ["1"]],
  ["a+b=1", "a b", ["1"]],
  ["force", "force", [""]],
  ["force=", "force", [""]],
  ["=v", "", ["v"]],
  ["a=b=c", "a", ["b=c"]],
  ["&&a=1&&", "a", ["1"]],
  ["t=a&x=1&t=b", "t", ["a", "b"]],
  ["label=caf%C3%A9", "label", ["café"]],
  ["f=%7B%22a%22%3A1%7D", "f", ['{"a":1}']],
  ["A=1", "a", []],
  ["", "a", []],
];

for (const [raw, key, expected] of VALUE_CASES) {
  const name = `parseGoQuery(${JSON.stringify(raw)}) reads ${key} as Go does`;
  Deno.test(name, () => {
    assert.deepEqual(parseGoQuery(raw).getAll(key), expected);
  });
}

Deno.test("parseGoQuery() reports presence and keys in order", () => {
  const query = parseGoQuery("b=1&force&a=2&b=3");
  assert.equal(query.has("force"), true);
  assert.equal(query.has("all"), false);
  assert.equal(query.get("all"), null);
  assert.deepEqual(query.keys(), ["b", "force", "a"]);
});

Deno.test("parseGoQuery() getAll() returns a copy", () => {
  const query = parseGoQuery("t=a");
  query.getAll("t").push("b");
  assert.deepEqual(query.getAll("t"), ["a"]);
});

/** Each row: raw query that Go would partly drop, what it proves. */
const REFUSED: [string, string][] = [
  ["networkmode=default;x&networkmode=host", "a semicolon pair"],
  ["a=%zz", "a malformed escape"],
  ["a=%4", "a truncated escape"],
  ["a=%FF", "an escape that is not UTF-8"],
  ["a=\u00e9", "a raw non-ASCII character"],
];

for (const [raw, what] of REFUSED) {
  Deno.test(`parseGoQuery() throws on ${what} instead of dropping it`, () => {
    assert.throws(() => parseGoQuery(raw), URIError);
  });
}

/** Each row: value, what the engine's BoolValue returns. */
const BOOL_CASES: [string | null, boolean][] = [
  [null, false],
  ["", false],
  ["0", false],
  ["no", false],
  ["false", false],
  ["none", false],
  ["FALSE", false],
  ["No", false],
  [" none\t", false],
  ["\u0085no\u3000", false],
  ["\u00a0false\u2028", false],
  ["1", true],
  ["true", true],
  ["yes", true],
  ["off", true],
  ["nope", true],
  ["2", true],
  ["00", true],
  ["n o", true],
  // Go's TrimSpace keeps U+FEFF, which JavaScript's trim() would remove.
  ["\ufeffno", true],
  ["\u200bfalse", true],
];

for (const [value, expected] of BOOL_CASES) {
  Deno.test(`goBoolValue(${JSON.stringify(value)}) is ${expected}`, () => {
    assert.equal(goBoolValue(value), expected);
  });
}

Deno.test("goBoolValue() reads a bare ?force as false", () => {
  assert.equal(goBoolValue(parseGoQuery("force").get("force")), false);
  assert.equal(goBoolValue(parseGoQuery("force=off").get("force")), true);
});
