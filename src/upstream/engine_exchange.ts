/**
 * One request/response exchange with the engine over a pooled connection.
 */
import { readBody, writeAll, writeBody } from "../http/body.ts";
import {
  type BodyFraming,
  type HeaderList,
  headerTokens,
  HttpError,
  parseResponseHead,
  responseFraming,
  type ResponseHead,
  serializeHead,
} from "../http/message.ts";
import {
  type EngineConnection,
  type EnginePool,
  EngineUnreachableError,
} from "./engine_pool.ts";

/** A request body as it goes to the engine. */
export type OutgoingBody =
  | { kind: "none" }
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "stream"; framing: BodyFraming; pieces: AsyncIterable<Uint8Array> };

export interface OutgoingRequest {
  method: string;
  /** Canonical path and query, exactly what policy judged. */
  target: string;
  /** End-to-end headers only; framing headers are added here. */
  headers: HeaderList;
  body: OutgoingBody;
}

export interface EngineResponse {
  head: ResponseHead;
  framing: BodyFraming;
  /** The connection, for hijacks: the caller owns it after a 101. */
  connection: EngineConnection;
  /** Streams the body; the connection is released or closed at its end. */
  body(): AsyncGenerator<Uint8Array>;
  /** Drops the connection without reading the rest (client went away). */
  abort(): void;
}

const MAX_RESPONSE_HEAD = 1024 * 1024;

function framingHeaders(body: OutgoingBody): HeaderList {
  switch (body.kind) {
    case "none":
      return [];
    case "bytes":
      return [["Content-Length", String(body.bytes.length)]];
    case "stream":
      if (body.framing.kind === "length") {
        return [["Content-Length", String(body.framing.length)]];
      }
      return body.framing.kind === "chunked"
        ? [["Transfer-Encoding", "chunked"]]
        : [];
  }
}

function encodeRequest(request: OutgoingRequest): Uint8Array {
  const head = serializeHead(
    `${request.method} ${request.target} HTTP/1.1`,
    [
      ["Host", "docker"],
      ...request.headers,
      ...framingHeaders(request.body),
    ],
  );
  if (request.body.kind !== "bytes") return head;
  const message = new Uint8Array(head.length + request.body.bytes.length);
  message.set(head);
  message.set(request.body.bytes, head.length);
  return message;
}

async function readResponseHead(connection: EngineConnection) {
  while (true) {
    const bytes = await connection.reader.readHead(MAX_RESPONSE_HEAD);
    if (bytes === null) return null;
    const head = parseResponseHead(bytes);
    // Interim answers (100 Continue) are not forwarded; 101 is final.
    if (head.status >= 100 && head.status < 200 && head.status !== 101) {
      continue;
    }
    return head;
  }
}

/**
 * Sends a request and waits for the response head. A reused connection that
 * the engine closed while idle is retried once on a fresh one, but only when
 * the request body can be replayed.
 */
export async function exchangeWithEngine(
  pool: EnginePool,
  request: OutgoingRequest,
  options: { dedicated?: boolean } = {},
): Promise<EngineResponse> {
  const replayable = request.body.kind !== "stream";
  const first = options.dedicated
    ? { connection: await pool.connect(), reused: false }
    : await pool.acquire();
  try {
    return await exchangeOn(pool, first.connection, request);
  } catch (error) {
    if (!(first.reused && replayable && error instanceof StaleConnection)) {
      throw error;
    }
  }
  return await exchangeOn(pool, await pool.connect(), request);
}

class StaleConnection extends Error {}

async function exchangeOn(
  pool: EnginePool,
  connection: EngineConnection,
  request: OutgoingRequest,
): Promise<EngineResponse> {
  const sent = sendRequest(connection, request);
  // An upload that fails half way (the client vanished) would leave the
  // engine waiting for the rest forever: closing the connection ends both.
  sent.catch(() => pool.discard(connection));
  let head: ResponseHead | null;
  try {
    head = await readResponseHead(connection);
  } catch (error) {
    pool.discard(connection);
    await sent.catch(() => {});
    if (error instanceof HttpError) throw error;
    throw new EngineUnreachableError(
      `connection to the Docker engine at ${pool.description} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
    );
  }
  if (head === null) {
    pool.discard(connection);
    await sent.catch(() => {});
    throw new StaleConnection("engine closed the connection");
  }
  const framing = responseFraming(head, request.method);
  const reusable = framing.kind !== "close" && head.status !== 101 &&
    !headerTokens(head.headers, "connection").includes("close");
  let settled = false;
  const finish = async (complete: boolean) => {
    if (settled) return;
    settled = true;
    const requestSent = await sent.then(() => true, () => false);
    if (complete && reusable && requestSent) pool.release(connection);
    else pool.discard(connection);
  };
  return {
    head,
    framing,
    connection,
    async *body() {
      let complete = false;
      try {
        yield* readBody(connection.reader, framing, "engine");
        complete = true;
      } finally {
        await finish(complete);
      }
    },
    abort() {
      void finish(false);
    },
  };
}

async function sendRequest(
  connection: EngineConnection,
  request: OutgoingRequest,
): Promise<void> {
  await writeAll(connection.conn, encodeRequest(request));
  if (request.body.kind === "stream") {
    await writeBody(connection.conn, request.body.framing, request.body.pieces);
  }
}
