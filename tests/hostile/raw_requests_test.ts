/**
 * The raw-request corpus: hostile and broken requests written as bytes to
 * a running dockgate in front of a real private engine. Each case states
 * the answers expected, whether dockgate must close the connection, and
 * the engine's containers, volumes and networks are compared before and
 * after: every request that could be smuggled past the framing would have
 * created something.
 */

import assert from "node:assert/strict";
import { integrationSkipped } from "../support/engine.ts";
import { withDockgate } from "../support/integration.ts";
import { assertEngineUnchanged } from "./_engine_state.ts";
import {
  chunked,
  jsonRequest,
  rawExchange,
  type RawResult,
  request,
  statusesOf,
} from "./_raw_http.ts";

/** Containers and exec open; volumes, networks and builds are not. */
const GATE_ENV = { CONTAINERS: "1", POST: "1", EXEC: "1" };

const CREATE_BODY = JSON.stringify({ Image: "tiny:1", Cmd: ["true"] });

/** Would create a volume (denied by policy, so only smuggling creates it). */
const SMUGGLED_VOLUME = jsonRequest("POST", "/volumes/create", {
  Name: "dg-smuggled",
});

/** Would create a container (allowed by policy if judged on its own). */
const SMUGGLED_CONTAINER = jsonRequest(
  "POST",
  "/containers/create?name=dg-smuggled",
  { Image: "tiny:1", Cmd: ["true"] },
);

const SMUGGLED = SMUGGLED_VOLUME + SMUGGLED_CONTAINER;

/** One request in the corpus. */
interface RawCase {
  name: string;
  bytes: string;
  /** Statuses of the answers, in order; nothing else may arrive. */
  statuses: number[];
  /** True when dockgate must close the connection after the answers. */
  closes: boolean;
  /** HTTP methods of the answered requests, for HEAD. */
  methods?: string[];
}

/** A container create with the given framing headers and body bytes. */
function outerCreate(framing: string, body: string, version = "HTTP/1.1") {
  return `POST /containers/create?name=dg-outer ${version}\r\n` +
    "Host: dockgate\r\nContent-Type: application/json\r\n" +
    framing + "\r\n" + body + SMUGGLED;
}

function refused(name: string, bytes: string, status = 400): RawCase {
  return { name, bytes, statuses: [status], closes: true };
}

const CL = `Content-Length: ${CREATE_BODY.length}\r\n`;
const TE = "Transfer-Encoding: chunked\r\n";

