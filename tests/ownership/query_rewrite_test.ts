import assert from "node:assert/strict";
import { BodyError } from "../../src/policy/filters/go_json.ts";
import {
  addOwnerFilter,
  addOwnerLabel,
  replaceQueryKeys,
} from "../../src/policy/ownership/query_rewrite.ts";

const OWNER = { name: "dockgate.owner", value: "a" };

const FILTER_CASES: [string | null, unknown][] = [
  [null, { label: { "dockgate.owner=a": true } }],
  ["", { label: { "dockgate.owner=a": true } }],
  ['{"label":["x=1"]}', { label: { "x=1": true, "dockgate.owner=a": true } }],
  ['{"label":{"x=1":false}}', {
    label: { "x=1": true, "dockgate.owner=a": true },
  }],
  ['{"status":{"running":true}}', {
    status: { running: true },
    label: { "dockgate.owner=a": true },
  }],
  // A client asking for another owner's label gets the intersection.
  ['{"label":{"dockgate.owner=b":true}}', {
    label: { "dockgate.owner=b": true, "dockgate.owner=a": true },
  }],
];

for (const [input, expected] of FILTER_CASES) {
  Deno.test(`addOwnerFilter(${JSON.stringify(input)}) adds the owner`, () => {
    assert.deepEqual(JSON.parse(addOwnerFilter(input, OWNER)), expected);
  });
}

const BAD_FILTERS = [
  "[]",
  '{"label":"x"}',
  '{"label":[1]}',
  '{"label":[],"Label":[]}',
  '{"label":[]} {}',
  "not json",
];

for (const input of BAD_FILTERS) {
  Deno.test(`addOwnerFilter() refuses ${JSON.stringify(input)}`, () => {
    assert.throws(() => addOwnerFilter(input, OWNER), BodyError);
  });
}

Deno.test("addOwnerLabel() overwrites the owner key and keeps the rest", () => {
  assert.deepEqual(
    JSON.parse(addOwnerLabel('{"dockgate.owner":"b","__proto__":"x"}', OWNER)),
    JSON.parse('{"dockgate.owner":"a","__proto__":"x"}'),
  );
  assert.deepEqual(JSON.parse(addOwnerLabel(null, OWNER)), {
    "dockgate.owner": "a",
  });
  assert.throws(() => addOwnerLabel('{"x":1}', OWNER), BodyError);
});

Deno.test("replaceQueryKeys() drops every spelling of a key and keeps other bytes", () => {
  assert.equal(
    replaceQueryKeys(
      "all=1&filters=a&%66ilters=b&filters&x=%2F&&",
      new Map([["filters", ['{"label":{"k=v":true}}']]]),
    ),
    "all=1&x=%2F&filters=%7B%22label%22%3A%7B%22k%3Dv%22%3Atrue%7D%7D",
  );
});
