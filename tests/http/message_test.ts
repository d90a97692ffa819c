import assert from "node:assert/strict";
import {
  type BodyFraming,
  headerTokens,
  HttpError,
  parseRequestHead,
  parseResponseHead,
  requestFraming,
  type RequestHead,
  responseFraming,
  serializeHead,
  singleHeader,
} from "../../src/http/message.ts";
import {
  canonicalizeTarget,
  TargetError,
} from "../../src/policy/canonical_target.ts";

/** Head text (without the final blank line) to bytes, one char a byte. */
function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function parse(text: string, maxHeaders = 100): RequestHead {
  return parseRequestHead(bytes(text), maxHeaders);
}

function httpStatus(fn: () => unknown): number {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    throw error;
  }
  return 0;
}

const LINE = "POST /containers/create HTTP/1.1";

/** Heads the parser must refuse, with the status it must answer. */
const REFUSED_HEADS: Array<[what: string, head: string, status: number]> = [
  ["obs-fold with a space", `${LINE}\r\nX-A: 1\r\n 2`, 400],
  ["obs-fold with a tab", `${LINE}\r\nX-A: 1\r\n\t2`, 400],
  ["a folded first field line", `${LINE}\r\n Host: x`, 400],
  ["a bare LF between fields", `${LINE}\r\nX-A: 1\nX-B: 2`, 400],
  ["a bare CR between fields", `${LINE}\r\nX-A: 1\rX-B: 2`, 400],
  ["a bare LF ending the request line", `${LINE}\nHost: x`, 400],
  ["a bare CR in the request line", "GET /\r HTTP/1.1", 400],
  ["a space before the colon", `${LINE}\r\nHost : x`, 400],
  ["an empty header name", `${LINE}\r\n: x`, 400],
  ["a field line without a colon", `${LINE}\r\nHost x`, 400],
  ["a header name with a slash", `${LINE}\r\nX/Y: 1`, 400],
  ["a header name with a non-ASCII byte", `${LINE}\r\nX-\xe4: 1`, 400],
  ["a header name with a NUL", `${LINE}\r\nX-\0: 1`, 400],
  ["a NUL in a value", `${LINE}\r\nX-A: a\0b`, 400],
  ["a DEL in a value", `${LINE}\r\nX-A: a\x7fb`, 400],
  ["a control character in a value", `${LINE}\r\nX-A: a\x01b`, 400],
  ["an empty field line", `${LINE}\r\n\r\nHost: x`, 400],
  ["two spaces after the method", "GET  / HTTP/1.1", 400],
  ["a tab as separator", "GET\t/ HTTP/1.1", 400],
  ["a trailing space after the version", "GET / HTTP/1.1 ", 400],
  ["no version", "GET /", 400],
  ["an empty request line", "", 400],
  ["a leading empty line", "\r\nGET / HTTP/1.1", 400],
  ["a method with a non-token char", "GE(T / HTTP/1.1", 400],
  ["a target with a non-ASCII byte", "GET /\xe4 HTTP/1.1", 400],
  ["a lower-case protocol name", "GET / http/1.1", 400],
  ["a version with two digits", "GET / HTTP/1.10", 400],
  ["a version with letters", "GET / HTTP/1.x", 400],
  ["HTTP/1.2", "GET / HTTP/1.2", 400],
  ["HTTP/2.0", "GET / HTTP/2.0", 400],
  ["HTTP/0.9", "GET / HTTP/0.9", 400],
  ["the HTTP/2 preface", "PRI * HTTP/2.0", 400],
];

for (const [what, head, status] of REFUSED_HEADS) {
  Deno.test(`parseRequestHead() refuses ${what} with ${status}`, () => {
    assert.equal(httpStatus(() => parse(head)), status);
  });
}

