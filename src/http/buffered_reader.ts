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

/** The most one read from the source asks for. */
const MAX_READ_SIZE = 64 * 1024;
// Small to start with: a thousand idle keep-alive clients or open event
// streams should cost a thousand small buffers, not a thousand read-sized
// ones. A reader whose reads keep filling the buffer doubles it, up to
// MAX_READ_SIZE of free space per read.
const INITIAL_SIZE = 1024;
const CR = 0x0d;
const LF = 0x0a;

/**
 * Buffered reads from a {@linkcode ByteSource}. At most one read from the
 * source is in flight at a time: callers that ask for more bytes while a read
 * is pending share its result, so a watcher waiting for the peer to hang up
 * never races the parser for the bytes of the next request.
 */
export class BufferedReader {
  #source: ByteSource;
  #buffer: Uint8Array = new Uint8Array(0);
  #start = 0;
  #end = 0;
  #eof = false;
  #filling: Promise<boolean> | null = null;
  /** Free space the next fill asks for; grows while reads fill it. */
  #readSize = INITIAL_SIZE;

  constructor(source: ByteSource) {
    this.#source = source;
  }

  /** Bytes already read from the source but not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** True once the source has reported its end. */
  get ended(): boolean {
    return this.#eof;
  }

  /** Takes every buffered byte, leaving the buffer empty. */
  takeBuffered(): Uint8Array {
    const bytes = this.#buffer.slice(this.#start, this.#end);
    this.#start = this.#end = 0;
    return bytes;
  }

