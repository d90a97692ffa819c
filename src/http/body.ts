/**
 * Reading and writing message bodies in their wire framing.
 *
 * Bodies are streamed piece by piece in both directions; nothing here holds
 * more than one piece, so a 1 GiB `docker load` costs a few buffers.
 */
import { type BufferedReader, LineTooLongError } from "./buffered_reader.ts";
import { type BodyFraming, HttpError } from "./message.ts";

/** Something bytes can be written to, like `Deno.Conn`. */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<number>;
}

const PIECE_SIZE = 64 * 1024;
const INITIAL_PIECE_SIZE = 4 * 1024;
const MAX_CHUNK_LINE = 4096;
// A size line of up to 12 hex digits, its CRLF and the CRLF after the data.
const CHUNK_FRAMING_BYTES = 16;
const MAX_TRAILER_BYTES = 16 * 1024;
const CHUNK_SIZE_REGEXP = /^([0-9A-Fa-f]{1,12})(?:[ \t]*;.*)?$/;
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");
const CHUNK_SIZE_ONLY_REGEXP = /^[0-9A-Fa-f]{1,12}$/;
const ENCODER = new TextEncoder();

/** Writes every byte, looping over partial writes. */
export async function writeAll(sink: ByteSink, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await sink.write(bytes.subarray(offset));
  }
}

/**
 * Successive pieces of a stream read into one buffer, which starts small
 * and grows while reads fill it: forwarding a large body or a tunnel then
 * costs one buffer, not one per piece. A piece is valid until the next read.
 */
export class PieceBuffer {
  #buffer = new Uint8Array(0);

  /** Reads at most `max` bytes; null at the end of the stream. */
  async read(reader: BufferedReader, max: number): Promise<Uint8Array | null> {
    if (this.#buffer.length === 0) {
      this.#buffer = new Uint8Array(INITIAL_PIECE_SIZE);
    }
    const buffer = this.#buffer;
    const n = await reader.readInto(
      buffer.subarray(0, Math.min(max, buffer.length)),
    );
    if (n === null) return null;
    if (n === buffer.length && buffer.length < PIECE_SIZE) {
      this.#buffer = new Uint8Array(buffer.length * 4);
    }
    return buffer.subarray(0, n);
  }
}

/** Pieces that each get a buffer of their own, or share a PieceBuffer. */
function pieceSource(
  reuse: boolean,
): (reader: BufferedReader, max: number) => Promise<Uint8Array | null> {
  if (!reuse) {
    return (reader, max) => reader.readSome(Math.min(max, PIECE_SIZE));
  }
  const buffer = new PieceBuffer();
  return (reader, max) => buffer.read(reader, Math.min(max, PIECE_SIZE));
}

/**
 * Yields the pieces of a body as they arrive. A malformed chunked body is a
 * 400 `HttpError` when `side` is "client" and a 502 when it is the engine.
 * With `reuse`, every piece is a view into one buffer that the next piece
 * overwrites: the caller must be done with a piece before asking for the
 * next (forwarding does that; collecting a body does not).
 */
export async function* readBody(
  reader: BufferedReader,
  framing: BodyFraming,
  side: "client" | "engine",
  reuse = false,
): AsyncGenerator<Uint8Array> {
  const status = side === "client" ? 400 : 502;
  const readPiece = pieceSource(reuse);
  switch (framing.kind) {
    case "none":
      return;
    case "length": {
      let remaining = framing.length;
      while (remaining > 0) {
        const piece = await readPiece(reader, remaining);
        if (piece === null) {
          throw new HttpError(status, `${side} body ended early`);
        }
        remaining -= piece.length;
        yield piece;
      }
      return;
    }
    case "close": {
      let piece = await readPiece(reader, PIECE_SIZE);
      while (piece !== null) {
        yield piece;
        piece = await readPiece(reader, PIECE_SIZE);
      }
      return;
    }
    case "chunked":
      yield* readChunks(reader, status, side, readPiece);
  }
}

