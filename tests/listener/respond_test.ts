import assert from "node:assert/strict";
import type { ByteSink } from "../../src/http/body.ts";
import type { BodyFraming, ResponseHead } from "../../src/http/message.ts";
import {
  relayedHead,
  writeAppResponse,
  writeError,
} from "../../src/listener/respond.ts";
import type { EngineResponse } from "../../src/upstream/engine_exchange.ts";

function sink(): ByteSink & { text(): string } {
  let text = "";
  return {
    write(bytes) {
      text += String.fromCharCode(...bytes);
      return Promise.resolve(bytes.length);
    },
    text: () => text,
  };
}

function engineAnswer(
  status: number,
  headers: Array<[string, string]>,
  framing: BodyFraming,
): EngineResponse {
  const head: ResponseHead = {
    version: "HTTP/1.1",
    status,
    reason: "R",
    headers,
  };
  return {
    head,
    framing,
    connection: undefined as never,
    requestSent: Promise.resolve(true),
    body: async function* () {},
    relay: () => Promise.resolve(0),
    abort() {},
  };
}

function headText(bytes: Uint8Array): string {
  return String.fromCharCode(...bytes);
}

Deno.test("relayedHead() drops the engine's hop-by-hop headers", () => {
  const relayed = relayedHead(
    engineAnswer(200, [
      ["Content-Type", "application/json"],
      ["Connection", "keep-alive, X-Secret"],
      ["Keep-Alive", "timeout=5"],
      ["Transfer-Encoding", "chunked"],
      ["Upgrade", "tcp"],
      ["Trailer", "X-T"],
      ["Api-Version", "1.41"],
    ], { kind: "chunked" }),
    { clientVersion: "HTTP/1.1", close: false },
  );
  assert.equal(
    headText(relayed.head),
    "HTTP/1.1 200 R\r\nContent-Type: application/json\r\n" +
      "Api-Version: 1.41\r\nTransfer-Encoding: chunked\r\n\r\n",
  );
  assert.deepEqual(relayed.framing, { kind: "chunked" });
  assert.equal(relayed.close, false);
});

Deno.test("relayedHead() ends a chunked answer by closing for HTTP/1.0", () => {
  const relayed = relayedHead(
    engineAnswer(200, [], { kind: "chunked" }),
    { clientVersion: "HTTP/1.0", close: false },
  );
  assert.deepEqual(relayed.framing, { kind: "close" });
  assert.equal(relayed.close, true);
  assert.equal(
    headText(relayed.head),
    "HTTP/1.1 200 R\r\nConnection: close\r\n\r\n",
  );
});

Deno.test("relayedHead() keeps a 101's upgrade and nothing else hop-by-hop", () => {
  const relayed = relayedHead(
    engineAnswer(101, [
      ["Content-Type", "application/vnd.docker.raw-stream"],
      ["Connection", "Upgrade"],
      ["Upgrade", "tcp"],
    ], { kind: "none" }),
    { clientVersion: "HTTP/1.1", close: true },
  );
  assert.equal(
    headText(relayed.head),
    "HTTP/1.1 101 R\r\nContent-Type: application/vnd.docker.raw-stream\r\n" +
      "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
  );
});

Deno.test("writeAppResponse() sends the length but no body to HEAD", async () => {
  const out = sink();
  const sent = await writeAppResponse(
    out,
    new Response("hello", {
      status: 403,
      headers: { "Content-Length": "99", Connection: "x" },
    }),
    { method: "HEAD", close: true },
  );
  assert.equal(sent, 0);
  assert.match(out.text(), /^HTTP\/1\.1 403 Forbidden\r\n/);
  assert.match(out.text(), /\r\nContent-Length: 5\r\n/);
  assert.match(out.text(), /\r\nConnection: close\r\n\r\n$/);
  assert.doesNotMatch(out.text(), /Content-Length: 99|connection: x/i);
});

Deno.test("writeError() answers in Docker's error shape", async () => {
  const out = sink();
  await writeError(out, 431, "request head too large", true);
  const [head, body] = out.text().split("\r\n\r\n");
  assert.match(head ?? "", /^HTTP\/1\.1 431 Request Header Fields Too Large/);
  assert.deepEqual(JSON.parse(body ?? ""), {
    message: "request head too large",
  });
});
