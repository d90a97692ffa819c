import assert from "node:assert/strict";
import type { CompiledProfile } from "../../src/profiles/compile_profile.ts";
import { parseCidr } from "../../src/profiles/cidr.ts";
import {
  chooseProfile,
  clientAddress,
  type Generation,
} from "../../src/profiles/profile_router.ts";
import type {
  ClientRule,
  ProfileSpec,
} from "../../src/profiles/profile_specs.ts";
import { createTokenMatcher } from "../../src/profiles/token_set.ts";

const CI_TOKEN = "ci-token-0123456789abcdef";
const OPS_TOKEN = "ops-token-0123456789abcdef";

function profile(name: string, tokens: string[]): CompiledProfile {
  return {
    spec: { name } as ProfileSpec,
    tokens: createTokenMatcher(tokens),
    fetch: () => Promise.reject(new Error("not served in this test")),
  };
}

const GENERATION: Generation = {
  profiles: new Map([
    ["ci", profile("ci", [CI_TOKEN])],
    ["ops", profile("ops", [OPS_TOKEN])],
    ["readonly", profile("readonly", [])],
  ]),
  rules: new Map(),
};

const TCP_RULES: ClientRule[] = [
  { cidrs: [parseCidr("10.0.0.0/8")], profile: "ops" },
  { cidrs: [parseCidr("127.0.0.0/8"), parseCidr("::1")], profile: "ci" },
  { cidrs: [parseCidr("192.168.0.0/16")], profile: "readonly" },
];

/** [client, headers, chosen profile or the refusing rule] */
const CASES: [string, [string, string][], string][] = [
  ["127.0.0.1:40000", [["X-Dockgate-Token", CI_TOKEN]], "ci"],
  ["[::1]:40000", [["Authorization", `Bearer ${CI_TOKEN}`]], "ci"],
  ["::1:40000", [["Authorization", `Bearer ${CI_TOKEN}`]], "ci"],
  ["127.0.0.1:40000", [], "listener.no_profile"],
  [
    "127.0.0.1:40000",
    [["X-Dockgate-Token", "wrong-token-0123456789"]],
    "listener.no_profile",
  ],
  // The right token from the wrong range is refused.
  ["127.0.0.1:40000", [["X-Dockgate-Token", OPS_TOKEN]], "listener.no_profile"],
  ["10.1.2.3:5000", [["X-Dockgate-Token", OPS_TOKEN]], "ops"],
  ["10.1.2.3:5000", [["X-Dockgate-Token", CI_TOKEN]], "listener.no_profile"],
  // A profile without tokens takes its range with or without one.
  ["192.168.4.5:5000", [], "readonly"],
  ["192.168.4.5:5000", [["X-Dockgate-Token", CI_TOKEN]], "readonly"],
  ["203.0.113.7:5000", [], "listener.no_profile"],
  ["127.0.0.1:40000", [
    ["X-Dockgate-Token", CI_TOKEN],
    ["X-Dockgate-Token", CI_TOKEN],
  ], "listener.token"],
];

for (const [client, headers, expected] of CASES) {
  Deno.test(
    `chooseProfile() for ${client} with ${
      headers.map(([name]) => name).join(", ") || "no token"
    } gives ${expected}`,
    () => {
      const choice = chooseProfile(GENERATION, TCP_RULES, {
        client,
        head: { method: "GET", target: "/_ping", version: "HTTP/1.1", headers },
      } as never);
      assert.equal(
        choice.ok ? choice.profile.spec.name : choice.rule,
        expected,
      );
    },
  );
}

Deno.test("chooseProfile() on a socket skips address rules and keeps the rest", () => {
  const rules: ClientRule[] = [
    { cidrs: [parseCidr("0.0.0.0/0")], profile: "readonly" },
    { cidrs: null, profile: "ci" },
  ];
  const chosen = chooseProfile(GENERATION, rules, {
    client: "unix:/run/dockgate.sock",
    head: {
      method: "GET",
      target: "/_ping",
      version: "HTTP/1.1",
      headers: [["X-Dockgate-Token", CI_TOKEN]],
    },
  } as never);
  assert.equal(chosen.ok && chosen.profile.spec.name, "ci");
});

Deno.test("clientAddress() reads IPv4, IPv6 and socket clients", () => {
  assert.deepEqual(clientAddress("10.0.0.1:2375"), [10, 0, 0, 1]);
  assert.equal(clientAddress("::1:2375")?.length, 16);
  assert.equal(clientAddress("unix:/run/x.sock"), null);
});
