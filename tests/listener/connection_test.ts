import assert from "node:assert/strict";
import { configure, type LogRecord, reset } from "@logtape/logtape";
import { type FakeHandler, sendJson } from "../hostile/_fake_engine.ts";
import {
  closeQuietly,
  connectTo,
  jsonRequest,
  latin1Bytes,
  rawExchange,
  readAnswer,
  request,
  statusesOf,
  writeAll,
} from "../hostile/_raw_http.ts";
import { sleep } from "../support/deadline.ts";
import { waitFor } from "../hostile/_process.ts";
import { withProxy } from "./_proxy.ts";

const UPGRADE: Array<[string, string]> = [
  ["Connection", "Upgrade"],
  ["Upgrade", "tcp"],
];

/** Reads whatever arrives on `conn` within `ms`, as text. */
async function drain(conn: Deno.Conn, ms: number): Promise<string> {
  return (await readAnswer(conn, { timeoutMs: ms })).text;
}

Deno.test("a 101 from the engine on a route that does not hijack is a 502, never a tunnel", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/containers/json")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n" +
          "ENGINE-RAW",
      ),
    );
    // Whatever reaches the engine now would be unjudged.
    await drain(req.conn, 500);
    return "close";
  };
  await withProxy({ handler }, async ({ fake, socket }) => {
    const result = await rawExchange(
      socket,
      request("GET", "/containers/json", UPGRADE) +
        request("POST", "/containers/create"),
      { timeoutMs: 2000 },
    );
    assert.deepEqual(statusesOf(result), [502], result.text);
    assert.doesNotMatch(result.text, /ENGINE-RAW/);
    assert.equal(result.end, "eof");
    assert.deepEqual(fake.requests.map((r) => r.target), ["/containers/json"]);
  });
});

Deno.test("a 101 on a hijack route becomes a two-way tunnel with half-close", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.endsWith("/attach?stream=1")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 101 UPGRADED\r\nContent-Type: " +
          "application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\n" +
          "Upgrade: tcp\r\n\r\n",
      ),
    );
    // Echo until the client's side ends, then end ours.
    const buffer = new Uint8Array(1024);
    let n = await req.conn.read(buffer);
    while (n !== null) {
      await writeAll(req.conn, buffer.slice(0, n));
      n = await req.conn.read(buffer);
    }
    return "close";
  };
  await withProxy({ handler }, async ({ socket, audits }) => {
    const conn = await connectTo(socket);
    try {
      await writeAll(
        conn,
        latin1Bytes(
          request("POST", "/containers/web/attach?stream=1", UPGRADE),
        ),
      );
      const head = await readAnswer(conn, { responses: 1 });
      assert.equal(head.responses[0]?.status, 101, head.text);
      await writeAll(conn, latin1Bytes("GET /not-http HTTP/1.1\r\n\r\n"));
      await conn.closeWrite();
      const echoed = await readAnswer(conn, { timeoutMs: 3000 });
      assert.equal(echoed.text, "GET /not-http HTTP/1.1\r\n\r\n");
      assert.equal(echoed.end, "eof");
    } finally {
      closeQuietly(conn);
    }
    assert.ok(await waitFor(() => audits.length === 1, 2000));
    assert.equal(audits[0]?.status, 101);
  });
});

Deno.test("a non-101 answer on a hijack route is relayed and the next request is parsed", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/exec/")) return undefined;
    await req.text();
    await sendJson(req.conn, 404, { message: "No such exec instance: x" });
    return "keep";
  };
  await withProxy({ handler }, async ({ fake, socket }) => {
    const result = await rawExchange(
      socket,
      jsonRequest("POST", "/exec/x/start", { Detach: false }, UPGRADE) +
        request("GET", "/_ping", [["Connection", "close"]]),
      { timeoutMs: 2000 },
    );
    assert.deepEqual(statusesOf(result), [404, 200], result.text);
    assert.deepEqual(
      fake.requests.map((r) => `${r.method} ${r.target}`),
      ["POST /exec/x/start", "GET /_ping"],
    );
  });
});

Deno.test("an error with a raw-stream type on a hijack route is relayed, not tunnelled", async () => {
  let afterAnswer = "";
  const handler: FakeHandler = async (req) => {
    if (!req.target.includes("/attach")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 404 Not Found\r\nContent-Type: " +
          "application/vnd.docker.raw-stream\r\n\r\nNo such container: x\n",
      ),
    );
    afterAnswer = req.takeBuffered() + await drain(req.conn, 300);
    return "close";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const result = await rawExchange(
      socket,
      request("POST", "/containers/x/attach?stream=1", UPGRADE) +
        "RAW BYTES THAT MUST NOT REACH THE ENGINE",
      { timeoutMs: 2000 },
    );
    assert.deepEqual(statusesOf(result), [404], result.text);
    assert.match(result.responses[0]?.body ?? "", /No such container/);
    assert.equal(afterAnswer, "");
  });
});

Deno.test("a multiplexed stream on a route that does not hijack is relayed", async () => {
  // API 1.42+ engines label `logs` this way; it is still plain HTTP.
  const handler: FakeHandler = async (req) => {
    if (!req.target.includes("/logs")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nContent-Type: " +
          "application/vnd.docker.multiplexed-stream\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      ),
    );
    return "keep";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const result = await rawExchange(
      socket,
      request("GET", "/v1.45/containers/x/logs?stdout=1") +
        request("GET", "/_ping", [["Connection", "close"]]),
      { timeoutMs: 2000 },
    );
    assert.deepEqual(statusesOf(result), [200, 200], result.text);
    assert.equal(result.responses[0]?.body, "hello");
  });
});