async function* readChunks(
  reader: BufferedReader,
  status: number,
  side: string,
  readPiece: (
    reader: BufferedReader,
    max: number,
  ) => Promise<Uint8Array | null>,
): AsyncGenerator<Uint8Array> {
  while (true) {
    const line = await readFramingLine(reader, MAX_CHUNK_LINE, status, side);
    const match = CHUNK_SIZE_REGEXP.exec(line);
    if (!match) {
      throw new HttpError(status, `invalid chunk size line from ${side}`);
    }
    let remaining = parseInt(match[1] ?? "", 16);
    if (remaining === 0) {
      await skipTrailers(reader, status, side);
      return;
    }
    while (remaining > 0) {
      const piece = await readPiece(reader, remaining);
      if (piece === null) {
        throw new HttpError(status, `${side} chunk ended early`);
      }
      remaining -= piece.length;
      yield piece;
    }
    if (await readFramingLine(reader, 0, status, side) !== "") {
      throw new HttpError(status, `chunk from ${side} not followed by CRLF`);
    }
  }
}

/**
 * Reads a chunk-size, chunk-end or trailer line. A malformed one is the
 * sender's protocol error, reported with the status for that side, so that a
 * bad client body is never mistaken for a failing engine or the reverse.
 */
async function readFramingLine(
  reader: BufferedReader,
  maxBytes: number,
  status: number,
  side: string,
): Promise<string> {
  try {
    return await reader.readLine(maxBytes);
  } catch (error) {
    if (error instanceof LineTooLongError) {
      throw new HttpError(status, `chunk framing line from ${side} too long`);
    }
    if (error instanceof SyntaxError) {
      throw new HttpError(status, `chunk framing from ${side}: bare LF`);
    }
    if (error instanceof Deno.errors.UnexpectedEof) {
      throw new HttpError(status, `${side} chunked body ended early`);
    }
    throw error;
  }
}

async function skipTrailers(
  reader: BufferedReader,
  status: number,
  side: string,
) {
  let total = 0;
  while (true) {
    const line = await readFramingLine(
      reader,
      MAX_TRAILER_BYTES,
      status,
      side,
    );
    if (line === "") return;
    total += line.length;
    if (total > MAX_TRAILER_BYTES) {
      throw new HttpError(status, `trailers from ${side} too large`);
    }
  }
}

/** Encodes one piece as a chunk in a single buffer, to save a write. */
export function encodeChunk(piece: Uint8Array): Uint8Array {
  const chunk = new Uint8Array(piece.length + CHUNK_FRAMING_BYTES);
  return chunk.subarray(0, encodeChunkInto(piece, chunk));
}

/** Writes `piece` as a chunk at the start of `target`; returns its length. */
function encodeChunkInto(piece: Uint8Array, target: Uint8Array): number {
  const size = piece.length.toString(16);
  for (let i = 0; i < size.length; i++) target[i] = size.charCodeAt(i);
  target[size.length] = 0x0d;
  target[size.length + 1] = 0x0a;
  target.set(piece, size.length + 2);
  const end = size.length + 2 + piece.length;
  target[end] = 0x0d;
  target[end + 1] = 0x0a;
  return end + 2;
}

/**
 * Writes pieces to a sink in the given framing. Returns the number of body
 * bytes written (without chunk framing). A length-framed body must produce
 * exactly its length.
 */
