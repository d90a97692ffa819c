/**
 * Client address ranges for TCP listeners: `10.0.0.0/8`, `::1/128`, or a
 * bare address for one host. IPv4 clients that reach an IPv6 socket arrive
 * as `::ffff:a.b.c.d`; they are matched as the IPv4 address they are, so a
 * rule written for `127.0.0.1` holds whichever socket the client used.
 *
 * @module
 */

/** A parsed range: the network's bytes and how many leading bits count. */
export interface Cidr {
  /** The range as written, for messages and logs. */
  readonly source: string;
  readonly bytes: readonly number[];
  readonly prefix: number;
}

const IPV4_REGEXP = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP_REGEXP = /^[0-9a-f]{1,4}$/i;
const PREFIX_REGEXP = /^\d{1,3}$/;
const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function parseIpv4(text: string): number[] | null {
  const match = IPV4_REGEXP.exec(text);
  if (match === null) return null;
  const parts = match.slice(1).map(Number);
  if (parts.some((part) => part > 255)) return null;
  // Leading zeros read as octal in some tools: refuse rather than guess.
  if (match.slice(1).some((part) => part.length > 1 && part[0] === "0")) {
    return null;
  }
  return parts;
}

function parseIpv6(text: string): number[] | null {
  let rest = text;
  let tail: number[] = [];
  const lastColon = rest.lastIndexOf(":");
  const v4 = lastColon >= 0 ? parseIpv4(rest.slice(lastColon + 1)) : null;
  if (v4 !== null) {
    tail = [...v4];
    rest = rest.slice(0, lastColon + 1) + "0:0";
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const groupsOf = (half: string | undefined): number[] | null => {
    if (half === undefined || half === "") return [];
    const groups = half.split(":");
    if (!groups.every((group) => HEX_GROUP_REGEXP.test(group))) return null;
    return groups.map((group) => parseInt(group, 16));
  };
  const head = groupsOf(halves[0]);
  const back = groupsOf(halves[1]);
  if (head === null || back === null) return null;
  const missing = 8 - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...new Array(missing).fill(0), ...back];
  const bytes = groups.flatMap((group) => [group >> 8, group & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

/**
 * The bytes of an IPv4 or IPv6 address (brackets and a `%zone` allowed),
 * with IPv4-mapped IPv6 addresses turned into IPv4; null when `text` is
 * not an address.
 */
export function parseIpAddress(text: string): number[] | null {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const v4 = parseIpv4(bare);
  if (v4 !== null) return v4;
  if (!bare.includes(":")) return null;
  const v6 = parseIpv6(bare);
  if (v6 === null) return null;
  const mapped = MAPPED_PREFIX.every((byte, index) => v6[index] === byte);
  return mapped ? v6.slice(12) : v6;
}

/**
 * Parses `address/prefix` or a bare address (the whole address counts).
 *
 * @throws {RangeError} naming the text when it is not a range
 */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseIpAddress(address.trim());
  const prefixText = slash < 0 ? null : text.slice(slash + 1).trim();
  if (bytes === null) {
    throw new RangeError(`not an IP address range: ${JSON.stringify(text)}`);
  }
  const bits = bytes.length * 8;
  if (prefixText !== null && !PREFIX_REGEXP.test(prefixText)) {
    throw new RangeError(`not an IP address range: ${JSON.stringify(text)}`);
  }
  const prefix = prefixText === null ? bits : Number(prefixText);
  if (prefix > bits) {
    throw new RangeError(
      `prefix longer than the address in ${JSON.stringify(text)}: ${prefix}`,
    );
  }
  return { source: text.trim(), bytes, prefix };
}

/** True when `address` (already parsed) lies inside `cidr`. */
export function cidrContains(
  cidr: Cidr,
  address: readonly number[],
): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bits = cidr.prefix;
  for (let index = 0; bits > 0; index++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((address[index] ?? 0) & mask) !== ((cidr.bytes[index] ?? 0) & mask)) {
      return false;
    }
  }
  return true;
}
