/**
 * Strict HTTP/1.1 message heads (RFC 9110, RFC 9112).
 *
 * dockgate parses every byte it forwards, so that the engine never sees a
 * byte that policy did not judge as part of the request it approved. Anything
 * that two parsers could read differently (framing, folding, stray CR or LF,
 * odd versions) is refused rather than repaired.
 */

/** Header fields in the order and spelling they arrived. */
export type HeaderList = Array<[name: string, value: string]>;

export interface RequestHead {
  method: string;
  target: string;
  version: "HTTP/1.0" | "HTTP/1.1";
  headers: HeaderList;
}

export interface ResponseHead {
  version: string;
  status: number;
  reason: string;
  headers: HeaderList;
}

/** How a message body is delimited on the wire. */
export type BodyFraming =
  | { kind: "none" }
  | { kind: "length"; length: number }
  | { kind: "chunked" }
  | { kind: "close" };

/** A protocol error: answered with `status`, then the connection closes. */
export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const TOKEN_REGEXP = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Field values: visible ASCII, obs-text, space and tab; never CR, LF or NUL.
const FIELD_VALUE_REGEXP = /^[\t\x20-\x7e\x80-\xff]*$/;
const TARGET_REGEXP = /^[\x21-\x7e]+$/;
const DIGITS_REGEXP = /^[0-9]{1,15}$/;
const STATUS_LINE_REGEXP = /^(HTTP\/1\.[01]) ([0-9]{3})(?: ([^\r\n]*))?$/;
const HTTP2_PREFACE = "PRI * HTTP/2.0";
const HTTP_VERSION_REGEXP = /^HTTP\/[0-9]\.[0-9]$/;
const BARE_CR_OR_LF_REGEXP = /\r(?!\n)|(?<!\r)\n/;
const NON_ASCII_REGEXP = /[\x80-\uffff]/;
const ENCODER = new TextEncoder();

/** Header names that belong to one hop and are never forwarded (RFC 9110). */
export const HOP_BY_HOP_HEADERS: ReadonlySet<string> = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

// WHATWG's "latin1" label means windows-1252, which maps 0x80-0x9f to other
// code points; UTF-8 matches latin1 only on ASCII, which is all heads carry
// in practice.
const ASCII_DECODER = new TextDecoder();

/** Decodes head bytes one byte to one char, as HTTP field values are. */
function latin1(bytes: Uint8Array): string {
  if (isAscii(bytes)) return ASCII_DECODER.decode(bytes);
  let text = "";
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0x80) return false;
  }
  return true;
}