Deno.test("a malformed chunked upload is answered 400, not a 5xx", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/images/load")) return undefined;
    try {
      await req.text();
    } catch {
      // dockgate cut the upload short, as it should.
    }
    await sendJson(req.conn, 200, {});
    return "close";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const result = await rawExchange(
      socket,
      request("POST", "/images/load", [
        ["Content-Type", "application/x-tar"],
        ["Transfer-Encoding", "chunked"],
      ]) + "5\r\nhello\r\nzz\r\n",
      { timeoutMs: 3000 },
    );
    assert.deepEqual(statusesOf(result), [400], result.text);
    assert.match(result.responses[0]?.body ?? "", /chunk/);
  });
});

Deno.test("a client that hangs up on a silent stream gets the engine side closed", async () => {
  let engineSideClosed = false;
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/events")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n",
      ),
    );
    try {
      await req.conn.read(new Uint8Array(16));
    } catch {
      // Closed with a reset: closed all the same.
    }
    engineSideClosed = true;
    return "close";
  };
  await withProxy({ handler }, async ({ socket, fake }) => {
    const conn = await connectTo(socket);
    await writeAll(conn, latin1Bytes(request("GET", "/events")));
    const head = await readAnswer(conn, { timeoutMs: 500 });
    assert.match(head.text, /^HTTP\/1\.1 200 /);
    closeQuietly(conn);
    assert.ok(
      await waitFor(() => engineSideClosed, 2000),
      "the engine connection stayed open",
    );
    assert.ok(await waitFor(() => fake.openConnections === 0, 2000));
  });
});

Deno.test("a stream keeps going while the client pipelines its next request", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/events")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n",
      ),
    );
    await sleep(300);
    await writeAll(req.conn, latin1Bytes("3\r\ntwo\r\n0\r\n\r\n"));
    return "keep";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const result = await rawExchange(
      socket,
      request("GET", "/events") +
        request("GET", "/_ping", [["Connection", "close"]]),
      { timeoutMs: 3000 },
    );
    assert.deepEqual(statusesOf(result), [200, 200], result.text);
    assert.equal(result.responses[0]?.body, "onetwo");
  });
});

Deno.test("the tunnel starts only after the whole request body went out", async () => {
  let received = "";
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/exec/")) return undefined;
    // Switch protocols before reading the body, as no engine should.
    await writeAll(
      req.conn,
      latin1Bytes("HTTP/1.1 101 UPGRADED\r\nUpgrade: tcp\r\n\r\n"),
    );
    received = req.takeBuffered() + await drain(req.conn, 1000);
    return "close";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const conn = await connectTo(socket);
    try {
      await writeAll(
        conn,
        latin1Bytes(
          request("POST", "/exec/x/start", [
            ...UPGRADE,
            ["Content-Type", "application/json"],
            ["Transfer-Encoding", "chunked"],
          ]) + '3\r\n{"D\r\n',
        ),
      );
      await sleep(200);
      await writeAll(
        conn,
        latin1Bytes('8\r\netach":1\r\n3\r\n}  \r\n0\r\n\r\nSTDIN'),
      );
      await readAnswer(conn, { timeoutMs: 1500 });
    } finally {
      closeQuietly(conn);
    }
    // Re-chunked by dockgate, then the raw stdin, in that order.
    assert.equal(
      received,
      '3\r\n{"D\r\n8\r\netach":1\r\n3\r\n}  \r\n0\r\n\r\nSTDIN',
    );
  });
});

Deno.test("a fault in policy code answers 500 for that request only, logged with its id", async () => {
  const records: LogRecord[] = [];
  await configure({
    sinks: { memory: (record: LogRecord) => records.push(record) },
    loggers: [
      { category: ["dockgate"], sinks: ["memory"], lowestLevel: "error" },
      { category: ["logtape", "meta"], sinks: [], lowestLevel: "fatal" },
    ],
    reset: true,
  });
  try {
    const inspect = (exchange: { target: { path: string } }) => {
      if (exchange.target.path.includes("boom")) {
        return Promise.reject(new TypeError("policy bug"));
      }
      return Promise.resolve(null);
    };
    await withProxy({ inspect }, async ({ socket }) => {
      const busy = await connectTo(socket);
      try {
        await writeAll(
          busy,
          latin1Bytes(
            request("GET", "/containers/boom/json") + request("GET", "/_ping"),
          ),
        );
        const both = await readAnswer(busy, { responses: 2 });
        assert.deepEqual(statusesOf(both), [500, 200], both.text);
        const other = await rawExchange(
          socket,
          request("GET", "/version", [["Connection", "close"]]),
        );
        assert.deepEqual(statusesOf(other), [200]);
        const message = JSON.parse(both.responses[0]?.body ?? "{}").message;
        const id = /request ([^)]+)\)/.exec(message)?.[1];
        assert.ok(id, message);
        const logged = records.find((record) =>
          record.level === "error" && record.properties.requestId === id
        );
        assert.ok(logged, "no error record with the request id");
      } finally {
        closeQuietly(busy);
      }
    });
  } finally {
    await reset();
  }
});

Deno.test("a chunked answer reaches an HTTP/1.0 client unframed, then the connection closes", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/containers/json")) return undefined;
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n" +
          "3;ext=1\r\n[1,\r\n2\r\n2]\r\n0\r\nX-Trailer: t\r\n\r\n",
      ),
    );
    return "keep";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const result = await rawExchange(
      socket,
      "GET /containers/json HTTP/1.0\r\nHost: x\r\n\r\n",
      { timeoutMs: 2000 },
    );
    const [head = "", body] = result.text.split("\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(head, /transfer-encoding/i);
    assert.match(head, /\r\nConnection: close(\r\n|$)/);
    assert.equal(body, "[1,2]");
    assert.equal(result.end, "eof");
  });
});
