/**
 * Property tests for the request-target canonicaliser: for any path, every
 * spelling that the engine would decode to the same path gets the same
 * canonical form and the same ACL decision, and every spelling that the
 * engine would route differently (dot-segments, encoded slashes, double
 * encoding) is refused.
 *
 * JSON key folding gets its properties with the body filters.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import {
  canonicalizeTarget,
  type CanonicalTarget,
  TargetError,
} from "../../src/policy/canonical_target.ts";
import {
  createEndpointAcl,
  type EndpointAcl,
} from "../../src/policy/endpoint_acl.ts";
import {
  ACTION_SWITCH_NAMES,
  type ActionSwitch,
  type Section,
  SECTIONS,
  WRITE_METHODS,
  type WriteMethod,
} from "../../src/policy/sections.ts";

const RUNS = { numRuns: 2000 };

/** Containers, images and exec open, POST allowed; the rest closed. */
const ACL: EndpointAcl = createEndpointAcl({
  sections: Object.fromEntries(
    SECTIONS.map((s) => [s, ["CONTAINERS", "IMAGES", "EXEC"].includes(s)]),
  ) as Record<Section, boolean>,
  methods: Object.fromEntries(
    WRITE_METHODS.map((m) => [m, m === "POST"]),
  ) as Record<WriteMethod, boolean>,
  actions: Object.fromEntries(
    ACTION_SWITCH_NAMES.map((a) => [a, false]),
  ) as Record<ActionSwitch, boolean>,
});

const METHODS = ["GET", "POST", "DELETE", "PUT", "HEAD"];

/** RFC 3986 unreserved characters: never need escaping. */
const UNRESERVED =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";

/** Other characters a path may hold raw (sub-delims, ":" and "@"). */
const RAW_PCHAR = "!$&'()*+,;=:@";

/** Characters that are only legal in a target when escaped. */
const MUST_ESCAPE = ' "#%<>?[\\]^`{|}\x7f\x00\x01\x1f';

/** Route templates, with `*` standing for one generated name segment. */
const TEMPLATES = [
  "/containers/json",
  "/containers/create",
  "/containers/*/json",
  "/containers/*/start",
  "/containers/*/archive",
  "/containers/*/attach",
  "/exec/*/start",
  "/images/*/json",
  "/images/*/*/push",
  "/volumes/create",
  "/networks/*",
  "/build",
  "/_ping",
];

const segmentChar = fc.constantFrom(...UNRESERVED, ...RAW_PCHAR);
const segment = fc.string({ unit: segmentChar, minLength: 1, maxLength: 12 })
  // "." and ".." are dot-segments, covered by their own property.
  .filter((text) => text !== "." && text !== "..");

const version = fc.option(
  fc.tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 999 }))
    .map(([major, minor]) => `/v${major}.${minor}`),
  { nil: "" },
);

/** A decoded path shaped like a Docker API route, maybe versioned. */
const decodedPath = fc.tuple(
  version,
  fc.constantFrom(...TEMPLATES),
  fc.array(segment, { minLength: 2, maxLength: 2 }),
).map(([prefix, template, names]) => {
  let index = 0;
  return prefix + template.replace(/\*/g, () => names[index++] ?? "x");
});

function escapeByte(byte: number, upper: boolean): string {
  const hex = byte.toString(16).padStart(2, "0");
  return "%" + (upper ? hex.toUpperCase() : hex);
}

/**
 * One spelling of `decoded`: each character raw or escaped as the choices
 * say ("/" always raw, characters that must be escaped always escaped).
 */
function spell(decoded: string, choices: boolean[]): string {
  let out = "";
  [...decoded].forEach((char, i) => {
    const choice = choices[i % Math.max(choices.length, 1)] ?? false;
    const code = char.charCodeAt(0);
    if (char === "/") out += char;
    else if (MUST_ESCAPE.includes(char) || code > 0x7e) {
      out += escapeByte(code, choice);
    } else if (choice) out += escapeByte(code, i % 2 === 0);
    else out += char;
  });
  return out;
}

type Outcome =
  | { accepted: true; target: CanonicalTarget; decision: string }
  | { accepted: false };

function outcome(method: string, target: string): Outcome {
  try {
    const canonical = canonicalizeTarget(target);
    const acl = ACL(method, canonical.routePath);
    return {
      accepted: true,
      target: canonical,
      decision: `${acl.allowed} ${acl.rule} ${acl.match?.route.id ?? "-"} ` +
        JSON.stringify(acl.match?.params ?? {}),
    };
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    return { accepted: false };
  }
}

