import assert from "node:assert/strict";
import {
  canonicalizeTarget,
  type CanonicalTarget,
  TargetError,
} from "../../src/policy/canonical_target.ts";

const ACCEPTED: [string, CanonicalTarget][] = [
  ["/containers/json", {
    path: "/containers/json",
    routePath: "/containers/json",
    apiVersion: null,
    rawQuery: "",
  }],
  // The engine runs this as container create, so we must see it as such.
  ["/v1.41/%63ontainers/create?name=web", {
    path: "/v1.41/containers/create",
    routePath: "/containers/create",
    apiVersion: "1.41",
    rawQuery: "name=web",
  }],
  ["/v1.56/images/localhost:5000/a/b:1.0@sha256:ab/json?", {
    path: "/v1.56/images/localhost:5000/a/b:1.0@sha256:ab/json",
    routePath: "/images/localhost:5000/a/b:1.0@sha256:ab/json",
    apiVersion: "1.56",
    rawQuery: "",
  }],
  ["/v0.0/_ping", {
    path: "/v0.0/_ping",
    routePath: "/_ping",
    apiVersion: "0.0",
    rawQuery: "",
  }],
  ["/networks/", {
    path: "/networks/",
    routePath: "/networks/",
    apiVersion: null,
    rawQuery: "",
  }],
  ["/v1.44/networks/?filters=%7B%22name%22%3A%7B%22a+b%22%3Atrue%7D%7D", {
    path: "/v1.44/networks/",
    routePath: "/networks/",
    apiVersion: "1.44",
    rawQuery: "filters=%7B%22name%22%3A%7B%22a+b%22%3Atrue%7D%7D",
  }],
  // Not a version prefix for the engine either: it answers 404, and so will
  // the route table.
  ["/V1.41/containers/json", {
    path: "/V1.41/containers/json",
    routePath: "/V1.41/containers/json",
    apiVersion: null,
    rawQuery: "",
  }],
  ["/images/%5B::1%5D:5000/x/push?tag=%C3%A9", {
    path: "/images/[::1]:5000/x/push",
    routePath: "/images/[::1]:5000/x/push",
    apiVersion: null,
    rawQuery: "tag=%C3%A9",
  }],
];

for (const [target, expected] of ACCEPTED) {
  Deno.test(`canonicalizeTarget() accepts ${JSON.stringify(target)}`, () => {
    assert.deepEqual(canonicalizeTarget(target), expected);
  });
}

/** Each row: target, part of the expected message, what the row proves. */
const REJECTED: [string, string, string][] = [
  ["http://x/containers/create", "origin-form", "absolute-form"],
  ["x:2375", "origin-form", "authority-form"],
  ["*", "origin-form", "asterisk-form"],
  ["", "origin-form", "an empty target"],
  ["/v1.41/containers/x/%2e%2e/%2E%2E/build", '".."', "encoded dot-dot"],
  ["/containers/../build", '".."', "dot-dot"],
  ["/containers/./json", '".."', "a dot segment"],
  ["//containers/json", "empty", "a leading double slash"],
  ["/containers//json", "empty", "an inner double slash"],
  ["/containers/json/", "empty", "a trailing slash on an exact route"],
  ["/containers/x/", "empty", "a trailing slash on a {name:.*} route"],
  ["/", "empty", "the root path"],
  ["/v1.41/", "empty", "a version prefix alone with a slash"],
  ["/v1.41", "no endpoint", "a version prefix alone"],
  ["/a\\b", "backslash", "a raw backslash"],
  ["/a%5Cb", "backslash", "an encoded backslash"],
  ["/containers/abc#/x", "fragment", "a raw #"],
  ["/containers/abc%23/json", "fragment", "an encoded #"],
  ["/images/a%2Fb/json", 'encoded "/"', "an encoded slash"],
  ["/images/a%2fb/json", 'encoded "/"', "a lower-case encoded slash"],
  ["/images/a%252Fb/json", "double-encoded", "a double-encoded slash"],
  ["/%2563ontainers/json", "double-encoded", "a double-encoded letter"],
  ["/containers/a%3Fb/json", "query marker", "an encoded ?"],
  ["/containers/a%00/json", "control", "an encoded NUL"],
  ["/containers/a\x00/json", "control", "a raw NUL"],
  ["/containers/a%0A/json", "control", "an encoded newline"],
  ["/containers/a%7F/json", "control", "an encoded DEL"],
  ["/containers/caf%C3%A9/json", "non-ASCII", "encoded UTF-8"],
  ["/containers/café/json", "non-ASCII", "raw non-ASCII"],
  ["/containers/a%20b/json", "need escaping", "an encoded space"],
  ['/containers/a"b/json', "need escaping", "a raw quote"],
  ["/containers/a%/json", "bad percent escape", "a lone %"],
  ["/containers/a%4/json", "bad percent escape", "a short escape"],
  ["/containers/a%G1/json", "bad percent escape", "a non-hex escape"],
  ["/v1.045/containers/json", "MAJOR.MINOR", "a zero-padded minor"],
  ["/v01.41/containers/json", "MAJOR.MINOR", "a zero-padded major"],
  ["/v1.41.0/containers/json", "MAJOR.MINOR", "three version fields"],
  ["/v1..41/containers/json", "MAJOR.MINOR", "an empty version field"],
  ["/v1/containers/json", "MAJOR.MINOR", "a major-only version"],
  ["/v.41/containers/json", "MAJOR.MINOR", "a missing major"],
  ["/v1.4100/containers/json", "MAJOR.MINOR", "an overlong minor"],
  ["/containers/json?a=1;b=2", '";"', "a semicolon in the query"],
  ["/containers/json?a=%3", "invalid escape", "a bad query escape"],
  ["/containers/json?a=%FF", "UTF-8", "a query escape that is not UTF-8"],
  ["/containers/json?a=b#c", '"#"', "a # in the query"],
  ["/containers/json?a=b c", '" "', "a space in the query"],
  ["/containers/json?a=\x01", "\\u0001", "a control character in the query"],
  ["/containers/json?a=é", '"é"', "raw non-ASCII in the query"],
  ["/containers/json?" + "a=1&".repeat(1001), "limit is 1000", "many pairs"],
];

for (const [target, message, what] of REJECTED) {
  Deno.test(`canonicalizeTarget() rejects ${what}`, () => {
    assert.throws(() => canonicalizeTarget(target), targetError(message));
  });
}

Deno.test("canonicalizeTarget() quotes the offending target", () => {
  assert.throws(
    () => canonicalizeTarget("/images/a%2Fb/json"),
    targetError('"/images/a%2Fb/json"'),
  );
});

function targetError(fragment: string): (error: unknown) => boolean {
  return (error) =>
    error instanceof TargetError && error.message.includes(fragment);
}