const FRAMING_CASES: RawCase[] = [
  refused(
    "Content-Length and Transfer-Encoding together",
    outerCreate(CL + TE, chunked(CREATE_BODY)),
  ),
  refused(
    "Transfer-Encoding before Content-Length",
    outerCreate(TE + CL, chunked(CREATE_BODY)),
  ),
  refused(
    "Content-Length: 0 beside a chunked body",
    outerCreate("Content-Length: 0\r\n" + TE, chunked(CREATE_BODY)),
  ),
  refused(
    "two equal Content-Length headers",
    outerCreate(CL + CL, CREATE_BODY),
  ),
  refused(
    "two different Content-Length headers",
    outerCreate(CL + "Content-Length: 2\r\n", CREATE_BODY),
  ),
  refused(
    "a Content-Length list",
    outerCreate(
      `Content-Length: ${CREATE_BODY.length}, ${CREATE_BODY.length}\r\n`,
      CREATE_BODY,
    ),
  ),
  refused(
    "a Content-Length with a plus sign",
    outerCreate(`Content-Length: +${CREATE_BODY.length}\r\n`, CREATE_BODY),
  ),
  refused(
    "a negative Content-Length",
    outerCreate("Content-Length: -1\r\n", CREATE_BODY),
  ),
  refused(
    "a hexadecimal Content-Length",
    outerCreate(
      `Content-Length: 0x${CREATE_BODY.length.toString(16)}\r\n`,
      CREATE_BODY,
    ),
  ),
  refused(
    "a Content-Length with trailing letters",
    outerCreate(`Content-Length: ${CREATE_BODY.length}abc\r\n`, CREATE_BODY),
  ),
  refused(
    "an empty Content-Length",
    outerCreate("Content-Length:\r\n", CREATE_BODY),
  ),
  refused(
    "a Content-Length of 16 digits",
    outerCreate("Content-Length: 1000000000000000\r\n", CREATE_BODY),
  ),
  refused(
    "Transfer-Encoding: identity",
    outerCreate("Transfer-Encoding: identity\r\n" + CL, CREATE_BODY),
  ),
  refused(
    "Transfer-Encoding: gzip, chunked",
    outerCreate("Transfer-Encoding: gzip, chunked\r\n", chunked(CREATE_BODY)),
  ),
  refused(
    "Transfer-Encoding: chunked, chunked",
    outerCreate(
      "Transfer-Encoding: chunked, chunked\r\n",
      chunked(CREATE_BODY),
    ),
  ),
  refused(
    "Transfer-Encoding sent twice",
    outerCreate(TE + TE, chunked(CREATE_BODY)),
  ),
  refused(
    "Transfer-Encoding: xchunked",
    outerCreate("Transfer-Encoding: xchunked\r\n", chunked(CREATE_BODY)),
  ),
  refused(
    "a chunked body on HTTP/1.0",
    outerCreate(TE, chunked(CREATE_BODY), "HTTP/1.0"),
  ),
  refused(
    "obsolete line folding that continues Content-Length",
    outerCreate("Content-Length: 0\r\n " + `${CREATE_BODY.length}\r\n`, ""),
  ),
  refused(
    "obsolete line folding with a tab",
    outerCreate("X-Note: a\r\n\tb\r\n" + CL, CREATE_BODY),
  ),
  refused(
    "a bare LF between header lines",
    outerCreate("X-Note: a\n" + CL, CREATE_BODY),
  ),
  refused(
    "a bare CR inside a header line",
    outerCreate("X-Note: a\rTransfer-Encoding: chunked\r\n" + CL, CREATE_BODY),
  ),
  refused(
    "LF-only line endings",
    "POST /containers/create HTTP/1.1\nHost: dockgate\n" +
      `Content-Type: application/json\nContent-Length: ${CREATE_BODY.length}` +
      `\n\n${CREATE_BODY}${SMUGGLED}`,
  ),
  refused(
    "a space between header name and colon",
    outerCreate(`Content-Length : ${CREATE_BODY.length}\r\n`, CREATE_BODY),
  ),
  refused(
    "a header name with a non-token character",
    outerCreate("Content@Length: 2\r\n" + CL, CREATE_BODY),
  ),
  refused(
    "a header name with a non-ASCII byte",
    outerCreate("Tr\xe4nsfer-Encoding: chunked\r\n" + CL, CREATE_BODY),
  ),
  refused("an empty header name", outerCreate(": x\r\n" + CL, CREATE_BODY)),
  refused(
    "a header line without a colon",
    outerCreate(`Content-Length ${CREATE_BODY.length}\r\n`, CREATE_BODY),
  ),
  refused(
    "a NUL byte in a header value",
    outerCreate("X-Note: a\0b\r\n" + CL, CREATE_BODY),
  ),
  refused(
    "two spaces in the request line",
    "POST  /containers/create HTTP/1.1\r\nHost: x\r\n" + CL + "\r\n" +
      CREATE_BODY + SMUGGLED,
  ),
  refused(
    "a tab in the request line",
    "POST\t/containers/create HTTP/1.1\r\nHost: x\r\n" + CL + "\r\n" +
      CREATE_BODY + SMUGGLED,
  ),
  refused(
    "a request line without a version",
    "POST /containers/create\r\nHost: x\r\n" + CL + "\r\n" + CREATE_BODY +
      SMUGGLED,
  ),
  refused(
    "a lower-case protocol name",
    outerCreate(CL, CREATE_BODY, "http/1.1"),
  ),
  refused("HTTP/1.2", outerCreate(CL, CREATE_BODY, "HTTP/1.2"), 400),
  refused("HTTP/2.0", outerCreate(CL, CREATE_BODY, "HTTP/2.0"), 400),
  refused(
    "the HTTP/2 connection preface",
    "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + SMUGGLED,
    400,
  ),
  refused(
    "a chunk size that is not hexadecimal",
    outerCreate(TE, `zz\r\n${CREATE_BODY}\r\n0\r\n\r\n`),
  ),
  refused(
    "a chunk size with a 0x prefix",
    outerCreate(
      TE,
      `0x${CREATE_BODY.length.toString(16)}\r\n${CREATE_BODY}\r\n0\r\n\r\n`,
    ),
  ),
  refused(
    "a negative chunk size",
    outerCreate(TE, `-1\r\n${CREATE_BODY}\r\n0\r\n\r\n`),
  ),
  refused(
    "a chunk size of 13 hex digits",
    outerCreate(TE, `0000000000001\r\nx\r\n0\r\n\r\n`),
  ),
  refused(
    "chunk data longer than its size",
    outerCreate(TE, `2\r\n${CREATE_BODY}\r\n0\r\n\r\n`),
  ),
  refused(
    "a chunk size line ending in a bare LF",
    outerCreate(
      TE,
      `${CREATE_BODY.length.toString(16)}\n${CREATE_BODY}\r\n0\r\n\r\n`,
    ),
  ),
  refused(
    "a last chunk followed by an unterminated trailer",
    outerCreate(TE, chunked(CREATE_BODY).slice(0, -2) + "X-T: 1\n\r\n"),
  ),
];

