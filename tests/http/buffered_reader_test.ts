import assert from "node:assert/strict";
import {
  BufferedReader,
  type ByteSource,
  LineTooLongError,
} from "../../src/http/buffered_reader.ts";
import { piecesSource, splits } from "./_pieces.ts";

const ENCODER = new TextEncoder();

function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : new TextDecoder().decode(bytes);
}

const PIPELINE = ENCODER.encode(
  "GET /a HTTP/1.1\r\nHost: x\r\n\r\n" +
    "POST /b HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello" +
    "GET /c HTTP/1.1\r\n\r\n",
);

Deno.test("BufferedReader reads pipelined heads and bodies at every split", async () => {
  for (const pieces of splits(PIPELINE)) {
    const reader = new BufferedReader(piecesSource(pieces));
    assert.equal(
      text(await reader.readHead(1024)),
      "GET /a HTTP/1.1\r\nHost: x",
    );
    assert.equal(
      text(await reader.readHead(1024)),
      "POST /b HTTP/1.1\r\nContent-Length: 5",
    );
    assert.equal(text(await reader.readExact(5)), "hello");
    assert.equal(text(await reader.readHead(1024)), "GET /c HTTP/1.1");
    assert.equal(await reader.readHead(1024), null);
  }
});

Deno.test("BufferedReader.readHead() enforces the limit however the head arrives", async () => {
  const head = ENCODER.encode(`GET / HTTP/1.1\r\nX: ${"a".repeat(40)}\r\n\r\n`);
  const size = head.length - 4;
  for (const pieces of splits(head)) {
    const exact = new BufferedReader(piecesSource(pieces));
    assert.equal((await exact.readHead(size))?.length, size);
    const short = new BufferedReader(piecesSource(pieces));
    await assert.rejects(() => short.readHead(size - 1), LineTooLongError);
  }
});

Deno.test("BufferedReader.readHead() stops reading once past the limit", async () => {
  // An endless head: the reader must give up, not buffer without bound.
  const source: ByteSource & { reads: number } = {
    reads: 0,
    read(buffer) {
      this.reads++;
      buffer.fill(0x61);
      return Promise.resolve(buffer.length);
    },
  };
  const reader = new BufferedReader(source);
  await assert.rejects(() => reader.readHead(64 * 1024), LineTooLongError);
  assert.ok(reader.buffered < 256 * 1024, `buffered ${reader.buffered}`);
});

Deno.test("BufferedReader.readHead() returns null only before the first byte", async () => {
  assert.equal(await new BufferedReader(piecesSource([])).readHead(10), null);
  const cut = new BufferedReader(piecesSource([ENCODER.encode("GET / HT")]));
  await assert.rejects(() => cut.readHead(100), Deno.errors.UnexpectedEof);
});

Deno.test("BufferedReader.readLine() reads CRLF lines at every split", async () => {
  const lines = ENCODER.encode("5;ext=1\r\n\r\nlast\r\n");
  for (const pieces of splits(lines)) {
    const reader = new BufferedReader(piecesSource(pieces));
    assert.equal(await reader.readLine(16), "5;ext=1");
    assert.equal(await reader.readLine(16), "");
    assert.equal(await reader.readLine(4), "last");
    await assert.rejects(() => reader.readLine(4), Deno.errors.UnexpectedEof);
  }
});

Deno.test("BufferedReader.readLine() refuses a bare LF and an overlong line", async () => {
  for (const pieces of splits(ENCODER.encode("abc\ndef\r\n"))) {
    const reader = new BufferedReader(piecesSource(pieces));
    await assert.rejects(() => reader.readLine(16), SyntaxError);
  }
  for (const pieces of splits(ENCODER.encode("abcdef\r\n"))) {
    const reader = new BufferedReader(piecesSource(pieces));
    await assert.rejects(() => reader.readLine(5), LineTooLongError);
  }
  const bareFirst = new BufferedReader(piecesSource([ENCODER.encode("\n")]));
  await assert.rejects(() => bareFirst.readLine(5), SyntaxError);
});

Deno.test("BufferedReader.readSome() hands out buffered bytes before reading", async () => {
  for (const pieces of splits(PIPELINE)) {
    const reader = new BufferedReader(piecesSource(pieces));
    await reader.readHead(1024);
    let rest = "";
    let piece = await reader.readSome(7);
    while (piece !== null) {
      assert.ok(piece.length <= 7 && piece.length > 0);
      rest += text(piece);
      piece = await reader.readSome(7);
    }
    assert.equal(rest, new TextDecoder().decode(PIPELINE).slice(28));
    assert.equal(reader.ended, true);
  }
});

Deno.test("BufferedReader.takeBuffered() returns what was over-read", async () => {
  const reader = new BufferedReader(piecesSource([PIPELINE]));
  await reader.readHead(1024);
  const rest = reader.takeBuffered();
  assert.equal(text(rest), new TextDecoder().decode(PIPELINE).slice(28));
  assert.equal(reader.buffered, 0);
});

Deno.test("BufferedReader shares one read between concurrent callers", async () => {
  let pending: ((n: number | null) => void) | undefined;
  let target: Uint8Array | undefined;
  let reads = 0;
  const reader = new BufferedReader({
    read(buffer) {
      reads++;
      target = buffer;
      return new Promise((resolve) => pending = resolve);
    },
  });
  // A watcher waits for more while the parser asks for the next head.
  const watcher = reader.readMore();
  const head = reader.readHead(100);
  assert.equal(reads, 1);
  const bytes = ENCODER.encode("GET / HTTP/1.1\r\n\r\n");
  target!.set(bytes);
  pending!(bytes.length);
  assert.equal(await watcher, true);
  assert.equal(text(await head), "GET / HTTP/1.1");
  assert.equal(reads, 1);
});