Deno.test("every percent-encoding of a path gets the same canonical path and decision", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...METHODS),
      decodedPath,
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      fc.option(fc.constantFrom("all=1", "name=web&x=%41", "filters=%7B%7D")),
      (method, decoded, first, second, query) => {
        const suffix = query === null ? "" : `?${query}`;
        const a = outcome(method, spell(decoded, first) + suffix);
        const b = outcome(method, spell(decoded, second) + suffix);
        assert.deepEqual(a, b);
        const plain = outcome(method, decoded + suffix);
        assert.deepEqual(a, plain);
        if (a.accepted) assert.equal(a.target.path, decoded);
      },
    ),
    RUNS,
  );
});

Deno.test("the canonical path is a fixed point: forwarding it changes nothing", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...METHODS),
      decodedPath,
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      (method, decoded, choices) => {
        const first = outcome(method, spell(decoded, choices));
        if (!first.accepted) return;
        assert.deepEqual(outcome(method, first.target.path), first);
      },
    ),
    RUNS,
  );
});

/** "." or ".." in any mix of raw and escaped dots. */
const dotSegment = fc.tuple(
  fc.constantFrom(".", ".."),
  fc.array(fc.constantFrom("raw", "%2e", "%2E"), {
    minLength: 2,
    maxLength: 2,
  }),
).map(([dots, spellings]) =>
  [...dots].map((_, i) => {
    const how = spellings[i] ?? "raw";
    return how === "raw" ? "." : how;
  }).join("")
);

Deno.test("a path with a dot-segment is refused in every spelling", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...METHODS),
      decodedPath,
      dotSegment,
      fc.nat(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      (method, decoded, dots, at, choices) => {
        const segments = spell(decoded, choices).split("/");
        const where = 1 + (at % segments.length);
        segments.splice(where, 0, dots);
        const target = segments.join("/");
        assert.deepEqual(outcome(method, target), { accepted: false }, target);
      },
    ),
    RUNS,
  );
});

Deno.test("a path with an encoded slash, empty segment or double escape is refused", () => {
  const breakers = fc.constantFrom(
    "%2f",
    "%2F",
    "/",
    "%252f",
    "%2525",
    "%25",
    "%5c",
    "%5C",
    "%23",
    "%3f",
    "%00",
    "%c3%a4",
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...METHODS),
      decodedPath,
      breakers,
      fc.nat(),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
      (method, decoded, breaker, at, choices) => {
        const spelled = spell(decoded, choices);
        // Just after a "/", so a raw "/" makes an empty segment.
        const slashes = [...spelled.matchAll(/\//g)].map((m) => m.index);
        const cut = (slashes[at % slashes.length] ?? 0) + 1;
        const target = spelled.slice(0, cut) + breaker + spelled.slice(cut);
        assert.deepEqual(outcome(method, target), { accepted: false }, target);
      },
    ),
    RUNS,
  );
});

/** Go's `path.Clean` plus gorilla/mux's kept trailing slash. */
function muxCleanPath(path: string): string {
  const rooted = path.startsWith("/") ? path : "/" + path;
  const out: string[] = [];
  for (const part of rooted.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  let clean = "/" + out.join("/");
  if (rooted.endsWith("/") && clean !== "/") clean += "/";
  return clean;
}

/** Go's single percent-decoding of a request path; null where Go fails. */
function goPathUnescape(raw: string): string | null {
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return null;
  return raw.replace(
    /%([0-9A-Fa-f]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}

Deno.test("an accepted target is one the engine decodes to the same clean path", () => {
  const anyChar = fc.constantFrom(
    ...UNRESERVED,
    ...RAW_PCHAR,
    "/",
    "/",
    "%",
    "%2e",
    "%2f",
    "%41",
    "%25",
    "?",
    "#",
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...METHODS),
      fc.array(anyChar, { maxLength: 30 }).map((chars) => "/" + chars.join("")),
      (method, target) => {
        const result = outcome(method, target);
        if (!result.accepted) return;
        const rawPath = target.split("?")[0] ?? "";
        const engineView = goPathUnescape(rawPath);
        assert.equal(engineView, result.target.path, target);
        assert.equal(muxCleanPath(engineView), engineView, target);
        for (const char of result.target.path) {
          const code = char.charCodeAt(0);
          assert.ok(code > 0x20 && code < 0x7f, target);
          assert.ok(!"%\\#?".includes(char), target);
        }
      },
    ),
    RUNS,
  );
});
