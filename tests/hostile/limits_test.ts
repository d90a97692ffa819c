/**
 * The listener's limits, hit with raw requests against a running dockgate
 * in front of the real private engine: head size and header count (431),
 * inspected body size (413), slow heads (408), connection caps (503). None
 * of the refused requests may change the engine's state.
 */

import assert from "node:assert/strict";
import { integrationSkipped } from "../support/engine.ts";
import { freePort } from "../support/free_port.ts";
import { withDockgate } from "../support/integration.ts";
import { assertEngineUnchanged } from "./_engine_state.ts";
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
} from "./_raw_http.ts";

const GATE_ENV = { CONTAINERS: "1", POST: "1" };

function limitTest(
  name: string,
  env: Record<string, string>,
  fn: (scope: { engineSocket: string; socket: string }) => Promise<void>,
) {
  Deno.test({
    name,
    ignore: integrationSkipped(),
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      await withDockgate({ ...GATE_ENV, ...env }, async ({ engine, gate }) => {
        await fn({ engineSocket: engine.socketPath, socket: gate.socketPath });
      });
    },
  });
}

/** A GET whose head is padded to exactly `size` bytes with one header. */
function headOfSize(size: number): string {
  const bare = request("GET", "/_ping", [["X-Pad", ""], [
    "Connection",
    "close",
  ]]);
  const padded = request("GET", "/_ping", [
    ["X-Pad", "a".repeat(size - bare.length + 4)],
    ["Connection", "close"],
  ]);
  // The limit counts the head without its final blank line.
  assert.equal(padded.length - 4, size);
  return padded;
}

limitTest(
  "a request head over MAX_HEADER_BYTES gets 431, however it arrives",
  { MAX_HEADER_BYTES: "2048" },
  async ({ engineSocket, socket }) => {
    const atLimit = await rawExchange(socket, headOfSize(2048));
    assert.deepEqual(statusesOf(atLimit), [200], atLimit.text);
    const tooLarge = headOfSize(2049);
    const create = jsonRequest("POST", "/containers/create", {
      Image: "tiny:1",
    });
    await assertEngineUnchanged(engineSocket, "an oversized head", async () => {
      // In one write the whole head is buffered at once; in pieces it grows.
      const whole = await rawExchange(socket, tooLarge + create);
      assert.deepEqual(statusesOf(whole), [431], whole.text);
      assert.equal(whole.end, "eof");
      const pieces = [...tooLarge.matchAll(/[^]{1,300}/g)].map((m) => m[0]);
      const trickled = await rawExchange(socket, pieces);
      assert.deepEqual(statusesOf(trickled), [431], trickled.text);
    });
  },
);

limitTest(
  "more header fields than MAX_HEADERS get 431",
  { MAX_HEADERS: "10" },
  async ({ socket }) => {
    const fields = (count: number) =>
      Array.from(
        { length: count - 2 },
        (_, i) => [`X-Field-${i}`, "1"] as [string, string],
      ).concat([["Connection", "close"]]);
    // request() adds Host, so count - 2 extra fields plus Connection.
    const ten = await rawExchange(socket, request("GET", "/_ping", fields(10)));
    assert.deepEqual(statusesOf(ten), [200], ten.text);
    const eleven = await rawExchange(
      socket,
      request("GET", "/_ping", fields(11)),
    );
    assert.deepEqual(statusesOf(eleven), [431], eleven.text);
    assert.match(eleven.responses[0]?.body ?? "", /too many header fields/);
  },
);

limitTest(
  "an inspected body over MAX_BODY_BYTES gets 413 and creates nothing",
  { MAX_BODY_BYTES: "1024" },
  async ({ engineSocket, socket }) => {
    const big = {
      Image: "tiny:1",
      Cmd: ["true"],
      Labels: { pad: "x".repeat(2000) },
    };
    const text = JSON.stringify(big);
    await assertEngineUnchanged(engineSocket, "an oversized body", async () => {
      const declared = await rawExchange(
        socket,
        jsonRequest("POST", "/containers/create", big),
      );
      assert.deepEqual(statusesOf(declared), [413], declared.text);
      const streamed = await rawExchange(
        socket,
        request("POST", "/containers/create", [
          ["Content-Type", "application/json"],
          ["Transfer-Encoding", "chunked"],
        ]) + [...text.matchAll(/[^]{1,500}/g)]
          .map((m) => `${m[0].length.toString(16)}\r\n${m[0]}\r\n`)
          .join("") +
          "0\r\n\r\n",
      );
      assert.deepEqual(statusesOf(streamed), [413], streamed.text);
      assert.equal(streamed.end, "eof");
    });
  },
);