Deno.test("BufferedReader.waitForData() resolves false at the end of the stream", async () => {
  const empty = new BufferedReader(piecesSource([]));
  assert.equal(await empty.waitForData(), false);
  const one = new BufferedReader(
    piecesSource([new Uint8Array(0), ENCODER.encode("x")]),
  );
  assert.equal(await one.waitForData(), true);
  assert.equal(one.buffered, 1);
});

Deno.test("BufferedReader asks an idle connection for a small read", async () => {
  // A thousand idle keep-alive clients should cost small buffers each.
  let asked = 0;
  const probe = new BufferedReader({
    read(target) {
      asked = target.length;
      return Promise.resolve(null);
    },
  });
  await probe.readMore();
  assert.ok(asked > 0 && asked <= 16 * 1024, `first read asked for ${asked}`);
});

Deno.test("BufferedReader.takeHead() and takeLine() take only what is buffered", async () => {
  const wire = ENCODER.encode("GET / HTTP/1.1\r\nX: 1\r\n\r\n5;e\r\n");
  for (const pieces of splits(wire)) {
    const source = piecesSource(pieces);
    const reader = new BufferedReader(source);
    let head = reader.takeHead(1024);
    while (head === null) {
      const reads = source.reads;
      assert.equal(reader.takeHead(1024), null);
      assert.equal(source.reads, reads, "takeHead() read from the source");
      assert.ok(await reader.readMore());
      head = reader.takeHead(1024);
    }
    assert.equal(text(head), "GET / HTTP/1.1\r\nX: 1");
    let line = reader.takeLine(16);
    while (line === null) {
      assert.ok(await reader.readMore());
      line = reader.takeLine(16);
    }
    assert.equal(text(line), "5;e\r\n", "the line lost its CRLF");
    assert.equal(reader.buffered, 0);
  }
});

Deno.test("BufferedReader.takeLine() refuses a bare LF and an overlong line", async () => {
  const bare = new BufferedReader(piecesSource([ENCODER.encode("ab\ncd\r\n")]));
  await bare.readMore();
  assert.throws(() => bare.takeLine(16), SyntaxError);
  const long = new BufferedReader(piecesSource([ENCODER.encode("abcdefgh")]));
  await long.readMore();
  // No line end yet, but already longer than any line it could become.
  assert.throws(() => long.takeLine(5), LineTooLongError);
});

Deno.test("BufferedReader.take() hands out buffered bytes without reading", async () => {
  const source = piecesSource([ENCODER.encode("abcdef"), ENCODER.encode("g")]);
  const reader = new BufferedReader(source);
  assert.equal(reader.take(4).length, 0);
  assert.equal(source.reads, 0);
  await reader.readMore();
  assert.equal(text(reader.take(4)), "abcd");
  assert.equal(text(reader.take(4)), "ef");
  assert.equal(reader.take(4).length, 0);
  assert.equal(source.reads, 1);
});

Deno.test("BufferedReader.readInto() gives buffered bytes first, then the rest of the stream", async () => {
  for (const pieces of splits(PIPELINE)) {
    const reader = new BufferedReader(piecesSource(pieces));
    await reader.readHead(1024);
    const target = new Uint8Array(7);
    let rest = "";
    let n = await reader.readInto(target);
    while (n !== null) {
      rest += text(target.subarray(0, n));
      n = await reader.readInto(target);
    }
    assert.equal(rest, new TextDecoder().decode(PIPELINE).slice(28));
    assert.equal(await reader.readInto(target), null);
  }
});

Deno.test("BufferedReader.readInto() reads straight into the target and never alongside another read", async () => {
  let pending: ((n: number | null) => void) | undefined;
  let target: Uint8Array | undefined;
  let reads = 0;
  const reader = new BufferedReader({
    read(buffer) {
      reads++;
      target = buffer;
      return new Promise((resolve) => pending = resolve);
    },
  });
  const mine = new Uint8Array(8);
  const direct = reader.readInto(mine);
  assert.equal(target, mine, "the read did not go straight to the target");
  // A watcher asks for more meanwhile: it must wait, not read too.
  const watcher = reader.readMore();
  assert.equal(reads, 1);
  target!.set(ENCODER.encode("abc"));
  pending!(3);
  assert.equal(await direct, 3);
  assert.equal(text(mine.subarray(0, 3)), "abc");
  // The watcher learns that a read happened and looks again itself.
  assert.equal(await watcher, true);
  assert.equal(reader.buffered, 0);
  assert.equal(reads, 1);
  const next = reader.readMore();
  assert.equal(reads, 2);
  pending!(null);
  assert.equal(await next, false);
});

Deno.test("BufferedReader starts with a small buffer and grows it while reads fill it", async () => {
  const asked: number[] = [];
  let left = 512 * 1024;
  const reader = new BufferedReader({
    read(buffer) {
      asked.push(buffer.length);
      if (left === 0) return Promise.resolve(null);
      const n = Math.min(left, buffer.length);
      left -= n;
      return Promise.resolve(n);
    },
  });
  while (await reader.readMore()) reader.take(Number.MAX_SAFE_INTEGER);
  assert.equal(asked[0], 1024, "the first read was not small");
  assert.ok(asked.every((size) => size <= 128 * 1024), String(asked));
  assert.ok(
    asked.filter((size) => size >= 64 * 1024).length > 4,
    `reads never grew: ${asked}`,
  );
});
