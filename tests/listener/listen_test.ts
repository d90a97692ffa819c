import assert from "node:assert/strict";
import { isLoopback, parseListenAddr } from "../../src/listener/listen.ts";
import { type FakeHandler, sendJson } from "../hostile/_fake_engine.ts";
import {
  closeQuietly,
  connectTo,
  latin1Bytes,
  rawExchange,
  readAnswer,
  request,
  writeAll,
} from "../hostile/_raw_http.ts";
import { waitFor } from "../hostile/_process.ts";
import { withProxy } from "./_proxy.ts";

const ADDRESSES: Array<[string, { hostname: string; port: number } | null]> = [
  ["127.0.0.1:2375", { hostname: "127.0.0.1", port: 2375 }],
  [":2375", { hostname: "0.0.0.0", port: 2375 }],
  ["[::1]:2375", { hostname: "::1", port: 2375 }],
  ["localhost:0", { hostname: "localhost", port: 0 }],
  ["127.0.0.1:65536", null],
  ["127.0.0.1", null],
  ["[::1:2375", null],
  ["::1:2375", null],
  ["127.0.0.1:-1", null],
];

for (const [addr, expected] of ADDRESSES) {
  Deno.test(`parseListenAddr() ${expected ? "reads" : "refuses"} ${JSON.stringify(addr)}`, () => {
    if (expected === null) {
      assert.throws(() => parseListenAddr(addr), RangeError);
    } else {
      assert.deepEqual(parseListenAddr(addr), expected);
    }
  });
}

Deno.test("isLoopback() accepts only addresses this machine alone reaches", () => {
  for (const host of ["127.0.0.1", "127.1.2.3", "::1", "localhost"]) {
    assert.ok(isLoopback(host), host);
  }
  for (
    const host of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.x"]
  ) {
    assert.ok(!isLoopback(host), host);
  }
});

Deno.test("ProxyServer answers 503 past MAX_CONNECTIONS and admits again later", async () => {
  await withProxy({ maxConnections: 2 }, async ({ socket, server }) => {
    const held = [await connectTo(socket), await connectTo(socket)];
    try {
      assert.ok(await waitFor(() => server.activeConnections === 2, 2000));
      const refused = await rawExchange(socket, request("GET", "/_ping"));
      assert.deepEqual(refused.responses.map((r) => r.status), [503]);
      closeQuietly(held.pop()!);
      assert.ok(await waitFor(() => server.activeConnections === 1, 2000));
      const admitted = await rawExchange(
        socket,
        request("GET", "/_ping", [["Connection", "close"]]),
      );
      assert.deepEqual(admitted.responses.map((r) => r.status), [200]);
    } finally {
      held.forEach(closeQuietly);
    }
  });
});

Deno.test("ProxyServer.shutdown() closes idle connections, lets busy ones finish, removes the socket", async () => {
  const handler: FakeHandler = async (req) => {
    if (req.target !== "/info") return undefined;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await sendJson(req.conn, 200, { ID: "x" });
    return "keep";
  };
  await withProxy({ handler }, async ({ socket, server }) => {
    const idle = await connectTo(socket);
    const busy = await connectTo(socket);
    try {
      await writeAll(idle, latin1Bytes(request("GET", "/_ping")));
      assert.equal(
        (await readAnswer(idle, { responses: 1 })).responses.length,
        1,
      );
      await writeAll(busy, latin1Bytes(request("GET", "/info")));
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      const stopping = server.shutdown(5000);
      const idleEnd = await readAnswer(idle, { timeoutMs: 1000 });
      assert.equal(idleEnd.end, "eof", "the idle connection stayed open");
      const busyAnswer = await readAnswer(busy, { timeoutMs: 3000 });
      assert.deepEqual(busyAnswer.responses.map((r) => r.status), [200]);
      assert.equal(busyAnswer.responses[0]?.headers.get("connection"), "close");
      await stopping;
      assert.ok(Date.now() - started < 2000, "shutdown waited for nothing");
      await assert.rejects(() => Deno.lstat(socket), Deno.errors.NotFound);
    } finally {
      closeQuietly(idle);
      closeQuietly(busy);
    }
  });
});