export async function writeBody(
  sink: ByteSink,
  framing: BodyFraming,
  pieces: AsyncIterable<Uint8Array>,
): Promise<number> {
  let written = 0;
  // One buffer for every chunk of the body, grown to the largest piece.
  let chunk = new Uint8Array(0);
  for await (const piece of pieces) {
    if (piece.length === 0) continue;
    written += piece.length;
    if (framing.kind === "chunked") {
      if (chunk.length < piece.length + CHUNK_FRAMING_BYTES) {
        chunk = new Uint8Array(piece.length + CHUNK_FRAMING_BYTES);
      }
      await writeAll(sink, chunk.subarray(0, encodeChunkInto(piece, chunk)));
    } else if (framing.kind === "none") {
      throw new RangeError("body bytes for a message without a body");
    } else {
      await writeAll(sink, piece);
    }
  }
  if (framing.kind === "chunked") await writeAll(sink, LAST_CHUNK);
  if (framing.kind === "length" && written !== framing.length) {
    throw new RangeError(
      `body length ${written} does not match Content-Length ${framing.length}`,
    );
  }
  return written;
}

/**
 * Byte ranges waiting to go out in one write. Neighbouring views of the
 * same buffer are merged, so bytes relayed verbatim from a reader's buffer
 * go out without a copy; anything else is joined into one buffer.
 */
class PendingWrite {
  #parts: Uint8Array[] = [];

  add(bytes: Uint8Array) {
    if (bytes.length === 0) return;
    const last = this.#parts.at(-1);
    if (
      last !== undefined && last.buffer === bytes.buffer &&
      last.byteOffset + last.length === bytes.byteOffset
    ) {
      this.#parts[this.#parts.length - 1] = new Uint8Array(
        last.buffer,
        last.byteOffset,
        last.length + bytes.length,
      );
    } else {
      this.#parts.push(bytes);
    }
  }

  async flush(sink: ByteSink) {
    const parts = this.#parts;
    if (parts.length === 0) return;
    this.#parts = [];
    if (parts.length === 1) return await writeAll(sink, parts[0]!);
    await writeJoined(sink, parts);
  }
}

// Buffers for joining the parts of a small write, reused once the write is
// done: a fresh ArrayBuffer per message costs more than the copy into it.
const SCRATCH_SIZE = 16 * 1024;
const MAX_SPARE_SCRATCH = 64;
const spareScratch: Uint8Array[] = [];

/** Writes `parts` as one buffer, so that they go out in one write. */
export async function writeJoined(sink: ByteSink, parts: Uint8Array[]) {
  let total = 0;
  for (const part of parts) total += part.length;
  const scratch = total <= SCRATCH_SIZE
    ? spareScratch.pop() ?? new Uint8Array(SCRATCH_SIZE)
    : new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    scratch.set(part, offset);
    offset += part.length;
  }
  try {
    await writeAll(sink, scratch.subarray(0, total));
  } finally {
    // A write has finished with its buffer once it settles, either way.
    if (
      scratch.length === SCRATCH_SIZE &&
      spareScratch.length < MAX_SPARE_SCRATCH
    ) {
      spareScratch.push(scratch);
    }
  }
}

/**
 * Relays a body from the engine: reads it from `reader` in its `input`
 * framing and writes it to `sink` in `output` framing, after `prefix` (the
 * response head). Every framing byte is checked before anything after it
 * is forwarded, and a malformed body is a 502 `HttpError`, as with
 * {@linkcode readBody}. Whatever a read brought in goes out in one write,
 * the head with the first of it: bytes whose framing is unchanged (length
 * and close bodies, chunks without extensions) are written straight from
 * the reader's buffer. Chunk extensions and trailers are dropped. Returns
 * the number of body bytes written (without chunk framing).
 */
