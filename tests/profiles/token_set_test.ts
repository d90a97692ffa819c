import assert from "node:assert/strict";
import {
  createTokenMatcher,
  presentedToken,
} from "../../src/profiles/token_set.ts";

const TOKEN = "s3cret-token-0123456789";

Deno.test("createTokenMatcher() accepts only the exact tokens", () => {
  const matcher = createTokenMatcher([TOKEN, "another-token-abcdefgh"]);
  assert.equal(matcher.size, 2);
  assert.ok(matcher.matches(TOKEN));
  assert.ok(matcher.matches("another-token-abcdefgh"));
  for (
    const guess of ["", TOKEN.slice(0, -1), `${TOKEN}x`, TOKEN.toUpperCase()]
  ) {
    assert.equal(matcher.matches(guess), false, guess);
  }
  assert.equal(createTokenMatcher([]).matches(TOKEN), false);
});

const PRESENTED_CASES: [
  string,
  [string, string][],
  string | null | "refused",
][] = [
  ["no header", [["Host", "docker"]], null],
  ["a bearer token", [["Authorization", `Bearer ${TOKEN}`]], TOKEN],
  [
    "a bearer token in any case",
    [["authorization", `bearer  ${TOKEN} `]],
    TOKEN,
  ],
  ["the dockgate header", [["X-Dockgate-Token", TOKEN]], TOKEN],
  ["both headers with the same token", [
    ["Authorization", `Bearer ${TOKEN}`],
    ["X-Dockgate-Token", TOKEN],
  ], TOKEN],
  ["both headers with different tokens", [
    ["Authorization", `Bearer ${TOKEN}`],
    ["X-Dockgate-Token", "other-token-0123456789"],
  ], "refused"],
  ["a repeated header", [
    ["X-Dockgate-Token", TOKEN],
    ["x-dockgate-token", TOKEN],
  ], "refused"],
  [
    "basic authentication",
    [["Authorization", "Basic dXNlcjpwYXNz"]],
    "refused",
  ],
  ["an empty dockgate header", [["X-Dockgate-Token", " "]], "refused"],
];

for (const [what, headers, expected] of PRESENTED_CASES) {
  Deno.test(`presentedToken() with ${what}`, () => {
    const presented = presentedToken(headers);
    if (expected === "refused") {
      assert.equal(presented.ok, false);
    } else {
      assert.deepEqual(presented, { ok: true, token: expected });
    }
  });
}
