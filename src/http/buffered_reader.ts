/**
 * A reader over a byte stream that can hand back what it over-read.
 *
 * Both sides of the proxy speak HTTP/1.1 over raw sockets, so both need to
 * find the end of a message head, read exact lengths and chunk lines, and
 * then pass every byte that followed, untouched, to whoever reads next (the
 * next pipelined request, a response body, or a hijacked tunnel).
 */

/** Something bytes can be read from, like `Deno.Conn`. */
export interface ByteSource {
  read(buffer: Uint8Array): Promise<number | null>;
}

/** Thrown when a head or line grows past the limit it was read with. */
export class LineTooLongError extends RangeError {}

const READ_SIZE = 64 * 1024;
const CR = 0x0d;
const LF = 0x0a;

export class BufferedReader {
  #source: ByteSource;
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #eof = false;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** Bytes already read from the source but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Takes every buffered byte, leaving the buffer empty. */
  takeBuffered(): Uint8Array {
    const bytes = this.#buffer.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return bytes;
  }

  /**
   * Reads up to and including the blank line that ends an HTTP head and
   * returns the head without it. Returns null on a clean end of stream before
   * the first byte; throws on an end of stream inside a head.
   */
  async readHead(maxBytes: number): Promise<Uint8Array | null> {
    // Offsets are kept relative to #start: a fill may move the bytes.
    let scanned = 0;
    while (true) {
      const end = findHeadEnd(
        this.#buffer,
        this.#start + scanned,
        this.#end,
      );
      if (end >= 0) {
        const head = this.#buffer.slice(this.#start, end);
        this.#start = end + 4;
        return head;
      }
      if (this.buffered > maxBytes) {
        throw new LineTooLongError(`head exceeds ${maxBytes} bytes`);
      }
      scanned = Math.max(0, this.buffered - 3);
      const before = this.buffered;
      if (!await this.#fill()) {
        if (before === 0) return null;
        throw new Deno.errors.UnexpectedEof("end of stream inside a head");
      }
    }
  }

  /** Reads one CRLF-terminated line (for chunk sizes and trailers). */
  async readLine(maxBytes: number): Promise<string> {
    let scanned = 0;
    while (true) {
      const from = this.#start + scanned;
      const lf = this.#buffer.subarray(from, this.#end).indexOf(LF);
      if (lf >= 0) {
        const at = from + lf;
        if (at === this.#start || this.#buffer[at - 1] !== CR) {
          throw new SyntaxError("line not terminated by CRLF");
        }
        const line = this.#buffer.subarray(this.#start, at - 1);
        this.#start = at + 1;
        return String.fromCharCode(...line);
      }
      if (this.buffered > maxBytes) {
        throw new LineTooLongError(`line exceeds ${maxBytes} bytes`);
      }
      scanned = this.buffered;
      if (!await this.#fill()) {
        throw new Deno.errors.UnexpectedEof("end of stream inside a line");
      }
    }
  }

  /**
   * Reads at most `max` bytes: buffered ones first, else one read from the
   * source. Returns null at the end of the stream.
   */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.buffered === 0) {
      if (this.#eof) return null;
      if (max >= READ_SIZE) {
        // Large reads go straight from the source to the caller, skipping a
        // copy through the buffer: bodies and tunnels are the hot path.
        const chunk = new Uint8Array(READ_SIZE);
        const n = await this.#source.read(chunk);
        if (n === null) {
          this.#eof = true;
          return null;
        }
        return chunk.subarray(0, n);
      }
      if (!await this.#fill()) return null;
    }
    const n = Math.min(max, this.buffered);
    const bytes = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }

  /** Reads exactly `length` bytes or throws at an early end of stream. */
  async readExact(length: number): Promise<Uint8Array> {
    while (this.buffered < length) {
      if (!await this.#fill()) {
        throw new Deno.errors.UnexpectedEof("end of stream inside a body");
      }
    }
    const bytes = this.#buffer.slice(this.#start, this.#start + length);
    this.#start += length;
    return bytes;
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
    }
    if (this.#buffer.length - this.#end < READ_SIZE) {
      const kept = this.#end - this.#start;
      const grown = new Uint8Array(Math.max(kept + READ_SIZE, READ_SIZE * 2));
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
      this.#start = 0;
      this.#end = kept;
    }
    const n = await this.#source.read(this.#buffer.subarray(this.#end));
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }
}

function findHeadEnd(buffer: Uint8Array, from: number, to: number): number {
  let i = buffer.indexOf(CR, from);
  while (i >= 0 && i + 3 < to) {
    if (
      buffer[i + 1] === LF && buffer[i + 2] === CR && buffer[i + 3] === LF
    ) {
      return i;
    }
    i = buffer.indexOf(CR, i + 1);
  }
  return -1;
}
