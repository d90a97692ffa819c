/**
 * Plain HTTP/1.1 over a Unix socket for the breaker tests: each request is
 * written byte for byte on a fresh connection (`Connection: close`) and the
 * answer is read to the end, so the same helper talks to dockgate and,
 * to check what really happened, straight to the engine.
 *
 * @module
 */

import { closeQuietly, readToEnd, writeAll } from "../hostile/_raw_http.ts";

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder();
const STATUS_LINE_REGEXP = /^HTTP\/1\.[01] (\d{3})/;
const READ_TIMEOUT_MS = 60_000;

/** An answer: status, and the body parsed as JSON when it is JSON. */
export interface Answer {
  status: number;
  /** The body as text (chunked framing removed). */
  text: string;
  /** `JSON.parse(text)`, or undefined when the body is not JSON. */
  json: unknown;
}

/**
 * Sends `method path` with an optional JSON body (sent as given when it
 * is a string) to the HTTP server on the Unix socket `socketPath`.
 */
export async function send(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<Answer> {
  const payload = body === undefined
    ? new Uint8Array()
    : ENCODER.encode(typeof body === "string" ? body : JSON.stringify(body));
  const head = [
    `${method} ${path} HTTP/1.1`,
    "Host: docker",
    "Connection: close",
    `Content-Length: ${payload.length}`,
    ...(body === undefined ? [] : ["Content-Type: application/json"]),
    "",
    "",
  ].join("\r\n");
  const message = new Uint8Array(head.length + payload.length);
  message.set(ENCODER.encode(head));
  message.set(payload, head.length);
  return parseAnswer(await exchange(socketPath, message));
}

/**
 * Sends `POST path` with a tar body, as `docker build` (classic builder)
 * sends its context.
 */
export async function sendBuild(
  socketPath: string,
  path: string,
  context: Uint8Array,
): Promise<Answer> {
  const head = ENCODER.encode(
    [
      `POST ${path} HTTP/1.1`,
      "Host: docker",
      "Connection: close",
      `Content-Length: ${context.length}`,
      "Content-Type: application/x-tar",
      "",
      "",
    ].join("\r\n"),
  );
  const message = new Uint8Array(head.length + context.length);
  message.set(head);
  message.set(context, head.length);
  return parseAnswer(await exchange(socketPath, message));
}

async function exchange(
  socketPath: string,
  message: Uint8Array,
): Promise<Uint8Array> {
  const conn = await Deno.connect({ transport: "unix", path: socketPath });
  // Closing at the deadline ends a read that would wait forever.
  const timer = setTimeout(() => conn.close(), READ_TIMEOUT_MS);
  try {
    await writeAll(conn, message);
    return await readToEnd(conn);
  } finally {
    clearTimeout(timer);
    closeQuietly(conn);
  }
}

function parseAnswer(bytes: Uint8Array): Answer {
  const raw = DECODER.decode(bytes);
  const split = raw.indexOf("\r\n\r\n");
  const head = split < 0 ? raw : raw.slice(0, split);
  let text = split < 0 ? "" : raw.slice(split + 4);
  const status = Number(STATUS_LINE_REGEXP.exec(head)?.[1] ?? "0");
  if (/^transfer-encoding:\s*chunked/im.test(head)) text = unchunk(text);
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Not JSON: streams, empty bodies.
  }
  return { status, text, json };
}

function unchunk(text: string): string {
  let out = "";
  let at = 0;
  for (;;) {
    const lineEnd = text.indexOf("\r\n", at);
    if (lineEnd < 0) return out;
    const size = parseInt(text.slice(at, lineEnd), 16);
    if (!(size > 0)) return out;
    out += text.slice(lineEnd + 2, lineEnd + 2 + size);
    at = lineEnd + 2 + size + 2;
  }
}

/** A JSON object field of an answer, for engine inspect results. */
export function objectOf(answer: Answer): Record<string, unknown> {
  const value = answer.json;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(
      `Cannot read answer: not a JSON object: ${answer.status} ${answer.text}`,
    );
  }
  return value as Record<string, unknown>;
}