  /**
   * Reads once more from the source into the buffer, or joins the read in
   * flight. Resolves false at the end of the stream.
   */
  readMore(): Promise<boolean> {
    if (this.#filling === null) {
      if (this.#eof) return Promise.resolve(false);
      this.#filling = this.#fill();
    }
    return this.#filling;
  }

  /**
   * Resolves true as soon as at least one byte is buffered, false when the
   * stream ends first.
   */
  async waitForData(): Promise<boolean> {
    while (this.buffered === 0) {
      if (!await this.readMore()) return false;
    }
    return true;
  }

  /**
   * Reads up to and including the blank line that ends an HTTP head and
   * returns the head without it: a view into the buffer, valid until the
   * next read from the source, so parse it before reading on. Returns null
   * on a clean end of stream before the first byte; throws on an end of
   * stream inside a head, and {@linkcode LineTooLongError} when the head is
   * longer than `maxBytes`, however it arrived.
   */
  async readHead(maxBytes: number): Promise<Uint8Array | null> {
    // Offsets are kept relative to #start: a fill may move the bytes.
    let scanned = 0;
    while (true) {
      const head = this.#takeHeadFrom(scanned, maxBytes);
      if (head !== null) return head;
      scanned = Math.max(0, this.buffered - 3);
      const before = this.buffered;
      if (!await this.readMore()) {
        if (before === 0) return null;
        throw new Deno.errors.UnexpectedEof("end of stream inside a head");
      }
    }
  }

  /**
   * Takes a head like {@linkcode readHead} if it is already buffered whole,
   * without reading; null when it is not (yet).
   */
  takeHead(maxBytes: number): Uint8Array | null {
    return this.#takeHeadFrom(0, maxBytes);
  }

  #takeHeadFrom(scanned: number, maxBytes: number): Uint8Array | null {
    const end = findHeadEnd(this.#buffer, this.#start + scanned, this.#end);
    if (end >= 0) {
      if (end - this.#start > maxBytes) {
        throw new LineTooLongError(`head exceeds ${maxBytes} bytes`);
      }
      const head = this.#buffer.subarray(this.#start, end);
      this.#start = end + 4;
      return head;
    }
    // Up to three buffered bytes may be the start of the blank line.
    if (this.buffered - 3 > maxBytes) {
      throw new LineTooLongError(`head exceeds ${maxBytes} bytes`);
    }
    return null;
  }

  /**
   * Reads one CRLF-terminated line (for chunk sizes and trailers) and
   * returns it without the CRLF. A line that ends in a bare LF is a
   * `SyntaxError`; one longer than `maxBytes` a {@linkcode LineTooLongError}.
   */
  async readLine(maxBytes: number): Promise<string> {
    while (true) {
      const line = this.takeLine(maxBytes);
      if (line !== null) {
        return String.fromCharCode(...line.subarray(0, line.length - 2));
      }
      if (!await this.readMore()) {
        throw new Deno.errors.UnexpectedEof("end of stream inside a line");
      }
    }
  }

  /**
   * Takes one CRLF-terminated line if it is already buffered, without
   * reading: a view of the line with its CRLF, valid until the next read
   * from the source, or null when the line is not complete yet. Throws
   * like {@linkcode readLine} for a bare LF or a line over `maxBytes`.
   */
  takeLine(maxBytes: number): Uint8Array | null {
    const lf = this.#buffer.subarray(this.#start, this.#end).indexOf(LF);
    if (lf < 0) {
      // The line may still end with the CR that is already buffered.
      if (this.buffered > maxBytes + 1) {
        throw new LineTooLongError(`line exceeds ${maxBytes} bytes`);
      }
      return null;
    }
    const at = this.#start + lf;
    if (at === this.#start || this.#buffer[at - 1] !== CR) {
      throw new SyntaxError("line not terminated by CRLF");
    }
    if (at - 1 - this.#start > maxBytes) {
      throw new LineTooLongError(`line exceeds ${maxBytes} bytes`);
    }
    const line = this.#buffer.subarray(this.#start, at + 1);
    this.#start = at + 1;
    return line;
  }

  /**
   * Takes up to `max` buffered bytes without reading: a view that is valid
   * until the next read from the source, so that a relay can write it out
   * without a copy. Empty when nothing is buffered.
   */
  take(max: number): Uint8Array {
    const n = Math.min(max, this.buffered);
    const bytes = this.#buffer.subarray(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }

  /**
   * Reads at most `target.length` bytes into `target`: buffered ones first,
   * else one read from the source straight into it. Resolves with the
   * count, or null at the end of the stream. A caller that reuses `target`
   * for every read costs no allocation per piece.
   */
  async readInto(target: Uint8Array): Promise<number | null> {
    while (this.buffered === 0) {
      if (this.#eof) return null;
      if (this.#filling === null) {
        // Registered as the read in flight, so that nobody reads the
        // source alongside it; joiners look at the buffer again after it.
        const read = this.#source.read(target);
        const filling = read.then((count) => {
          if (count === null) this.#eof = true;
          return count !== null;
        }).finally(() => {
          this.#filling = null;
        });
        this.#filling = filling;
        await filling;
        const n = await read;
        if (n === null) return null;
        if (n > 0) return n;
      } else {
        await this.#filling;
      }
    }
    const n = Math.min(target.length, this.buffered);
    target.set(this.#buffer.subarray(this.#start, this.#start + n));
    this.#start += n;
    return n;
  }

  /**
   * Reads at most `max` bytes: buffered ones first, else one read from the
   * source. Returns null at the end of the stream.
   */
  async readSome(max: number): Promise<Uint8Array | null> {
    if (this.buffered === 0 && max >= MAX_READ_SIZE && !this.#eof) {
      // Large reads go straight from the source to the caller, skipping a
      // copy through the buffer.
      const chunk = new Uint8Array(MAX_READ_SIZE);
      const n = await this.readInto(chunk);
      return n === null ? null : chunk.subarray(0, n);
    }
    if (this.buffered === 0 && !await this.waitForData()) return null;
    const n = Math.min(max, this.buffered);
    const bytes = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    return bytes;
  }

  /** Reads exactly `length` bytes or throws at an early end of stream. */
  async readExact(length: number): Promise<Uint8Array> {
    while (this.buffered < length) {
      if (!await this.readMore()) {
        throw new Deno.errors.UnexpectedEof("end of stream inside a body");
      }
    }
    const bytes = this.#buffer.slice(this.#start, this.#start + length);
    this.#start += length;
    return bytes;
  }

  /** The read in flight; only {@linkcode readMore} starts it. */
  async #fill(): Promise<boolean> {
    try {
      this.#makeRoom();
      const space = this.#buffer.length - this.#end;
      const n = await this.#source.read(this.#buffer.subarray(this.#end));
      if (n === null) {
        this.#eof = true;
        return false;
      }
      this.#end += n;
      if (n === space && this.#readSize < MAX_READ_SIZE) this.#readSize *= 2;
      return true;
    } finally {
      this.#filling = null;
    }
  }

  /** Ensures #readSize free bytes after #end, compacting or growing. */
  #makeRoom() {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#buffer.length - this.#end >= this.#readSize) return;
    const kept = this.#end - this.#start;
    if (this.#buffer.length - kept >= this.#readSize) {
      this.#buffer.copyWithin(0, this.#start, this.#end);
    } else {
      const grown = new Uint8Array(
        Math.max(this.#buffer.length * 2, kept + this.#readSize),
      );
      grown.set(this.#buffer.subarray(this.#start, this.#end));
      this.#buffer = grown;
    }
    this.#start = 0;
    this.#end = kept;
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
