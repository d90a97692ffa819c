/**
 * One client connection: read a request head, let the app decide and
 * forward, write the answer, and repeat while the connection stays alive.
 */
import { getLogger } from "@logtape/logtape";
import { BufferedReader, LineTooLongError } from "../http/buffered_reader.ts";
import {
  headerTokens,
  HttpError,
  parseRequestHead,
  requestFraming,
  type RequestHead,
} from "../http/message.ts";
import type { Exchange } from "../app/exchange.ts";
import { canonicalizeTarget, TargetError } from "../policy/canonical_target.ts";
import { ClientBody } from "./client_body.ts";
import { cancelDeadline, startDeadline } from "./deadlines.ts";
import { relayEngineAnswer } from "./relay.ts";
import {
  closeAfterError,
  closeQuietly,
  writeAppResponse,
  writeError,
} from "./respond.ts";

/** Limits that protect the listener from slow or greedy clients. */
export interface ConnectionLimits {
  maxHeaderBytes: number;
  maxHeaders: number;
  headerTimeoutMs: number;
  /** Time allowed between requests on a kept-alive connection; 0 = none. */
  idleTimeoutMs: number;
}

/** What the listener needs from the rest of the proxy. */
export interface ExchangeHandler {
  /**
   * Runs the Hono app for one request. `request` carries the method and
   * URL only; the headers are in `exchange.head`, in wire order.
   */
  fetch(request: Request, exchange: Exchange): Promise<Response>;
  /** Answers a request whose target could not be canonicalised. */
  rejectTarget(exchange: Exchange, error: TargetError): Response;
  /** Writes the audit record once the exchange is over. */
  audit(exchange: Exchange, status: number): void;
  /** Logs a protocol error that ended a connection. */
  protocolError(client: string, status: number, message: string): void;
}

export interface ConnectionOptions {
  client: string;
  limits: ConnectionLimits;
  handler: ExchangeHandler;
  /** Becomes true when the proxy shuts down: finish, then close. */
  isClosing(): boolean;
  /** Told whether a request is in flight (shutdown closes idle ones). */
  setBusy(busy: boolean): void;
}

/**
 * How a request ended for its connection. "refused" closes after an error
 * answer while the client may still be sending, so the close lingers.
 */
export type Outcome = "keep-alive" | "close" | "refused" | "tunnelled";

const REQUEST_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
]);

const logger = getLogger(["dockgate", "listener"]);

// Requests handed to Hono, by method and URL: clients repeat the same few
// calls (ping, list, inspect), and a Request costs microseconds to build.
const ROUTING_REQUESTS = new Map<string, Request>();
const MAX_ROUTING_REQUESTS = 512;

/**
 * The Request Hono routes on: method and URL only, no body and no headers,
 * since the app reads the head from the exchange. Such a Request holds
 * nothing of one client's, so one object may serve every equal request.
 */
function routingRequest(method: string, url: string): Request {
  const key = `${method} ${url}`;
  let request = ROUTING_REQUESTS.get(key);
  if (request === undefined) {
    if (ROUTING_REQUESTS.size >= MAX_ROUTING_REQUESTS) ROUTING_REQUESTS.clear();
    request = new Request(url, { method });
    ROUTING_REQUESTS.set(key, request);
  }
  return request;
}

let requestCounter = 0;
const REQUEST_ID_PREFIX = crypto.randomUUID().slice(0, 8);

