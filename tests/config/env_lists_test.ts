import { deepStrictEqual } from "node:assert/strict";
import { parseEnvLabels, parseEnvList } from "../../src/config/env_lists.ts";

const LISTS: [string, string[]][] = [
  ["a,b,c", ["a", "b", "c"]],
  ["  a  ,  b  ", ["a", "b"]],
  [",,a,,", ["a"]],
  ["a\\,b", ["a,b"]],
  ["a\\\\,b", ["a\\,b"]],
  ["^x\\.y$", ["^x\\.y$"]],
  ["(a|b)\\,c,d", ["(a|b),c", "d"]],
  ['["a,b", " c "]', ["a,b", " c "]],
];

for (const [text, items] of LISTS) {
  Deno.test(`parseEnvList() reads ${JSON.stringify(text)}`, () => {
    deepStrictEqual(parseEnvList(text), { ok: true, value: items });
  });
}

for (const text of ["[", "[1]", '["a", null]', "[a-z]"]) {
  Deno.test(`parseEnvList() rejects ${JSON.stringify(text)}`, () => {
    deepStrictEqual(parseEnvList(text).ok, false);
  });
}

Deno.test("parseEnvLabels() keeps = inside values and escaped commas", () => {
  deepStrictEqual(parseEnvLabels("a=b=c, d = x\\,y"), {
    ok: true,
    value: { a: "b=c", d: "x,y" },
  });
});

Deno.test("parseEnvLabels() keeps __proto__ as an ordinary label", () => {
  const parsed = parseEnvLabels("__proto__=x");
  deepStrictEqual(parsed.ok && Object.keys(parsed.value), ["__proto__"]);
});
