/**
 * Raw HTTP for the attack tests: bytes written to a socket exactly as
 * given, and the answer read back as bytes, so that no client library
 * normalises a malformed request before dockgate sees it.
 *
 * @module
 */

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("latin1");

/** How a raw exchange ended on the client side. */
export type RawEnd = "eof" | "timeout" | "reset";

/** What came back for a raw exchange. */
export interface RawResult {
  /** Everything the server sent, decoded one byte to one char. */
  text: string;
  /** How reading ended: the server closed, the deadline passed, a reset. */
  end: RawEnd;
  /** The answers found in `text`, in order. */
  responses: RawResponse[];
}

/** One HTTP response found in a raw byte stream. */
export interface RawResponse {
  status: number;
  /** Header names lower-cased; repeated ones joined with ", ". */
  headers: Map<string, string>;
  body: string;
}

/** Options of {@linkcode rawExchange}. */
export interface RawOptions {
  /** Stop reading after this long; default 5000 ms. */
  timeoutMs?: number;
  /** Stop reading once this many complete responses have arrived. */
  responses?: number;
  /** Shut the write side after sending, as a client that is done would. */
  closeWrite?: boolean;
  /** Methods of the requests in order, so answers to HEAD have no body. */
  methods?: string[];
}

/** Request text to bytes, one char to one byte (so "\xe4" is one byte). */
export function latin1Bytes(text: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
  return bytes;
}

/** Connects to the Unix socket at `path` or a `host:port` over TCP. */
export function connectTo(address: string): Promise<Deno.Conn> {
  if (address.startsWith("/")) {
    return Deno.connect({ transport: "unix", path: address });
  }
  const colon = address.lastIndexOf(":");
  return Deno.connect({
    hostname: address.slice(0, colon),
    port: Number(address.slice(colon + 1)),
  });
}

/**
 * Sends `request` (text, bytes, or pieces written one after the other) on
 * a new connection to `address` and reads until the server closes, the
 * expected number of responses is complete, or the deadline passes.
 */
export async function rawExchange(
  address: string,
  request: string | Uint8Array | Array<string | Uint8Array>,
  options: RawOptions = {},
): Promise<RawResult> {
  const conn = await connectTo(address);
  try {
    const pieces = Array.isArray(request) ? request : [request];
    for (const piece of pieces) {
      const bytes = typeof piece === "string" ? latin1Bytes(piece) : piece;
      await writeAll(conn, bytes).catch(() => {});
    }
    if (options.closeWrite) await conn.closeWrite().catch(() => {});
    return await readAnswer(conn, options);
  } finally {
    closeQuietly(conn);
  }
}

/** Reads from an open connection as {@linkcode rawExchange} does. */
export async function readAnswer(
  conn: Deno.Conn,
  options: RawOptions = {},
): Promise<RawResult> {
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  let end: RawEnd = "timeout";
  while (Date.now() < deadline) {
    if (
      options.responses !== undefined &&
      parseResponses(text, options.methods).length >= options.responses
    ) {
      break;
    }
    const read = await readWithin(conn, buffer, deadline - Date.now());
    if (read === "late") break;
    if (read === "reset") {
      end = "reset";
      break;
    }
    if (read === null) {
      end = "eof";
      break;
    }
    text += DECODER.decode(buffer.subarray(0, read));
  }
  return { text, end, responses: parseResponses(text, options.methods) };
}

async function readWithin(
  conn: Deno.Conn,
  buffer: Uint8Array,
  ms: number,
): Promise<number | null | "late" | "reset"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), Math.max(0, ms));
  });
  try {
    return await Promise.race([
      conn.read(buffer).catch(() => "reset" as const),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Everything `conn` delivers until the peer closes it. */
export async function readToEnd(conn: Deno.Conn): Promise<Uint8Array> {
  const pieces: Uint8Array[] = [];
  const buffer = new Uint8Array(64 * 1024);
  for (;;) {
    const count = await conn.read(buffer);
    if (count === null) break;
    pieces.push(buffer.slice(0, count));
  }
  const bytes = new Uint8Array(
    pieces.reduce((sum, piece) => sum + piece.length, 0),
  );
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/** Writes every byte, looping over partial writes. */
export async function writeAll(conn: Deno.Conn, bytes: Uint8Array) {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
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

/**
 * Splits a byte stream (as text) into complete responses. A response
 * without a length ends the stream; an incomplete last one is left out.
 * `methods` names the request of each answer, so that answers to HEAD are
 * read without a body.
 */
export function parseResponses(
  text: string,
  methods: string[] = [],
): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const headEnd = text.indexOf("\r\n\r\n", at);
    if (headEnd < 0) break;
    const [statusLine = "", ...lines] = text.slice(at, headEnd).split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!Number.isInteger(status)) break;
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      const before = headers.get(name);
      headers.set(name, before === undefined ? value : `${before}, ${value}`);
    }
    const bodyStart = headEnd + 4;
    const parsed = methods[responses.length] === "HEAD"
      ? { body: "", next: bodyStart }
      : readResponseBody(text, bodyStart, status, headers);
    if (parsed === null) break;
    responses.push({ status, headers, body: parsed.body });
    at = parsed.next;
  }
  return responses;
}

function readResponseBody(
  text: string,
  start: number,
  status: number,
  headers: Map<string, string>,
): { body: string; next: number } | null {
  if (status === 101 || status === 204 || status === 304) {
    return { body: "", next: start };
  }
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") {
    let at = start;
    let body = "";
    while (true) {
      const lineEnd = text.indexOf("\r\n", at);
      if (lineEnd < 0) return null;
      const size = parseInt(text.slice(at, lineEnd), 16);
      if (!Number.isInteger(size)) return null;
      if (size === 0) {
        // dockgate sends no trailers: the last chunk is followed by CRLF.
        if (!text.startsWith("\r\n", lineEnd + 2)) return null;
        return { body, next: lineEnd + 4 };
      }
      if (lineEnd + 2 + size + 2 > text.length) return null;
      body += text.slice(lineEnd + 2, lineEnd + 2 + size);
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = headers.get("content-length");
  if (length !== undefined) {
    const end = start + Number(length);
    if (end > text.length) return null;
    return { body: text.slice(start, end), next: end };
  }
  return { body: text.slice(start), next: text.length };
}

/** The statuses of the answers in `result`, in order. */
export function statusesOf(result: RawResult): number[] {
  return result.responses.map((response) => response.status);
}

/** A request head in wire form; `body` is appended as it is. */
export function request(
  method: string,
  target: string,
  headers: Array<[string, string]> = [],
  body = "",
): string {
  const lines = [`${method} ${target} HTTP/1.1`, "Host: dockgate"];
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  return lines.join("\r\n") + "\r\n\r\n" + body;
}

/** A JSON request with a correct Content-Length. */
export function jsonRequest(
  method: string,
  target: string,
  body: unknown,
  headers: Array<[string, string]> = [],
): string {
  const text = JSON.stringify(body);
  return request(method, target, [
    ["Content-Type", "application/json"],
    ["Content-Length", String(ENCODER.encode(text).length)],
    ...headers,
  ], text);
}

/** Encodes `body` as one chunk plus the last chunk. */
export function chunked(body: string): string {
  return `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
}
