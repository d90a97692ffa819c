import assert from "node:assert/strict";
import {
  type ByteSink,
  encodeChunk,
  readBody,
  writeBody,
} from "../../src/http/body.ts";
import { BufferedReader } from "../../src/http/buffered_reader.ts";
import { type BodyFraming, HttpError } from "../../src/http/message.ts";
import { piecesSource, splits } from "./_pieces.ts";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();

async function readAllOf(
  wire: Uint8Array | Uint8Array[],
  framing: BodyFraming,
  side: "client" | "engine" = "client",
): Promise<{ body: string; rest: string }> {
  const reader = new BufferedReader(
    piecesSource(Array.isArray(wire) ? wire : [wire]),
  );
  let body = "";
  for await (const piece of readBody(reader, framing, side)) {
    body += DECODER.decode(piece);
  }
  let rest = "";
  let piece = await reader.readSome(1024);
  while (piece !== null) {
    rest += DECODER.decode(piece);
    piece = await reader.readSome(1024);
  }
  return { body, rest };
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

const CHUNKED = { kind: "chunked" } as const;

Deno.test("readBody() decodes chunks with extensions and trailers at every split", async () => {
  const wire = ENCODER.encode(
    "5;name=value\r\nhello\r\n" +
      '6 ; quoted="a;b"\r\n world\r\n' +
      "0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n" +
      "NEXT",
  );
  for (const pieces of splits(wire)) {
    const { body, rest } = await readAllOf(pieces, CHUNKED);
    assert.equal(body, "hello world");
    assert.equal(rest, "NEXT", "bytes after the body were eaten");
  }
});

Deno.test("readBody() reads exactly Content-Length bytes at every split", async () => {
  const wire = ENCODER.encode("0123456789GET / HTTP/1.1\r\n\r\n");
  for (const pieces of splits(wire)) {
    const { body, rest } = await readAllOf(pieces, {
      kind: "length",
      length: 10,
    });
    assert.equal(body, "0123456789");
    assert.equal(rest, "GET / HTTP/1.1\r\n\r\n");
  }
});

Deno.test("readBody() reads a close-delimited body to the end of the stream", async () => {
  const { body } = await readAllOf(ENCODER.encode("all of it"), {
    kind: "close",
  });
  assert.equal(body, "all of it");
});

/** Malformed chunked bodies; each must be a protocol error. */
const BAD_CHUNKED: Array<[string, string]> = [
  ["a size that is not hex", "zz\r\nhello\r\n0\r\n\r\n"],
  ["a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n"],
  ["a negative size", "-5\r\nhello\r\n0\r\n\r\n"],
  ["an empty size line", "\r\nhello\r\n0\r\n\r\n"],
  ["a size of 13 hex digits", "0000000000005\r\nhello\r\n0\r\n\r\n"],
  ["whitespace before the size", " 5\r\nhello\r\n0\r\n\r\n"],
  ["data longer than the size", "3\r\nhello\r\n0\r\n\r\n"],
  ["data shorter than the size", "9\r\nhello\r\n0\r\n\r\n"],
  ["a bare LF after the size", "5\nhello\r\n0\r\n\r\n"],
  ["a bare LF after the data", "5\r\nhello\n0\r\n\r\n"],
  ["a bare CR in an extension", "5;a\rb\r\nhello\r\n0\r\n\r\n"],
  ["a bare LF in the trailers", "5\r\nhello\r\n0\r\nX: 1\n\r\n"],
  ["an end before the last chunk", "5\r\nhello\r\n"],
  ["an end inside the trailers", "5\r\nhello\r\n0\r\nX: 1\r\n"],
  ["a size line over 4 KiB", `5;${"e".repeat(5000)}\r\nhello\r\n0\r\n\r\n`],
  ["trailers over 16 KiB", `0\r\n${"X: 1\r\n".repeat(5000)}\r\n`],
];

for (const [what, wire] of BAD_CHUNKED) {
  Deno.test(`readBody() answers a chunked body with ${what} with 400 or 502`, async () => {
    const bytes = ENCODER.encode(wire);
    assert.equal(await statusOf(readAllOf(bytes, CHUNKED, "client")), 400);
    assert.equal(await statusOf(readAllOf(bytes, CHUNKED, "engine")), 502);
  });
}

Deno.test("readBody() answers a body shorter than its length with 400", async () => {
  const framing = { kind: "length", length: 10 } as const;
  assert.equal(
    await statusOf(readAllOf(ENCODER.encode("short"), framing)),
    400,
  );
});

/** A sink that keeps what it was given, in small partial writes. */
function collectingSink(): ByteSink & { text(): string } {
  const parts: Uint8Array[] = [];
  return {
    write(bytes) {
      const n = Math.min(bytes.length, 3);
      parts.push(bytes.slice(0, n));
      return Promise.resolve(n);
    },
    text: () => parts.map((part) => DECODER.decode(part)).join(""),
  };
}

async function* piecesOf(...texts: string[]): AsyncGenerator<Uint8Array> {
  for (const text of texts) yield ENCODER.encode(text);
}

Deno.test("writeBody() re-encodes chunks and skips empty pieces", async () => {
  const sink = collectingSink();
  const written = await writeBody(
    sink,
    CHUNKED,
    piecesOf("hello", "", " world"),
  );
  assert.equal(written, 11);
  assert.equal(sink.text(), "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
});

Deno.test("writeBody() refuses a length-framed body of the wrong size", async () => {
  const framing = { kind: "length", length: 4 } as const;
  await assert.rejects(
    () => writeBody(collectingSink(), framing, piecesOf("hello")),
    RangeError,
  );
  await assert.rejects(
    () => writeBody(collectingSink(), { kind: "none" }, piecesOf("x")),
    RangeError,
  );
});

Deno.test("encodeChunk() output decodes back to the piece", async () => {
  const piece = ENCODER.encode("x".repeat(300));
  const wire = new Uint8Array([
    ...encodeChunk(piece),
    ...ENCODER.encode("0\r\n\r\n"),
  ]);
  const { body } = await readAllOf(wire, CHUNKED);
  assert.equal(body, "x".repeat(300));
});