const TARGET_CASES: RawCase[] = [
  refused(
    "an absolute-form target",
    `POST http://dockgate/containers/create HTTP/1.1\r\nHost: x\r\n` +
      "Content-Type: application/json\r\n" + CL + "\r\n" + CREATE_BODY +
      SMUGGLED,
  ),
  {
    name: "an absolute-form GET, then a pipelined denied create",
    bytes: request("GET", "http://dockgate/containers/json") + SMUGGLED,
    statuses: [400, 403],
    closes: true,
  },
  {
    name: "an asterisk-form target",
    bytes: request("OPTIONS", "*") + SMUGGLED,
    statuses: [400, 403],
    closes: true,
  },
  {
    name: "an authority-form CONNECT",
    bytes: request("CONNECT", "dockgate:443") + SMUGGLED,
    statuses: [400, 403],
    closes: true,
  },
  {
    name: "a lower-case method",
    bytes: "post /containers/create HTTP/1.1\r\nHost: x\r\n" +
      "Content-Type: application/json\r\n" + CL + "\r\n" + CREATE_BODY +
      SMUGGLED,
    statuses: [400],
    closes: true,
  },
  refused(
    "a GET with a body",
    "GET /containers/json HTTP/1.1\r\nHost: x\r\n" +
      `Content-Length: ${SMUGGLED.length}\r\n\r\n` + SMUGGLED,
  ),
];

const UPGRADE = [["Connection", "Upgrade"], ["Upgrade", "tcp"]] as Array<
  [string, string]
>;

const UPGRADE_CASES: RawCase[] = [
  {
    name: "Upgrade on a route that does not hijack, then a pipelined create",
    bytes: request("GET", "/containers/json", UPGRADE) + SMUGGLED,
    statuses: [200, 403],
    closes: true,
  },
  {
    name: "Upgrade: websocket on a route that does not hijack",
    bytes: request("GET", "/_ping", [
      ["Connection", "Upgrade"],
      ["Upgrade", "websocket"],
      ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="],
      ["Sec-WebSocket-Version", "13"],
    ]) + SMUGGLED,
    statuses: [200, 403],
    closes: true,
  },
  {
    name: "Upgrade: h2c on a route that does not hijack",
    bytes: request("GET", "/version", [
      ["Connection", "Upgrade, HTTP2-Settings"],
      ["Upgrade", "h2c"],
      ["HTTP2-Settings", "AAMAAABkAARAAAAAAAIAAAAA"],
    ]) + SMUGGLED,
    statuses: [200, 403],
    closes: true,
  },
  {
    name: "an unknown exec id with Upgrade: the 404 is relayed, no tunnel",
    bytes: jsonRequest(
      "POST",
      "/exec/dg-missing-exec/start",
      { Detach: false, Tty: false },
      UPGRADE,
    ) + SMUGGLED,
    statuses: [404, 403],
    closes: true,
  },
  {
    name: "attach to an unknown container with Upgrade: the 404 ends it",
    bytes: request(
      "POST",
      "/containers/dg-missing-container/attach?stream=1&stdout=1",
      UPGRADE,
    ) + SMUGGLED,
    statuses: [404],
    closes: true,
  },
  {
    name: "an upgrade to a BuildKit session while BUILD is off",
    bytes: request("POST", "/session", [
      ["Connection", "Upgrade"],
      ["Upgrade", "h2c"],
    ]) + SMUGGLED,
    statuses: [403, 403],
    closes: true,
  },
];

