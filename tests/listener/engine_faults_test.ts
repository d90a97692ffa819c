import assert from "node:assert/strict";
import { type FakeHandler, sendJson } from "../hostile/_fake_engine.ts";
import {
  latin1Bytes,
  rawExchange,
  request,
  writeAll,
} from "../hostile/_raw_http.ts";
import { withProxy } from "./_proxy.ts";

const CLOSE: Array<[string, string]> = [["Connection", "close"]];

async function getStatus(socket: string, target: string) {
  const result = await rawExchange(socket, request("GET", target, CLOSE));
  return {
    status: result.responses[0]?.status ?? 0,
    body: result.responses[0]?.body ?? "",
  };
}

Deno.test("an engine that hangs up without answering gets the client a 502", async () => {
  const handler: FakeHandler = (req) =>
    Promise.resolve(req.target === "/info" ? "close" : undefined);
  await withProxy({ handler }, async ({ socket, fake }) => {
    const answer = await getStatus(socket, "/info");
    assert.equal(answer.status, 502, answer.body);
    assert.ok(answer.body.includes(fake.dockerHost), answer.body);
    assert.equal((await getStatus(socket, "/_ping")).status, 200);
  });
});

Deno.test("a malformed engine answer is a 502, not a 500", async () => {
  const handler: FakeHandler = async (req) => {
    if (req.target !== "/info") return undefined;
    await writeAll(req.conn, latin1Bytes("HTTP/1.1 2000 Odd\r\n\r\n"));
    return "close";
  };
  await withProxy({ handler }, async ({ socket }) => {
    const answer = await getStatus(socket, "/info");
    assert.equal(answer.status, 502, answer.body);
    assert.match(answer.body, /malformed/);
  });
});

Deno.test("an engine that drops pooled connections costs the client nothing", async () => {
  await withProxy({}, async ({ socket, fake, pool }) => {
    // Fill the pool with idle connections, then drop them all.
    await Promise.all(
      Array.from({ length: 4 }, () => getStatus(socket, "/_ping")),
    );
    assert.ok(pool.openConnections > 0);
    await fake.down();
    fake.up();
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => getStatus(socket, "/version")),
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(8).fill(200),
      answers[0]?.body,
    );
  });
});

Deno.test("an engine that answers an upload early leaves no stale connection", async () => {
  const handler: FakeHandler = async (req) => {
    if (!req.target.startsWith("/images/load")) return undefined;
    // Refuse at once, without reading the body.
    await sendJson(req.conn, 400, { message: "refused early" });
    return "keep";
  };
  await withProxy({ handler }, async ({ socket, pool }) => {
    const result = await rawExchange(
      socket,
      request("POST", "/images/load", [
        ["Content-Type", "application/x-tar"],
        ["Content-Length", String(64 * 1024)],
      ]) + "a".repeat(1000),
      { timeoutMs: 3000 },
    );
    assert.deepEqual(result.responses.map((r) => r.status), [400]);
    assert.notEqual(result.end, "timeout", "the half-sent upload kept it open");
    // The connection the engine answered early on is not reused.
    const after = await Promise.all(
      Array.from({ length: 4 }, () => getStatus(socket, "/version")),
    );
    assert.deepEqual(after.map((a) => a.status), Array(4).fill(200));
    assert.ok(pool.openConnections <= 4);
  });
});
