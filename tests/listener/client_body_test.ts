import assert from "node:assert/strict";
import { BufferedReader } from "../../src/http/buffered_reader.ts";
import { type BodyFraming, HttpError } from "../../src/http/message.ts";
import { ClientBody } from "../../src/listener/client_body.ts";
import { piecesSource } from "../http/_pieces.ts";

const ENCODER = new TextEncoder();

function bodyOf(wire: string, framing: BodyFraming) {
  const reader = new BufferedReader(piecesSource([ENCODER.encode(wire)]));
  return { body: new ClientBody(reader, framing), reader };
}

async function statusOf(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof HttpError) return error.status;
    throw error;
  }
  return 0;
}

Deno.test("ClientBody.readAll() refuses a declared length over the cap unread", async () => {
  const { body, reader } = bodyOf("x".repeat(20), {
    kind: "length",
    length: 20,
  });
  assert.equal(await statusOf(body.readAll(10)), 413);
  assert.equal(body.finished, false);
  assert.equal(body.bytesRead, 0);
  assert.ok(body.error instanceof HttpError);
  // Nothing was consumed: the connection must close, not parse the body.
  assert.equal(reader.buffered, 0);
  assert.equal((await reader.readSome(100))?.length, 20);
});

Deno.test("ClientBody.readAll() stops a chunked body as it passes the cap", async () => {
  const wire = "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
  const { body } = bodyOf(wire, { kind: "chunked" });
  assert.equal(await statusOf(body.readAll(10)), 413);
  assert.equal(body.finished, false);
});

Deno.test("ClientBody.readAll() reads a body at the cap and marks it finished", async () => {
  const { body } = bodyOf("0123456789NEXT", { kind: "length", length: 10 });
  assert.equal(new TextDecoder().decode(await body.readAll(10)), "0123456789");
  assert.equal(body.finished, true);
  assert.equal(body.bytesRead, 10);
  assert.equal(body.error, undefined);
});

Deno.test("ClientBody records why a body could not be read", async () => {
  const { body } = bodyOf("5\r\nhello\r\nzz\r\n", { kind: "chunked" });
  await assert.rejects(async () => {
    for await (const _ of body.pieces()) { /* stream it */ }
  }, HttpError);
  assert.equal((body.error as HttpError).status, 400);
  assert.equal(body.finished, false);
});

Deno.test("ClientBody.pieces() can be taken only once", async () => {
  const { body } = bodyOf("abc", { kind: "length", length: 3 });
  for await (const _ of body.pieces()) { /* first reader */ }
  await assert.rejects(async () => {
    for await (const _ of body.pieces()) { /* second reader */ }
  }, Error);
});

Deno.test("ClientBody without framing is finished from the start", () => {
  const { body } = bodyOf("GET / HTTP/1.1\r\n\r\n", { kind: "none" });
  assert.equal(body.finished, true);
});