function nextRequestId(): string {
  requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${REQUEST_ID_PREFIX}-${requestCounter.toString(36)}`;
}

function wantsKeepAlive(head: RequestHead): boolean {
  const tokens = headerTokens(head.headers, "connection");
  if (head.version === "HTTP/1.0") return tokens.includes("keep-alive");
  return !tokens.includes("close");
}

/**
 * Runs `work` with a deadline: when `ms` (if not 0) pass first, `onLate`
 * runs and is expected to close the connection, which makes `work` fail;
 * its failure is then reported as null.
 */
async function withDeadline<T>(
  work: Promise<T>,
  ms: number,
  onLate: () => void,
): Promise<T | null> {
  if (ms <= 0) return await work;
  let late = false;
  const deadline = startDeadline(ms, () => {
    late = true;
    onLate();
  });
  try {
    return await work;
  } catch (error) {
    if (late) return null;
    throw error;
  } finally {
    cancelDeadline(deadline);
  }
}

/**
 * Waits for the next request head. Between requests a kept-alive
 * connection may idle (up to the idle timeout, if one is set); from its
 * first byte on, and from the accept for the first request, a head must be
 * complete within the header timeout, or the client gets a 408.
 */
async function readNextHead(
  conn: Deno.Conn,
  reader: BufferedReader,
  limits: ConnectionLimits,
  first: boolean,
): Promise<Uint8Array | null> {
  if (!first) {
    if (reader.buffered === 0) {
      const arrived = await withDeadline(
        reader.waitForData(),
        limits.idleTimeoutMs,
        () => closeQuietly(conn),
      );
      if (!arrived) return null;
    }
    // A head that came whole in one read needs no deadline.
    const head = reader.takeHead(limits.maxHeaderBytes);
    if (head !== null) return head;
  }
  return await withDeadline(
    reader.readHead(limits.maxHeaderBytes),
    limits.headerTimeoutMs,
    () => {
      writeError(conn, 408, "request head not received in time", true)
        .catch(() => 0)
        .finally(() => closeQuietly(conn));
    },
  );
}

/** Serves one connection until it closes. Never throws. */
export async function serveConnection(
  conn: Deno.Conn,
  options: ConnectionOptions,
): Promise<void> {
  const reader = new BufferedReader(conn);
  const { limits, handler, client } = options;
  let first = true;
  let outcome: Outcome = "close";
  try {
    while (first || !options.isClosing()) {
      options.setBusy(false);
      let headBytes: Uint8Array | null;
      try {
        headBytes = await readNextHead(conn, reader, limits, first);
      } catch (error) {
        if (error instanceof LineTooLongError) {
          handler.protocolError(client, 431, error.message);
          await writeError(conn, 431, "request head too large", true);
          outcome = "refused";
        }
        break;
      }
      if (headBytes === null) break;
      options.setBusy(true);
      first = false;
      outcome = await serveRequest(conn, reader, headBytes, options);
      if (outcome !== "keep-alive") break;
    }
  } catch {
    // The client went away mid-response; nothing left to tell it.
    outcome = "close";
  } finally {
    if (outcome === "refused") await closeAfterError(conn, reader);
    else if (outcome !== "tunnelled") closeQuietly(conn);
  }
}

async function serveRequest(
  conn: Deno.Conn,
  reader: BufferedReader,
  headBytes: Uint8Array,
  options: ConnectionOptions,
): Promise<Outcome> {
  const { handler, client, limits } = options;
  const startedAt = performance.now();
  let head: RequestHead;
  let body: ClientBody;
  try {
    head = parseRequestHead(headBytes, limits.maxHeaders);
    body = new ClientBody(reader, requestFraming(head));
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    handler.protocolError(client, error.status, error.message);
    await writeError(conn, error.status, error.message, true);
    return "refused";
  }
  const exchange = createExchange(head, body, client, startedAt);
  let response = await decide(exchange, body, handler);

  const refusal = clientBodyRefusal(exchange, body, response);
  if (refusal !== null) {
    // The app failed because the client's body was unusable: say so,
    // instead of the 5xx the app made of it.
    exchange.relay?.engine.abort();
    exchange.relay = null;
    exchange.verdict = {
      ...exchange.verdict,
      decision: "deny",
      rule: "http:body",
      reason: refusal.message,
    };
    response = new Response(JSON.stringify({ message: refusal.message }), {
      status: refusal.status,
      headers: { "Content-Type": "application/json" },
    });
  }

  // Hono answers HEAD with a copy of the GET response, so the relay is
  // recognised by the verdict, not by the identity of the Response object.
  const relay = exchange.verdict.decision === "allow" ? exchange.relay : null;
  const close = !wantsKeepAlive(head) || options.isClosing();
  if (relay === null) {
    exchange.relay?.engine.abort();
    const finished = body.finished;
    try {
      exchange.bytesOut = await writeAppResponse(conn, response, {
        method: head.method,
        close: close || !finished,
      });
    } finally {
      exchange.bytesIn += body.bytesRead;
      handler.audit(exchange, response.status);
    }
    if (!finished) return "refused";
    return close ? "close" : "keep-alive";
  }
  return await relayEngineAnswer(conn, reader, exchange, body, {
    close,
    handler,
    watchLimit: limits.maxHeaderBytes,
  });
}

/** Canonicalises the target and runs the app; never throws. */
async function decide(
  exchange: Exchange,
  body: ClientBody,
  handler: ExchangeHandler,
): Promise<Response> {
  const head = exchange.head;
  try {
    exchange.target = canonicalizeTarget(head.target);
    if (!REQUEST_METHODS.has(head.method)) {
      throw new TargetError(`method not served: ${head.method}`);
    }
    if (
      (head.method === "GET" || head.method === "HEAD") && !body.finished
    ) {
      throw new TargetError(`${head.method} request with a body`);
    }
    const { path, rawQuery } = exchange.target;
    const url = `http://dockgate${path}${rawQuery ? "?" + rawQuery : ""}`;
    return await handler.fetch(routingRequest(head.method, url), exchange);
  } catch (error) {
    if (error instanceof TargetError) {
      return handler.rejectTarget(exchange, error);
    }
    // The app catches its own faults; this is one in the steps around it.
    // It fails this request only, and fails it closed.
    logger.error("Request {requestId} failed inside dockgate: {error}", {
      requestId: exchange.id,
      error,
    });
    exchange.relay?.engine.abort();
    exchange.relay = null;
    exchange.verdict = {
      ...exchange.verdict,
      decision: "error",
      rule: "internal",
      reason: error instanceof Error ? error.message : String(error),
    };
    const message = `dockgate: internal error (request ${exchange.id})`;
    return new Response(JSON.stringify({ message }), {
      status: 500,
      headers: { "Content-Type": "application/json" },
    });
  }
}

function clientBodyRefusal(
  exchange: Exchange,
  body: ClientBody,
  response: Response,
): HttpError | null {
  const error = body.error;
  if (error === undefined || response.status < 500) return null;
  if (exchange.verdict.decision === "allow" && exchange.relay !== null) {
    return null;
  }
  if (error instanceof HttpError) return error;
  return new HttpError(400, "request body could not be read");
}

function createExchange(
  head: RequestHead,
  body: ClientBody,
  client: string,
  startedAt: number,
): Exchange {
  const framing = requestFraming(head);
  return {
    id: nextRequestId(),
    client,
    startedAt,
    head,
    target: { path: "", routePath: "", apiVersion: null, rawQuery: "" },
    requestFraming: framing,
    body: body.finished
      ? { kind: "none" }
      // Forwarding writes each piece before it reads the next.
      : { kind: "stream", framing, pieces: body.pieces(true) },
    readBody: (maxBytes) => body.readAll(maxBytes),
    verdict: { decision: "deny", rule: "none", reason: "", section: null },
    route: null,
    relay: null,
    hijack: false,
    bytesIn: 0,
    bytesOut: 0,
  };
}