function parseFields(lines: string[], maxHeaders: number): HeaderList {
  if (lines.length > maxHeaders) {
    throw new HttpError(431, `too many header fields: ${lines.length}`);
  }
  const headers: HeaderList = [];
  for (const line of lines) {
    if (line.startsWith(" ") || line.startsWith("\t")) {
      throw new HttpError(400, "obsolete line folding is not accepted");
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    if (!TOKEN_REGEXP.test(name)) {
      throw new HttpError(400, `invalid header name: ${JSON.stringify(name)}`);
    }
    const value = trimOws(line, colon + 1);
    if (!FIELD_VALUE_REGEXP.test(value)) {
      throw new HttpError(400, `invalid value in header ${name}`);
    }
    headers.push([name, value]);
  }
  return headers;
}

/** The field value after `from`, without leading and trailing OWS. */
function trimOws(line: string, from: number): string {
  let start = from;
  let end = line.length;
  while (start < end && isOws(line.charCodeAt(start))) start++;
  while (end > start && isOws(line.charCodeAt(end - 1))) end--;
  return line.slice(start, end);
}

function isOws(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

function splitLines(head: string): string[] {
  if (BARE_CR_OR_LF_REGEXP.test(head)) {
    throw new HttpError(400, "bare CR or LF in message head");
  }
  return head.split("\r\n");
}

/** Parses a request head (without its final blank line). */
export function parseRequestHead(
  bytes: Uint8Array,
  maxHeaders: number,
): RequestHead {
  const [requestLine = "", ...fieldLines] = splitLines(latin1(bytes));
  if (requestLine === HTTP2_PREFACE) {
    throw new HttpError(400, "HTTP/2 is not served on this listener");
  }
  const parts = requestLine.split(" ");
  const [method = "", target = "", version = ""] = parts;
  if (parts.length !== 3 || !TOKEN_REGEXP.test(method)) {
    throw new HttpError(400, "malformed request line");
  }
  if (version !== "HTTP/1.1" && version !== "HTTP/1.0") {
    throw new HttpError(
      400,
      HTTP_VERSION_REGEXP.test(version)
        ? `unsupported HTTP version: ${version}`
        : "malformed request line",
    );
  }
  if (!TARGET_REGEXP.test(target)) {
    throw new HttpError(400, "malformed request target");
  }
  return {
    method,
    target,
    version,
    headers: parseFields(fieldLines, maxHeaders),
  };
}

/** Parses a response head from the engine. */
export function parseResponseHead(bytes: Uint8Array): ResponseHead {
  const [statusLine = "", ...fieldLines] = splitLines(latin1(bytes));
  const match = STATUS_LINE_REGEXP.exec(statusLine);
  if (!match) {
    throw new HttpError(502, "malformed status line from the engine");
  }
  return {
    version: match[1] ?? "HTTP/1.1",
    status: Number(match[2]),
    reason: match[3] ?? "",
    headers: parseFields(fieldLines, 1000),
  };
}

/** Every value of a header, compared case-insensitively by name. */
export function headerValues(headers: HeaderList, name: string): string[] {
  const wanted = name.toLowerCase();
  const values: string[] = [];
  for (const [key, value] of headers) {
    if (key.length === wanted.length && key.toLowerCase() === wanted) {
      values.push(value);
    }
  }
  return values;
}

/** The single value of a header; a repeated one is a 400. */
export function singleHeader(
  headers: HeaderList,
  name: string,
): string | null {
  const values = headerValues(headers, name);
  if (values.length > 1) {
    throw new HttpError(400, `repeated header: ${name}`);
  }
  return values[0] ?? null;
}

/** Comma-separated tokens of a header such as Connection, lower-cased. */
export function headerTokens(headers: HeaderList, name: string): string[] {
  const tokens: string[] = [];
  for (const value of headerValues(headers, name)) {
    for (const part of value.split(",")) {
      const token = part.trim().toLowerCase();
      if (token !== "") tokens.push(token);
    }
  }
  return tokens;
}

/**
 * Decides how a request body is delimited, refusing every ambiguous form
 * that lets two parsers disagree on where the request ends (smuggling).
 */
export function requestFraming(head: RequestHead): BodyFraming {
  const codings = headerValues(head.headers, "transfer-encoding");
  const lengths = headerValues(head.headers, "content-length");
  if (codings.length > 0) {
    if (lengths.length > 0) {
      throw new HttpError(400, "both Content-Length and Transfer-Encoding");
    }
    if (
      codings.length !== 1 || codings[0]?.toLowerCase() !== "chunked" ||
      head.version !== "HTTP/1.1"
    ) {
      throw new HttpError(400, "only a single chunked coding is accepted");
    }
    return { kind: "chunked" };
  }
  if (lengths.length > 1) {
    throw new HttpError(400, "repeated Content-Length");
  }
  if (lengths.length === 1) {
    const length = lengths[0] ?? "";
    if (!DIGITS_REGEXP.test(length)) {
      throw new HttpError(400, `invalid Content-Length: ${length}`);
    }
    const value = Number(length);
    return value === 0 ? { kind: "none" } : { kind: "length", length: value };
  }
  return { kind: "none" };
}

/** Decides how a response body from the engine is delimited. */
export function responseFraming(
  head: ResponseHead,
  requestMethod: string,
): BodyFraming {
  const status = head.status;
  if (
    requestMethod === "HEAD" || status === 204 || status === 304 ||
    (status >= 100 && status < 200)
  ) {
    return { kind: "none" };
  }
  const codings = headerTokens(head.headers, "transfer-encoding");
  if (codings.length > 0) {
    if (codings.at(-1) !== "chunked") return { kind: "close" };
    return { kind: "chunked" };
  }
  const lengths = headerValues(head.headers, "content-length");
  if (lengths.length > 0) {
    const distinct = new Set(lengths);
    const length = lengths[0] ?? "";
    if (distinct.size !== 1 || !DIGITS_REGEXP.test(length)) {
      throw new HttpError(502, "invalid Content-Length from the engine");
    }
    const value = Number(length);
    return value === 0 ? { kind: "none" } : { kind: "length", length: value };
  }
  return { kind: "close" };
}

/** Serialises a start line and header fields into a message head. */
export function serializeHead(
  startLine: string,
  headers: HeaderList,
): Uint8Array {
  let text = startLine + "\r\n";
  for (const [name, value] of headers) {
    text += name + ": " + value + "\r\n";
  }
  text += "\r\n";
  // UTF-8 is latin1 as long as every char is ASCII, as it almost always is.
  if (!NON_ASCII_REGEXP.test(text)) return ENCODER.encode(text);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}
