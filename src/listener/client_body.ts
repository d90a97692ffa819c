/**
 * The body a client sends, readable once: either streamed to the engine as
 * it arrives, or read whole by policy before anything is forwarded.
 */
import type { BufferedReader } from "../http/buffered_reader.ts";
import { readBody } from "../http/body.ts";
import { type BodyFraming, HttpError } from "../http/message.ts";

export class ClientBody {
  #reader: BufferedReader;
  #framing: BodyFraming;
  #started = false;
  #finished: boolean;
  bytesRead = 0;
  /**
   * Why reading the body failed (a malformed chunk, an early end), once it
   * has. Whoever was reading may have turned that into a 5xx of its own;
   * the listener answers with this instead.
   */
  error: unknown = undefined;

  constructor(reader: BufferedReader, framing: BodyFraming) {
    this.#reader = reader;
    this.#framing = framing;
    this.#finished = framing.kind === "none";
  }

  /** True once every byte of the body has been read off the connection. */
  get finished(): boolean {
    return this.#finished;
  }

  /**
   * Streams the body; it can be taken only once. With `reuse` (for
   * forwarding), each piece is a view into one buffer that the next piece
   * overwrites, so it must be written out before the next is asked for.
   */
  async *pieces(reuse = false): AsyncGenerator<Uint8Array> {
    if (this.#started) throw new Error("request body already consumed");
    this.#started = true;
    try {
      for await (
        const piece of readBody(this.#reader, this.#framing, "client", reuse)
      ) {
        this.bytesRead += piece.length;
        yield piece;
      }
    } catch (error) {
      this.error = error;
      throw error;
    }
    this.#finished = true;
  }

  /**
   * Reads the whole body, refusing one larger than `maxBytes` before reading
   * it when its length is declared, and as soon as it grows past when not.
   */
  async readAll(maxBytes: number): Promise<Uint8Array> {
    if (this.#framing.kind === "length" && this.#framing.length > maxBytes) {
      this.error = new HttpError(
        413,
        `request body of ${this.#framing.length} bytes exceeds the ${maxBytes} byte limit for inspected bodies`,
      );
      throw this.error;
    }
    const pieces: Uint8Array[] = [];
    let total = 0;
    for await (const piece of this.pieces()) {
      total += piece.length;
      if (total > maxBytes) {
        this.error = new HttpError(
          413,
          `request body exceeds the ${maxBytes} byte limit for inspected bodies`,
        );
        throw this.error;
      }
      pieces.push(piece);
    }
    const body = new Uint8Array(total);
    let offset = 0;
    for (const piece of pieces) {
      body.set(piece, offset);
      offset += piece.length;
    }
    return body;
  }
}
