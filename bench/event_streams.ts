/**
 * Many open `GET /events` streams at once, each on its own connection, as
 * dashboards and log shippers hold them. A stream counts as alive at the
 * end when it is still open and delivers an event sent after the hold.
 *
 * @module
 */

import { splitAddr } from "./probe.ts";

/** Handles on the open streams of one target. */
export interface EventStreams {
  /** Streams whose head said 200. */
  readonly opened: number;
  /** Streams that ended or failed since they opened. */
  closedEarly(): number;
  /** Waits up to `timeoutMs` until every open stream has seen `marker`. */
  waitForMarker(marker: string, timeoutMs: number): Promise<number>;
  /** Closes every stream. */
  close(): void;
}

interface Stream {
  conn: Deno.TcpConn;
  /** The last bytes seen, as text, so a marker split by reads is found. */
  tail: string;
  /** The text {@linkcode EventStreams.waitForMarker} looks for. */
  marker: string | null;
  sawMarker: boolean;
  ended: boolean;
}

const BATCH = 100;
const TAIL_CHARS = 512;
const HEAD_END = "\r\n\r\n";
const ENCODER = new TextEncoder();

/**
 * Opens `count` event streams to `addr`, `BATCH` connections at a time, and
 * keeps reading them in the background. Throws when one is refused.
 */
export async function openEventStreams(
  addr: string,
  count: number,
): Promise<EventStreams> {
  const streams: Stream[] = [];
  try {
    for (let first = 0; first < count; first += BATCH) {
      const size = Math.min(BATCH, count - first);
      const batch = await Promise.all(
        Array.from({ length: size }, () => openOne(addr)),
      );
      streams.push(...batch);
    }
  } catch (error) {
    for (const stream of streams) closeQuietly(stream.conn);
    throw error;
  }
  for (const stream of streams) void readForever(stream);
  return {
    opened: streams.length,
    closedEarly: () => streams.filter((stream) => stream.ended).length,
    async waitForMarker(marker, timeoutMs) {
      for (const stream of streams) {
        stream.marker = marker;
        stream.sawMarker = stream.tail.includes(marker);
      }
      const deadline = performance.now() + timeoutMs;
      const saw = () => streams.filter((stream) => stream.sawMarker).length;
      while (saw() < streams.length && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return saw();
    },
    close() {
      for (const stream of streams) {
        stream.ended = true;
        closeQuietly(stream.conn);
      }
    },
  };
}

async function openOne(addr: string): Promise<Stream> {
  const conn = await Deno.connect(splitAddr(addr));
  try {
    await conn.write(ENCODER.encode(
      "GET /v1.41/events HTTP/1.1\r\nHost: bench\r\n\r\n",
    ));
    const buffer = new Uint8Array(4096);
    let received = "";
    const deadline = setTimeout(() => closeQuietly(conn), 10_000);
    try {
      while (!received.includes(HEAD_END)) {
        const count = await conn.read(buffer);
        if (count === null) break;
        received += new TextDecoder().decode(buffer.subarray(0, count));
      }
    } finally {
      clearTimeout(deadline);
    }
    const status = received.slice(0, received.indexOf("\r\n"));
    if (!/^HTTP\/1\.1 200 /.test(status)) {
      throw new Error(`event stream via ${addr} answered ${status || "EOF"}`);
    }
    const after = received.slice(received.indexOf(HEAD_END) + 4);
    return {
      conn,
      tail: after,
      marker: null,
      sawMarker: false,
      ended: false,
    };
  } catch (error) {
    closeQuietly(conn);
    throw error;
  }
}

async function readForever(stream: Stream): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  const decoder = new TextDecoder();
  try {
    while (true) {
      const count = await stream.conn.read(buffer);
      if (count === null) break;
      const text = stream.tail + decoder.decode(buffer.subarray(0, count));
      if (stream.marker !== null && text.includes(stream.marker)) {
        stream.sawMarker = true;
      }
      stream.tail = text.slice(-TAIL_CHARS);
    }
  } catch {
    // Reset, or closed by close(); either way the stream is over.
  }
  stream.ended = true;
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
