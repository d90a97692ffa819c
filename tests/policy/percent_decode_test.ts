import assert from "node:assert/strict";
import { percentDecode } from "../../src/policy/percent_decode.ts";

/** Each row: input, plusAsSpace, expected output. */
const DECODED: [string, boolean, string][] = [
  ["%63ontainers", false, "containers"],
  ["a+b", false, "a+b"],
  ["a+b", true, "a b"],
  ["a%2Bb", true, "a+b"],
  ["%252F", false, "%2F"],
  ["caf%C3%A9", false, "café"],
  // A BOM stays visible instead of being swallowed by the decoder.
  ["%EF%BB%BFx", false, "\ufeffx"],
  ["", false, ""],
];

for (const [input, plusAsSpace, expected] of DECODED) {
  Deno.test(`percentDecode(${JSON.stringify(input)}) decodes once`, () => {
    assert.equal(percentDecode(input, { plusAsSpace }), expected);
  });
}

/** Each row: input that must not decode, what it proves. */
const REFUSED: [string, string][] = [
  ["%", "a lone %"],
  ["%4", "a truncated escape"],
  ["%zz", "a non-hex escape"],
  ["%C3", "a truncated UTF-8 sequence"],
  ["%C0%AF", "an overlong UTF-8 slash"],
  ["%ED%A0%80", "a UTF-8 surrogate"],
  ["a\nb", "a raw control character"],
  ["é", "a raw non-ASCII character"],
];

for (const [input, what] of REFUSED) {
  Deno.test(`percentDecode() rejects ${what}`, () => {
    assert.throws(() => percentDecode(input), URIError);
  });
}
