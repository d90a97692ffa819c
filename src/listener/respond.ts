/**
 * Writing responses to clients: the proxy's own answers and the engine's
 * answers relayed with their headers and framing intact.
 */
import { type ByteSink, writeAll } from "../http/body.ts";
import {
  type BodyFraming,
  type HeaderList,
  HOP_BY_HOP_HEADERS,
  serializeHead,
} from "../http/message.ts";
import type { EngineResponse } from "../upstream/engine_exchange.ts";
import type { BufferedReader } from "../http/buffered_reader.ts";

const REASONS: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  400: "Bad Request",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  411: "Length Required",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  505: "HTTP Version Not Supported",
};

const ENCODER = new TextEncoder();
const LINGER_MS = 1000;
const LINGER_BYTES = 256 * 1024;

function statusLine(status: number, reason?: string): string {
  return `HTTP/1.1 ${status} ${reason ?? REASONS[status] ?? "Unknown"}`;
}

/** Docker's error shape, so the CLI prints the message to the user. */
export function errorBody(message: string): Uint8Array {
  return ENCODER.encode(JSON.stringify({ message }) + "\n");
}

/** Writes a JSON error answer (protocol errors, before any app runs). */
export async function writeError(
  sink: ByteSink,
  status: number,
  message: string,
  close: boolean,
): Promise<number> {
  const body = errorBody(message);
  const headers: HeaderList = [
    ["Content-Type", "application/json"],
    ["Content-Length", String(body.length)],
  ];
  if (close) headers.push(["Connection", "close"]);
  await writeAll(sink, serializeHead(statusLine(status), headers));
  await writeAll(sink, body);
  return body.length;
}

/**
 * Closes a connection right after an error answer while the client may
 * still be sending (an oversized head, a refused upload). Closing a TCP
 * socket with unread input makes the kernel send a reset, which can destroy
 * the answer before the client reads it; so the write side is shut first
 * and what the client still sends is read and dropped, for a bounded time
 * and number of bytes.
 */
export async function closeAfterError(
  conn: Deno.Conn,
  reader: BufferedReader,
): Promise<void> {
  const timer = setTimeout(() => closeQuietly(conn), LINGER_MS);
  try {
    await conn.closeWrite();
    let drained = reader.takeBuffered().length;
    while (drained <= LINGER_BYTES && await reader.readMore()) {
      drained += reader.takeBuffered().length;
    }
  } catch {
    // The client closed or reset first, or the timer closed the socket.
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

/** Closes a connection that may already be closed. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Writes a response built by the app itself (denials, errors). */
export async function writeAppResponse(
  sink: ByteSink,
  response: Response,
  options: { method: string; close: boolean },
): Promise<number> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headers: HeaderList = [];
  response.headers.forEach((value, name) => {
    if (!HOP_BY_HOP_HEADERS.has(name) && name !== "content-length") {
      headers.push([name, value]);
    }
  });
  headers.push(["Content-Length", String(body.length)]);
  if (options.close) headers.push(["Connection", "close"]);
  await writeAll(sink, serializeHead(statusLine(response.status), headers));
  if (options.method === "HEAD") return 0;
  await writeAll(sink, body);
  return body.length;
}

/**
 * The engine's response head as the client gets it: end-to-end headers in
 * their order and spelling, the engine's own length, and framing chosen for
 * this client (HTTP/1.0 clients cannot take chunks).
 */
export function relayedHead(
  engine: EngineResponse,
  options: { clientVersion: string; close: boolean },
): { head: Uint8Array; framing: BodyFraming; close: boolean } {
  const headers: HeaderList = [];
  let framing = engine.framing;
  let close = options.close || framing.kind === "close";
  for (const field of engine.head.headers) {
    if (!HOP_BY_HOP_HEADERS.has(field[0].toLowerCase())) headers.push(field);
  }
  if (engine.head.status === 101) {
    const upgrade = engine.head.headers.find(([name]) =>
      name.toLowerCase() === "upgrade"
    );
    headers.push(["Connection", "Upgrade"]);
    if (upgrade) headers.push(["Upgrade", upgrade[1]]);
  } else {
    if (framing.kind === "chunked") {
      if (options.clientVersion === "HTTP/1.0") {
        framing = { kind: "close" };
        close = true;
      } else {
        headers.push(["Transfer-Encoding", "chunked"]);
      }
    }
    if (close) headers.push(["Connection", "close"]);
  }
  const reason = engine.head.reason;
  return {
    head: serializeHead(statusLine(engine.head.status, reason), headers),
    framing,
    close,
  };
}

/**
 * Writes the relayed head and streams the engine's body after it, in as few
 * writes as the engine's pieces allow; returns the body bytes written.
 */
export function relayBody(
  sink: ByteSink,
  engine: EngineResponse,
  relayed: { head: Uint8Array; framing: BodyFraming },
): Promise<number> {
  return engine.relay(sink, relayed.framing, relayed.head);
}
