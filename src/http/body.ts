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
const MAX_CHUNK_LINE = 4096;
const MAX_TRAILER_BYTES = 16 * 1024;
const CHUNK_SIZE_REGEXP = /^([0-9A-Fa-f]{1,12})(?:[ \t]*;.*)?$/;
const LAST_CHUNK = new TextEncoder().encode("0\r\n\r\n");

/** Writes every byte, looping over partial writes. */
export async function writeAll(sink: ByteSink, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await sink.write(bytes.subarray(offset));
  }
}

/**
 * Yields the pieces of a body as they arrive. A malformed chunked body is a
 * 400 `HttpError` when `side` is "client" and a 502 when it is the engine.
 */
export async function* readBody(
  reader: BufferedReader,
  framing: BodyFraming,
  side: "client" | "engine",
): AsyncGenerator<Uint8Array> {
  const status = side === "client" ? 400 : 502;
  switch (framing.kind) {
    case "none":
      return;
    case "length": {
      let remaining = framing.length;
      while (remaining > 0) {
        const piece = await reader.readSome(Math.min(remaining, PIECE_SIZE));
        if (piece === null) {
          throw new HttpError(status, `${side} body ended early`);
        }
        remaining -= piece.length;
        yield piece;
      }
      return;
    }
    case "close": {
      let piece = await reader.readSome(PIECE_SIZE);
      while (piece !== null) {
        yield piece;
        piece = await reader.readSome(PIECE_SIZE);
      }
      return;
    }
    case "chunked":
      yield* readChunks(reader, status, side);
  }
}

async function* readChunks(
  reader: BufferedReader,
  status: number,
  side: string,
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
      const piece = await reader.readSome(Math.min(remaining, PIECE_SIZE));
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
  const size = piece.length.toString(16);
  const chunk = new Uint8Array(size.length + piece.length + 4);
  for (let i = 0; i < size.length; i++) chunk[i] = size.charCodeAt(i);
  chunk[size.length] = 0x0d;
  chunk[size.length + 1] = 0x0a;
  chunk.set(piece, size.length + 2);
  chunk[chunk.length - 2] = 0x0d;
  chunk[chunk.length - 1] = 0x0a;
  return chunk;
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
  for await (const piece of pieces) {
    if (piece.length === 0) continue;
    written += piece.length;
    if (framing.kind === "chunked") {
      await writeAll(sink, encodeChunk(piece));
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
