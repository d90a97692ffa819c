import assert from "node:assert/strict";
import {
  cidrContains,
  parseCidr,
  parseIpAddress,
} from "../../src/profiles/cidr.ts";

const CONTAINS_CASES: [string, string, boolean][] = [
  ["10.0.0.0/8", "10.200.3.4", true],
  ["10.0.0.0/8", "11.0.0.1", false],
  ["192.168.1.0/24", "192.168.1.255", true],
  ["192.168.1.0/24", "192.168.2.0", false],
  ["192.168.1.128/25", "192.168.1.127", false],
  ["192.168.1.128/25", "192.168.1.200", true],
  ["127.0.0.1", "127.0.0.1", true],
  ["127.0.0.1", "127.0.0.2", false],
  ["0.0.0.0/0", "203.0.113.9", true],
  ["0.0.0.0/0", "::1", false],
  ["::1", "::1", true],
  ["::1/128", "::2", false],
  ["fd00::/8", "fd12:3456::1", true],
  ["fd00::/8", "fe80::1", false],
  ["2001:db8::/32", "2001:db8:ffff::1", true],
  // An IPv4 client on an IPv6 socket is matched as the IPv4 address.
  ["127.0.0.0/8", "::ffff:127.0.0.1", true],
  ["10.0.0.0/8", "[::ffff:10.1.2.3]", true],
  ["::/0", "::ffff:10.1.2.3", false],
];

for (const [range, address, expected] of CONTAINS_CASES) {
  Deno.test(`cidrContains("${range}", "${address}") is ${expected}`, () => {
    const bytes = parseIpAddress(address);
    assert.ok(bytes !== null);
    assert.equal(cidrContains(parseCidr(range), bytes), expected);
  });
}

const INVALID_RANGES = [
  "",
  "10.0.0.0/33",
  "::/129",
  "10.0.0/8",
  "010.0.0.0/8",
  "256.0.0.0",
  "10.0.0.0/",
  "10.0.0.0/-1",
  "1::2::3",
  "example.com",
  "1:2:3:4:5:6:7:8:9",
];

for (const range of INVALID_RANGES) {
  Deno.test(`parseCidr() rejects ${JSON.stringify(range)}`, () => {
    assert.throws(() => parseCidr(range), RangeError);
  });
}

Deno.test("parseIpAddress() reads zones, brackets and embedded IPv4", () => {
  assert.deepEqual(parseIpAddress("fe80::1%eth0")?.length, 16);
  assert.deepEqual(parseIpAddress("[::1]"), [...new Array(15).fill(0), 1]);
  assert.deepEqual(parseIpAddress("64:ff9b::192.0.2.1")?.slice(12), [
    192,
    0,
    2,
    1,
  ]);
  assert.equal(parseIpAddress("unix"), null);
});