Deno.test("parseRequestHead() keeps fields in order, trims OWS only", () => {
  const head = parse(
    "GET /v1.41/containers/json?all=1 HTTP/1.0\r\nHost: docker\r\n" +
      "X-Empty:\r\nX-Spaces: \t a  b \t\r\nX-Obs: caf\xe9",
  );
  assert.deepEqual(head, {
    method: "GET",
    target: "/v1.41/containers/json?all=1",
    version: "HTTP/1.0",
    headers: [
      ["Host", "docker"],
      ["X-Empty", ""],
      ["X-Spaces", "a  b"],
      ["X-Obs", "caf\xe9"],
    ],
  });
});

Deno.test("parseRequestHead() leaves absolute-form to the target check", () => {
  // The head is well formed; canonicalizeTarget refuses the target later.
  for (const target of ["http://x/_ping", "*", "docker:2375"]) {
    const head = parse(`GET ${target} HTTP/1.1`);
    assert.equal(head.target, target);
    assert.throws(() => canonicalizeTarget(head.target), TargetError);
  }
});

Deno.test("parseRequestHead() counts header fields against the limit", () => {
  const fields = Array.from({ length: 5 }, (_, i) => `X-${i}: 1`);
  const head = `GET / HTTP/1.1\r\n${fields.join("\r\n")}`;
  assert.equal(parse(head, 5).headers.length, 5);
  assert.equal(httpStatus(() => parse(head, 4)), 431);
});