export async function relayBody(
  reader: BufferedReader,
  input: BodyFraming,
  sink: ByteSink,
  output: BodyFraming,
  prefix: Uint8Array,
): Promise<number> {
  const pending = new PendingWrite();
  pending.add(prefix);
  if (input.kind === "chunked") {
    if (output.kind !== "chunked" && output.kind !== "close") {
      throw new RangeError(`cannot relay chunks as ${output.kind}`);
    }
    return await relayChunks(reader, sink, pending, output.kind === "chunked");
  }
  if (output.kind !== input.kind) {
    throw new RangeError(`cannot relay ${input.kind} as ${output.kind}`);
  }
  let remaining = input.kind === "length" ? input.length : 0;
  let written = 0;
  while (input.kind !== "none") {
    const piece = reader.take(
      input.kind === "length" ? remaining : Number.MAX_SAFE_INTEGER,
    );
    pending.add(piece);
    written += piece.length;
    remaining -= piece.length;
    if (input.kind === "length" && remaining === 0) break;
    // Views into the reader's buffer must be out before it reads again.
    await pending.flush(sink);
    if (!await reader.readMore()) {
      if (input.kind === "close") break;
      throw new HttpError(502, "engine body ended early");
    }
  }
  await pending.flush(sink);
  return written;
}

type ChunkState = "size" | "data" | "data-end" | "trailers";

async function relayChunks(
  reader: BufferedReader,
  sink: ByteSink,
  pending: PendingWrite,
  chunked: boolean,
): Promise<number> {
  let state: ChunkState = "size";
  let remaining = 0;
  let written = 0;
  let trailerBytes = 0;
  // The "0" line, forwarded as it came only if the blank line follows it in
  // the same buffer (no trailers, no extension).
  let lastLine: Uint8Array | null = null;
  while (true) {
    while (true) {
      if (state === "data") {
        const piece = reader.take(remaining);
        if (piece.length === 0) break;
        pending.add(piece);
        written += piece.length;
        remaining -= piece.length;
        if (remaining === 0) state = "data-end";
        continue;
      }
      const line = takeEngineLine(
        reader,
        state === "size"
          ? MAX_CHUNK_LINE
          : state === "data-end"
          ? 0
          : MAX_TRAILER_BYTES,
      );
      if (line === null) break;
      if (state === "data-end") {
        if (line.length !== 2) {
          throw new HttpError(502, "chunk from engine not followed by CRLF");
        }
        if (chunked) pending.add(line);
        state = "size";
      } else if (state === "size") {
        const text = String.fromCharCode(...line.subarray(0, line.length - 2));
        const match = CHUNK_SIZE_REGEXP.exec(text);
        if (!match) {
          throw new HttpError(502, "invalid chunk size line from engine");
        }
        const verbatim = CHUNK_SIZE_ONLY_REGEXP.test(text);
        remaining = parseInt(match[1] ?? "", 16);
        if (remaining === 0) {
          state = "trailers";
          lastLine = verbatim ? line : null;
        } else {
          state = "data";
          if (chunked) {
            pending.add(
              verbatim ? line : ENCODER.encode(`${remaining.toString(16)}\r\n`),
            );
          }
        }
      } else if (line.length === 2) {
        if (chunked && lastLine !== null) {
          pending.add(lastLine);
          pending.add(line);
        } else if (chunked) {
          pending.add(LAST_CHUNK);
        }
        await pending.flush(sink);
        return written;
      } else {
        lastLine = null;
        trailerBytes += line.length - 2;
        if (trailerBytes > MAX_TRAILER_BYTES) {
          throw new HttpError(502, "trailers from engine too large");
        }
      }
    }
    await pending.flush(sink);
    // The "0" line is a view into the buffer that the next read may reuse.
    lastLine = null;
    if (!await reader.readMore()) {
      throw new HttpError(502, "engine chunked body ended early");
    }
  }
}

/** {@linkcode BufferedReader.takeLine} with engine protocol errors. */
function takeEngineLine(
  reader: BufferedReader,
  maxBytes: number,
): Uint8Array | null {
  try {
    return reader.takeLine(maxBytes);
  } catch (error) {
    if (error instanceof LineTooLongError) {
      throw new HttpError(502, "chunk framing line from engine too long");
    }
    if (error instanceof SyntaxError) {
      throw new HttpError(502, "chunk framing from engine: bare LF");
    }
    throw error;
  }
}