const DENIED_CASES: RawCase[] = [
  {
    name: "a denied GET, then an allowed one",
    bytes: request("GET", "/volumes") +
      request("GET", "/_ping", [["Connection", "close"]]),
    statuses: [403, 200],
    closes: true,
  },
  {
    name: "two denied requests, each judged",
    bytes: request("GET", "/volumes") + request("GET", "/networks") +
      request("GET", "/_ping", [["Connection", "close"]]),
    statuses: [403, 403, 200],
    closes: true,
  },
  {
    name: "a denied request whose body is a create request",
    bytes: request("POST", "/volumes/create", [
      ["Content-Type", "application/json"],
      ["Content-Length", String(SMUGGLED_CONTAINER.length)],
    ]) + SMUGGLED_CONTAINER,
    statuses: [403],
    closes: true,
  },
  {
    name: "a denied request with a short body and a create behind it",
    bytes: jsonRequest("POST", "/volumes/create", {}) + SMUGGLED_CONTAINER,
    statuses: [403],
    closes: true,
  },
];

const PIPELINE_CASES: RawCase[] = [
  {
    name: "five pipelined requests get five answers in order",
    bytes: request("GET", "/_ping") + request("HEAD", "/_ping") +
      request("GET", "/containers/json?all=1") + request("GET", "/version") +
      request("GET", "/v1.41/_ping", [["Connection", "close"]]),
    statuses: [200, 200, 200, 200, 200],
    closes: true,
    methods: ["GET", "HEAD", "GET", "GET", "GET"],
  },
];

async function runCase(socketPath: string, rawCase: RawCase) {
  const result: RawResult = await rawExchange(socketPath, rawCase.bytes, {
    timeoutMs: 4000,
    ...(rawCase.methods ? { methods: rawCase.methods } : {}),
  });
  assert.deepEqual(
    statusesOf(result),
    rawCase.statuses,
    result.text.slice(0, 2000),
  );
  if (rawCase.closes) {
    assert.notEqual(result.end, "timeout", "dockgate kept the connection");
  }
  return result;
}

function corpusTest(name: string, cases: RawCase[]) {
  Deno.test({
    name,
    ignore: integrationSkipped(),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn(t) {
      await withDockgate(GATE_ENV, async ({ engine, gate }) => {
        for (const rawCase of cases) {
          await t.step(rawCase.name, async () => {
            await assertEngineUnchanged(
              engine.socketPath,
              rawCase.name,
              () => runCase(gate.socketPath, rawCase),
            );
          });
        }
      });
    },
  });
}

corpusTest(
  "dockgate refuses ambiguous framing and malformed heads with no effect",
  FRAMING_CASES,
);
corpusTest(
  "dockgate refuses non-origin targets and odd methods, judging what follows",
  TARGET_CASES,
);
corpusTest(
  "an Upgrade never turns a connection into a tunnel without a 101",
  UPGRADE_CASES,
);
corpusTest(
  "after a denied request the next one on the connection is judged alone",
  DENIED_CASES,
);
corpusTest("pipelined requests are answered in order", PIPELINE_CASES);

Deno.test({
  name: "the ambiguous-framing answers name the problem",
  ignore: integrationSkipped(),
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withDockgate(GATE_ENV, async ({ gate }) => {
      const result = await runCase(gate.socketPath, FRAMING_CASES[0]!);
      assert.match(
        result.responses[0]?.body ?? "",
        /both Content-Length and Transfer-Encoding/,
      );
      assert.equal(result.responses[0]?.headers.get("connection"), "close");
    });
  },
});