/** Framing headers and what the request body framing must be. */
const FRAMING: Array<[string, string, BodyFraming | number]> = [
  ["no framing header", "", { kind: "none" }],
  ["Content-Length: 0", "Content-Length: 0", { kind: "none" }],
  ["Content-Length: 12", "Content-Length: 12", { kind: "length", length: 12 }],
  ["leading zeros", "Content-Length: 007", { kind: "length", length: 7 }],
  ["chunked", "Transfer-Encoding: chunked", { kind: "chunked" }],
  ["chunked in capitals", "Transfer-Encoding: CHUNKED", { kind: "chunked" }],
  ["CL and TE", "Content-Length: 3\r\nTransfer-Encoding: chunked", 400],
  ["TE and CL: 0", "Transfer-Encoding: chunked\r\nContent-Length: 0", 400],
  ["repeated equal CL", "Content-Length: 3\r\nContent-Length: 3", 400],
  ["repeated different CL", "Content-Length: 3\r\nContent-Length: 4", 400],
  ["a CL list", "Content-Length: 3, 3", 400],
  ["a signed CL", "Content-Length: +3", 400],
  ["a negative CL", "Content-Length: -3", 400],
  ["a hex CL", "Content-Length: 0x3", 400],
  ["a fractional CL", "Content-Length: 3.0", 400],
  ["an empty CL", "Content-Length:", 400],
  ["a 16-digit CL", "Content-Length: 1234567890123456", 400],
  ["TE identity", "Transfer-Encoding: identity", 400],
  ["TE gzip", "Transfer-Encoding: gzip", 400],
  ["TE gzip, chunked", "Transfer-Encoding: gzip, chunked", 400],
  ["TE chunked, chunked", "Transfer-Encoding: chunked, chunked", 400],
  ["TE twice", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked", 400],
  ["an empty TE", "Transfer-Encoding:", 400],
  ["TE with a parameter", "Transfer-Encoding: chunked;q=1", 400],
];

for (const [what, fields, expected] of FRAMING) {
  const verdict = typeof expected === "number" ? `${expected}` : expected.kind;
  Deno.test(`requestFraming() answers ${verdict} for ${what}`, () => {
    const text = `POST / HTTP/1.1${fields ? "\r\n" + fields : ""}`;
    const head = parse(text);
    if (typeof expected === "number") {
      assert.equal(httpStatus(() => requestFraming(head)), expected);
    } else {
      assert.deepEqual(requestFraming(head), expected);
    }
  });
}

Deno.test("requestFraming() refuses a chunked body on HTTP/1.0", () => {
  const head = parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked");
  assert.equal(httpStatus(() => requestFraming(head)), 400);
});

Deno.test("parseResponseHead() reads status, reason and fields", () => {
  const head = parseResponseHead(
    bytes("HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp"),
  );
  assert.equal(head.status, 101);
  assert.equal(head.reason, "UPGRADED");
  assert.deepEqual(headerTokens(head.headers, "connection"), ["upgrade"]);
});

Deno.test("parseResponseHead() answers 502 for a malformed status line", () => {
  for (const line of ["HTTP/1.1 2000 OK", "HTTP/2 200", "200 OK", ""]) {
    assert.equal(
      httpStatus(() => parseResponseHead(bytes(line))),
      502,
      JSON.stringify(line),
    );
  }
});

const RESPONSE_FRAMING: Array<
  [string, string, string, BodyFraming | number]
> = [
  ["a HEAD answer", "HEAD", "200 OK\r\nContent-Length: 9", { kind: "none" }],
  ["a 204", "DELETE", "204 No Content", { kind: "none" }],
  ["a 304", "GET", "304 Not Modified\r\nContent-Length: 9", { kind: "none" }],
  ["a 101", "POST", "101 UPGRADED", { kind: "none" }],
  ["a length", "GET", "200 OK\r\nContent-Length: 9", {
    kind: "length",
    length: 9,
  }],
  [
    "equal repeated lengths",
    "GET",
    "200 OK\r\nContent-Length: 9\r\n" +
    "Content-Length: 9",
    { kind: "length", length: 9 },
  ],
  [
    "different lengths",
    "GET",
    "200 OK\r\nContent-Length: 9\r\n" +
    "Content-Length: 8",
    502,
  ],
  ["a malformed length", "GET", "200 OK\r\nContent-Length: nine", 502],
  ["chunked", "GET", "200 OK\r\nTransfer-Encoding: chunked", {
    kind: "chunked",
  }],
  [
    "chunked beside a length",
    "GET",
    "200 OK\r\nContent-Length: 9\r\n" +
    "Transfer-Encoding: chunked",
    { kind: "chunked" },
  ],
  ["gzip without chunked", "GET", "200 OK\r\nTransfer-Encoding: gzip", {
    kind: "close",
  }],
  ["no framing at all", "GET", "200 OK", { kind: "close" }],
];

for (const [what, method, text, expected] of RESPONSE_FRAMING) {
  Deno.test(`responseFraming() handles ${what}`, () => {
    const head = parseResponseHead(bytes(`HTTP/1.1 ${text}`));
    if (typeof expected === "number") {
      assert.equal(httpStatus(() => responseFraming(head, method)), expected);
    } else {
      assert.deepEqual(responseFraming(head, method), expected);
    }
  });
}

Deno.test("singleHeader() refuses a repeated header, any spelling", () => {
  const head = parse("GET / HTTP/1.1\r\nUpgrade: tcp\r\nUPGRADE: h2c");
  assert.equal(httpStatus(() => singleHeader(head.headers, "upgrade")), 400);
  assert.equal(singleHeader(head.headers, "host"), null);
});

Deno.test("serializeHead() writes what parseRequestHead() reads back", () => {
  const headers: Array<[string, string]> = [["Host", "docker"], [
    "X",
    "caf\xe9",
  ]];
  const wire = serializeHead("GET /_ping HTTP/1.1", headers);
  const text = String.fromCharCode(...wire);
  assert.ok(text.endsWith("\r\n\r\n"));
  assert.deepEqual(
    parseRequestHead(wire.subarray(0, wire.length - 4), 10).headers,
    headers,
  );
});

Deno.test("parseRequestHead() decodes obs-text one byte to one char, not as windows-1252", () => {
  // 0x80-0x9f are where windows-1252 (WHATWG's "latin1") differs.
  const head = parse(
    "GET / HTTP/1.1\r\nX-A: \x80\x93\x9f\xa0\xe9\xff\r\nX-B: ok",
  );
  assert.deepEqual(head.headers, [["X-A", "\x80\x93\x9f\xa0\xe9\xff"], [
    "X-B",
    "ok",
  ]]);
});