limitTest(
  "a head not complete within HEADER_TIMEOUT gets 408",
  { HEADER_TIMEOUT: "1" },
  async ({ socket }) => {
    const started = Date.now();
    const silent = await rawExchange(socket, "", { timeoutMs: 5000 });
    assert.deepEqual(statusesOf(silent), [408], silent.text);
    const partial = await rawExchange(socket, "GET /_ping HTTP/1.1\r\nHo", {
      timeoutMs: 5000,
    });
    assert.deepEqual(statusesOf(partial), [408], partial.text);
    assert.equal(partial.end, "eof");
    assert.ok(Date.now() - started < 8000, "the 408s came late");
  },
);

limitTest(
  "a slow second head on a kept-alive connection gets 408 too",
  { HEADER_TIMEOUT: "1" },
  async ({ socket }) => {
    const conn = await connectTo(socket);
    try {
      await writeAll(conn, latin1Bytes(request("GET", "/_ping")));
      const first = await readAnswer(conn, { responses: 1 });
      assert.deepEqual(statusesOf(first), [200]);
      // One byte every 300 ms: each read is quick, the head never ends.
      const trickle = "GET /_ping HTTP/1.1\r\nX-Slow: abcdefghij";
      const started = Date.now();
      let ended = false;
      for (const char of trickle) {
        if (Date.now() - started > 4000) break;
        try {
          await writeAll(conn, latin1Bytes(char));
        } catch {
          ended = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const answer = await readAnswer(conn, { timeoutMs: 3000 });
      assert.ok(ended || answer.end === "eof", "the connection stayed open");
      assert.deepEqual(statusesOf(answer), [408], answer.text);
    } finally {
      closeQuietly(conn);
    }
  },
);

limitTest(
  "connections beyond MAX_CONNECTIONS get 503 until one closes",
  { MAX_CONNECTIONS: "3", HEADER_TIMEOUT: "20" },
  async ({ socket }) => {
    const held = await Promise.all([1, 2, 3].map(() => connectTo(socket)));
    try {
      // Let the proxy accept all three before the fourth arrives.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const refusedAnswer = await rawExchange(socket, request("GET", "/_ping"));
      assert.deepEqual(statusesOf(refusedAnswer), [503], refusedAnswer.text);
      assert.match(refusedAnswer.responses[0]?.body ?? "", /too many/);
      closeQuietly(held.pop()!);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const admitted = await rawExchange(
        socket,
        request("GET", "/_ping", [["Connection", "close"]]),
      );
      assert.deepEqual(statusesOf(admitted), [200], admitted.text);
    } finally {
      held.forEach(closeQuietly);
    }
  },
);

const TCP_PORT = freePort();

limitTest(
  "TCP connections beyond MAX_CONNECTIONS_PER_CLIENT get 503",
  {
    LISTEN_ADDR: `127.0.0.1:${TCP_PORT}`,
    MAX_CONNECTIONS_PER_CLIENT: "2",
    HEADER_TIMEOUT: "20",
  },
  async ({ socket }) => {
    const address = `127.0.0.1:${TCP_PORT}`;
    const held = await Promise.all([1, 2].map(() => connectTo(address)));
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const third = await rawExchange(address, request("GET", "/_ping"));
      assert.deepEqual(statusesOf(third), [503], third.text);
      assert.match(third.responses[0]?.body ?? "", /from this client/);
      // The Unix socket is not that client.
      const local = await rawExchange(
        socket,
        request("GET", "/_ping", [["Connection", "close"]]),
      );
      assert.deepEqual(statusesOf(local), [200], local.text);
    } finally {
      held.forEach(closeQuietly);
    }
  },
);

limitTest(
  "IDLE_TIMEOUT closes an idle kept-alive connection but not a quiet stream",
  { IDLE_TIMEOUT: "1" },
  async ({ socket }) => {
    const idle = await connectTo(socket);
    const stream = await connectTo(socket);
    try {
      await writeAll(idle, latin1Bytes(request("GET", "/_ping")));
      await writeAll(stream, latin1Bytes(request("GET", "/events")));
      const first = await readAnswer(idle, { responses: 1 });
      assert.deepEqual(statusesOf(first), [200]);
      const closed = await readAnswer(idle, { timeoutMs: 3000 });
      assert.equal(closed.end, "eof", "the idle connection stayed open");
      // No event happens on this engine meanwhile; the stream must stay.
      const quiet = await readAnswer(stream, { timeoutMs: 2500 });
      assert.match(quiet.text, /^HTTP\/1\.1 200 /);
      assert.equal(quiet.end, "timeout", "the quiet stream was cut");
    } finally {
      closeQuietly(idle);
      closeQuietly(stream);
    }
  },
);
