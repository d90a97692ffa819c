import assert from "node:assert/strict";
import {
  type ByteSink,
  encodeChunk,
  readBody,
  relayBody,
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

Deno.test("readBody() with reuse yields the same bytes at every split", async () => {
  const wire = ENCODER.encode(
    "5;x=1\r\nhello\r\n6\r\n world\r\n0\r\nT: 1\r\n\r\nNEXT",
  );
  for (const pieces of splits(wire)) {
    const reader = new BufferedReader(piecesSource(pieces));
    let body = "";
    for await (const piece of readBody(reader, CHUNKED, "client", true)) {
      body += DECODER.decode(piece);
    }
    assert.equal(body, "hello world");
    assert.equal(await restOf(reader), "NEXT");
  }
});

Deno.test("readBody() with reuse hands out one growing buffer for a large body", async () => {
  const size = 300 * 1024;
  const reader = new BufferedReader(piecesSource([new Uint8Array(size)]));
  const buffers = new Set<ArrayBufferLike>();
  let total = 0;
  for await (
    const piece of readBody(
      reader,
      { kind: "length", length: size },
      "client",
      true,
    )
  ) {
    buffers.add(piece.buffer);
    total += piece.length;
  }
  assert.equal(total, size);
  assert.ok(buffers.size <= 4, `${buffers.size} buffers for one body`);
});

Deno.test("writeBody() frames pieces of growing and shrinking size", async () => {
  const sink = collectingSink();
  const texts = ["ab", "c".repeat(5000), "d", "e".repeat(70000)];
  await writeBody(sink, CHUNKED, piecesOf(...texts));
  const { body } = await readAllOf(ENCODER.encode(sink.text()), CHUNKED);
  assert.equal(body, texts.join(""));
});

/** Whatever the reader has left, buffered or not yet read. */
async function restOf(reader: BufferedReader): Promise<string> {
  let rest = "";
  let piece = await reader.readSome(1024);
  while (piece !== null) {
    rest += DECODER.decode(piece);
    piece = await reader.readSome(1024);
  }
  return rest;
}

/** A sink that records each write whole. */
function recordingSink(): ByteSink & { writes: string[] } {
  const writes: string[] = [];
  return {
    writes,
    write(bytes) {
      writes.push(String.fromCharCode(...bytes));
      return Promise.resolve(bytes.length);
    },
  };
}

async function relayed(
  wire: Uint8Array[],
  input: BodyFraming,
  output: BodyFraming,
  preread = false,
): Promise<{ text: string; writes: number; written: number; rest: string }> {
  const reader = new BufferedReader(piecesSource(wire));
  // As when the body came in the same read as the head before it.
  if (preread) await reader.readMore();
  const sink = recordingSink();
  const written = await relayBody(
    reader,
    input,
    sink,
    output,
    ENCODER.encode("HEAD\r\n\r\n"),
  );
  return {
    text: sink.writes.join(""),
    writes: sink.writes.length,
    written,
    rest: await restOf(reader),
  };
}

/** Engine bodies and what the client must get, after the head. */
const RELAYED: Array<
  [
    what: string,
    wire: string,
    input: BodyFraming,
    output: BodyFraming,
    out: string,
  ]
> = [
  [
    "chunks as they came",
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    CHUNKED,
    CHUNKED,
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
  ],
  [
    "chunks without extensions or trailers",
    "5;a=b\r\nhello\r\n0;c\r\nX-T: 1\r\n\r\n",
    CHUNKED,
    CHUNKED,
    "5\r\nhello\r\n0\r\n\r\n",
  ],
  [
    "chunks unframed for an HTTP/1.0 client",
    "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
    CHUNKED,
    { kind: "close" },
    "hello world",
  ],
  [
    "exactly Content-Length bytes",
    "0123456789",
    { kind: "length", length: 10 },
    { kind: "length", length: 10 },
    "0123456789",
  ],
  [
    "a close-delimited body to its end",
    "all of it",
    { kind: "close" },
    { kind: "close" },
    "all of it",
  ],
  ["no body", "", { kind: "none" }, { kind: "none" }, ""],
];

for (const [what, wire, input, output, out] of RELAYED) {
  Deno.test(`relayBody() relays ${what} at every split`, async () => {
    const next = input.kind === "close" ? "" : "NEXT";
    for (const pieces of splits(ENCODER.encode(wire + next))) {
      const result = await relayed(pieces, input, output);
      assert.equal(result.text, "HEAD\r\n\r\n" + out);
      assert.equal(result.rest, next, "bytes after the body were eaten");
    }
  });
}

Deno.test("relayBody() writes the head and a buffered body in one write", async () => {
  // The head goes out alone only when nothing of the body is there yet.
  const wire = ENCODER.encode("5\r\nhello\r\n0\r\n\r\n");
  const chunked = await relayed([wire], CHUNKED, CHUNKED, true);
  assert.equal(chunked.writes, 1);
  assert.equal(chunked.written, 5);
  const length = { kind: "length", length: 5 } as const;
  const plain = await relayed([ENCODER.encode("hello")], length, length, true);
  assert.equal(plain.writes, 1);
  assert.equal(plain.text, "HEAD\r\n\r\nhello");
});

for (const [what, wire] of BAD_CHUNKED) {
  Deno.test(`relayBody() answers a chunked body with ${what} with 502`, async () => {
    const bytes = ENCODER.encode(wire);
    for (const pieces of [[bytes], [...bytes].map((b) => Uint8Array.of(b))]) {
      assert.equal(
        await statusOf(relayed(pieces, CHUNKED, CHUNKED)),
        502,
      );
    }
  });
}

Deno.test("relayBody() forwards no framing byte it has not checked", async () => {
  // Everything up to the bad size line may go out; the line itself not.
  const sink = recordingSink();
  const reader = new BufferedReader(
    piecesSource([ENCODER.encode("5\r\nhello\r\nzz\r\nSMUGGLED\r\n")]),
  );
  await assert.rejects(
    () => relayBody(reader, CHUNKED, sink, CHUNKED, new Uint8Array(0)),
    HttpError,
  );
  const sent = sink.writes.join("");
  assert.doesNotMatch(sent, /zz|SMUGGLED/);
});

Deno.test("relayBody() answers a length body that ends early with 502", async () => {
  const length = { kind: "length", length: 10 } as const;
  assert.equal(
    await statusOf(relayed([ENCODER.encode("short")], length, length)),
    502,
  );
});

Deno.test("relayBody() sends what it has before it waits for more", async () => {
  // An event stream: the head, then a chunk split across reads, then a
  // long wait. The client must not wait with it.
  const arrivals = [ENCODER.encode("7\r\nevent"), ENCODER.encode("-1\r\n")];
  let release: (() => void) | undefined;
  const reader = new BufferedReader({
    async read(buffer) {
      const next = arrivals.shift();
      if (next === undefined) {
        await new Promise<void>((resolve) => release = resolve);
        return null;
      }
      buffer.set(next);
      return next.length;
    },
  });
  const sink = recordingSink();
  const outcome = statusOf(relayBody(
    reader,
    CHUNKED,
    sink,
    CHUNKED,
    ENCODER.encode("HEAD\r\n\r\n"),
  ));
  while (release === undefined) await new Promise((r) => setTimeout(r, 1));
  assert.deepEqual(sink.writes, ["HEAD\r\n\r\n", "7\r\nevent", "-1\r\n"]);
  release();
  assert.equal(await outcome, 502, "an unfinished body must fail");
});
