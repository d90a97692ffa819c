/**
 * One request/response exchange with the engine over a pooled connection.
 */
import {
  type ByteSink,
  readBody,
  relayBody,
  writeAll,
  writeBody,
  writeJoined,
} from "../http/body.ts";
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
  | {
    kind: "stream";
    framing: BodyFraming;
    /** Written piece by piece, so a piece may reuse the last one's buffer. */
    pieces: AsyncIterable<Uint8Array>;
  };

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
  /**
   * Resolves true once the whole request, body included, is on the wire,
   * false if sending it failed. A tunnel must not start before.
   */
  requestSent: Promise<boolean>;
  /** Streams the body; the connection is released or closed at its end. */
  body(): AsyncGenerator<Uint8Array>;
  /**
   * Writes `head` and then the body to `sink` in `framing` (see
   * `relayBody`), instead of `body()`; resolves with the body bytes
   * written. The connection is released or closed at its end.
   */
  relay(
    sink: ByteSink,
    framing: BodyFraming,
    head: Uint8Array,
  ): Promise<number>;
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

function encodeHead(request: OutgoingRequest): Uint8Array {
  return serializeHead(
    `${request.method} ${request.target} HTTP/1.1`,
    [
      ["Host", "docker"],
      ...request.headers,
      ...framingHeaders(request.body),
    ],
  );
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
 * the engine closed while idle is retried once on a fresh one; a request
 * whose body cannot be replayed (a stream) never goes on a reused one.
 *
 * Throws {@linkcode EngineUnreachableError} when the engine cannot be
 * reached or gives no usable answer, and the client's own error (an
 * `HttpError` such as a malformed chunked body) when reading the request
 * body failed.
 */
export async function exchangeWithEngine(
  pool: EnginePool,
  request: OutgoingRequest,
  options: { dedicated?: boolean } = {},
): Promise<EngineResponse> {
  const replayable = request.body.kind !== "stream";
  let attempt = options.dedicated || !replayable
    ? { connection: await pool.connect(), reused: false }
    : await pool.acquire();
  while (true) {
    try {
      return await exchangeOn(
        pool,
        attempt.connection,
        request,
        attempt.reused,
      );
    } catch (error) {
      if (!(error instanceof StaleConnection)) throw error;
      if (!attempt.reused) {
        throw new EngineUnreachableError(
          `the Docker engine at ${pool.description} closed the connection ` +
            `without answering`,
        );
      }
    }
    attempt = { connection: await pool.connect(), reused: false };
  }
}

/** A pooled connection turned out to be closed by the engine. */
class StaleConnection extends Error {}

/** What became of sending the request, filled in as it happens. */
interface SendState {
  /** Settles once the request is on the wire (or failed to get there). */
  sent: Promise<boolean>;
  done: boolean;
  /** Set when reading the client's body failed, not writing to the engine. */
  bodyError: unknown;
}

async function exchangeOn(
  pool: EnginePool,
  connection: EngineConnection,
  request: OutgoingRequest,
  reused: boolean,
): Promise<EngineResponse> {
  const send = startSending(connection, request);
  // An upload that fails half way (the client vanished) would leave the
  // engine waiting for the rest forever: closing the connection ends both.
  void send.sent.then((ok) => ok || pool.discard(connection));
  let head: ResponseHead | null;
  try {
    head = await readResponseHead(connection);
  } catch (error) {
    pool.discard(connection);
    // Waiting for the send to settle could wait on a client that went
    // quiet; its error, if any, is already recorded.
    if (send.bodyError !== undefined) throw send.bodyError;
    if (reused && !(error instanceof HttpError)) {
      // Whatever broke, it broke on a connection the engine may have closed
      // while it sat in the pool; the caller retries once on a fresh one.
      throw new StaleConnection("engine closed the connection");
    }
    const detail = error instanceof Error ? error.message : String(error);
    throw new EngineUnreachableError(
      error instanceof HttpError
        ? `the Docker engine at ${pool.description} sent a malformed ` +
          `answer: ${detail}`
        : `connection to the Docker engine at ${pool.description} ` +
          `failed: ${detail}`,
    );
  }
  if (head === null) {
    pool.discard(connection);
    if (send.bodyError !== undefined) throw send.bodyError;
    throw new StaleConnection("engine closed the connection");
  }
  const framing = responseFraming(head, request.method);
  const reusable = framing.kind !== "close" && head.status !== 101 &&
    !headerTokens(head.headers, "connection").includes("close");
  let settled = false;
  const finish = (complete: boolean) => {
    if (settled) return;
    settled = true;
    // A request still being sent after the whole answer arrived (the engine
    // refused an upload early) leaves the connection out of step for good.
    if (complete && reusable && send.done) {
      void send.sent.then((ok) => ok && pool.release(connection));
    } else {
      pool.discard(connection);
    }
  };
  return {
    head,
    framing,
    connection,
    requestSent: send.sent,
    async *body() {
      let complete = false;
      try {
        yield* readBody(connection.reader, framing, "engine");
        complete = true;
      } finally {
        finish(complete);
      }
    },
    async relay(sink, relayFraming, relayHead) {
      let complete = false;
      try {
        const written = await relayBody(
          connection.reader,
          framing,
          sink,
          relayFraming,
          relayHead,
        );
        complete = true;
        return written;
      } finally {
        finish(complete);
      }
    },
    abort() {
      finish(false);
    },
  };
}

function startSending(
  connection: EngineConnection,
  request: OutgoingRequest,
): SendState {
  const state: SendState = {
    sent: Promise.resolve(false),
    done: false,
    bodyError: undefined,
  };
  state.sent = settleSending(connection, request, state);
  return state;
}

async function settleSending(
  connection: EngineConnection,
  request: OutgoingRequest,
  state: SendState,
): Promise<boolean> {
  try {
    await sendRequest(connection, request, state);
    return true;
  } catch {
    return false;
  } finally {
    state.done = true;
  }
}

async function sendRequest(
  connection: EngineConnection,
  request: OutgoingRequest,
  state: SendState,
): Promise<void> {
  // Head and a buffered body go out in one write.
  const head = encodeHead(request);
  if (request.body.kind === "bytes") {
    await writeJoined(connection.conn, [head, request.body.bytes]);
  } else {
    await writeAll(connection.conn, head);
  }
  if (request.body.kind === "stream") {
    const { framing, pieces } = request.body;
    await writeBody(connection.conn, framing, recordErrors(pieces, state));
  }
}

/** Passes pieces through, noting an error that comes from the source. */
async function* recordErrors(
  pieces: AsyncIterable<Uint8Array>,
  state: SendState,
): AsyncGenerator<Uint8Array> {
  try {
    yield* pieces;
  } catch (error) {
    state.bodyError = error;
    throw error;
  }
}
