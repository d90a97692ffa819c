/**
 * A tiny HTTP/1.1 client over a Unix socket or TCP, for requests the
 * docker CLI cannot make (an exec ID of another client, raw headers).
 *
 * @module
 */

import { closeQuietly, readToEnd } from "../hostile/_raw_http.ts";

/** An answer, body read whole. */
export interface ApiAnswer {
  status: number;
  headers: [string, string][];
  text: string;
  json(): unknown;
}

/** Where to send: a socket path or `host:port`. */
export type ApiTarget = { socket: string } | { hostname: string; port: number };

const DECODER = new TextDecoder();

function indexOfCrlf(bytes: Uint8Array, from: number): number {
  for (let index = from; index + 1 < bytes.length; index++) {
    if (bytes[index] === 13 && bytes[index + 1] === 10) return index;
  }
  return -1;
}

function dechunk(bytes: Uint8Array): Uint8Array {
  const pieces: number[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = indexOfCrlf(bytes, at);
    if (end < 0) break;
    const size = parseInt(DECODER.decode(bytes.subarray(at, end)), 16);
    if (!(size > 0)) break;
    pieces.push(...bytes.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return new Uint8Array(pieces);
}

/** Sends one request with `Connection: close` and reads the answer. */
export async function apiRequest(
  target: ApiTarget,
  method: string,
  path: string,
  options: { body?: unknown; headers?: [string, string][] } = {},
): Promise<ApiAnswer> {
  const conn = "socket" in target
    ? await Deno.connect({ transport: "unix", path: target.socket })
    : await Deno.connect({ hostname: target.hostname, port: target.port });
  try {
    const body = options.body === undefined
      ? null
      : new TextEncoder().encode(JSON.stringify(options.body));
    const lines = [
      `${method} ${path} HTTP/1.1`,
      "Host: docker",
      "Connection: close",
      ...(options.headers ?? []).map(([name, value]) => `${name}: ${value}`),
      ...(body === null
        ? []
        : ["Content-Type: application/json", `Content-Length: ${body.length}`]),
      "",
      "",
    ];
    await conn.write(new TextEncoder().encode(lines.join("\r\n")));
    if (body !== null) await conn.write(body);
    const all = await readToEnd(conn);
    const text = DECODER.decode(all);
    const headEnd = text.indexOf("\r\n\r\n");
    const headLines = text.slice(0, headEnd).split("\r\n");
    const status = Number(headLines[0]?.split(" ")[1]);
    const headers = headLines.slice(1).map((line): [string, string] => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()];
    });
    const headBytes = new TextEncoder().encode(text.slice(0, headEnd + 4))
      .length;
    let rest: Uint8Array = all.subarray(headBytes);
    if (
      headers.some(([name, value]) =>
        name === "transfer-encoding" && value.includes("chunked")
      )
    ) {
      rest = dechunk(rest);
    }
    const bodyText = DECODER.decode(rest);
    return {
      status,
      headers,
      text: bodyText,
      json: () => JSON.parse(bodyText),
    };
  } finally {
    closeQuietly(conn);
  }
}
