/**
 * One client connection: read a request head, let the app decide and
 * forward, write the answer, and repeat while the connection stays alive.
 */
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
import {
  relayBody,
  relayedHead,
  writeAppResponse,
  writeError,
} from "./respond.ts";
import { runTunnel } from "./tunnel.ts";
import { writeAll } from "../http/body.ts";
import type { EngineResponse } from "../upstream/engine_exchange.ts";

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
  /** Runs the Hono app for one request. */
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

const REQUEST_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "DELETE",
  "PATCH",
  "OPTIONS",
]);

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
 * Waits for the next request head. The first head must arrive within the
 * header timeout; later ones may idle first, but once a head has started it
 * must be complete within the header timeout too (slow clients get a 408).
 */
async function readNextHead(
  conn: Deno.Conn,
  reader: BufferedReader,
  limits: ConnectionLimits,
  first: boolean,
): Promise<Uint8Array | null> {
  const idle = !first && reader.buffered === 0;
  const timeoutMs = idle ? limits.idleTimeoutMs : limits.headerTimeoutMs;
  let timedOut = false;
  const timer = timeoutMs > 0
    ? setTimeout(() => {
      timedOut = true;
      const answer = idle
        ? Promise.resolve(0)
        : writeError(conn, 408, "request head not received in time", true);
      answer.catch(() => 0).finally(() => {
        try {
          conn.close();
        } catch {
          // Already closed.
        }
      });
    }, timeoutMs)
    : undefined;
  try {
    return await reader.readHead(limits.maxHeaderBytes);
  } catch (error) {
    if (timedOut) return null;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Serves one connection until it closes. Never throws. */
export async function serveConnection(
  conn: Deno.Conn,
  options: ConnectionOptions,
): Promise<void> {
  const reader = new BufferedReader(conn);
  const { limits, handler, client } = options;
  let first = true;
  let tunnelled = false;
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
        }
        break;
      }
      if (headBytes === null) break;
      options.setBusy(true);
      first = false;
      const outcome = await serveRequest(conn, reader, headBytes, options);
      if (outcome === "tunnelled") tunnelled = true;
      if (outcome !== "keep-alive") break;
    }
  } catch {
    // The client went away mid-response; nothing left to tell it.
  } finally {
    if (!tunnelled) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  }
}

async function serveRequest(
  conn: Deno.Conn,
  reader: BufferedReader,
  headBytes: Uint8Array,
  options: ConnectionOptions,
): Promise<"keep-alive" | "close" | "tunnelled"> {
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
    return "close";
  }
  const exchange = createExchange(head, body, client, startedAt);
  let close = !wantsKeepAlive(head) || options.isClosing();
  let response: Response;
  try {
    exchange.target = canonicalizeTarget(head.target);
    if (!REQUEST_METHODS.has(head.method)) {
      throw new TargetError(`method not served: ${head.method}`);
    }
    if (
      (head.method === "GET" || head.method === "HEAD") &&
      exchange.requestFraming.kind !== "none"
    ) {
      throw new TargetError(`${head.method} request with a body`);
    }
    const { path, rawQuery } = exchange.target;
    const url = `http://dockgate${path}${rawQuery ? "?" + rawQuery : ""}`;
    const request = new Request(url, {
      method: head.method,
      headers: head.headers,
    });
    response = await handler.fetch(request, exchange);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    response = handler.rejectTarget(exchange, error);
  }

  // Hono answers HEAD with a copy of the GET response, so the relay is
  // recognised by the verdict, not by the identity of the Response object.
  const relay = exchange.verdict.decision === "allow" ? exchange.relay : null;
  if (relay === null) {
    exchange.relay?.engine.abort();
    close ||= !body.finished;
    exchange.bytesOut = await writeAppResponse(conn, response, {
      method: head.method,
      close,
    }).finally(() => handler.audit(exchange, response.status));
    return close ? "close" : "keep-alive";
  }

  const engine = relay.engine;
  const status = engine.head.status;
  try {
    if (status === 101 || isRawStream(engine)) {
      if (!exchange.hijack) {
        // Only hijack routes may become tunnels; anything else that tries
        // would let later bytes reach the engine unjudged.
        throw new HttpError(502, "engine switched protocols unexpectedly");
      }
      if (status === 101 || engine.framing.kind === "close") {
        return await tunnel(conn, reader, exchange);
      }
    }
    close ||= !body.finished;
    const relayed = relayedHead(engine, { clientVersion: head.version, close });
    await writeAll(conn, relayed.head);
    exchange.bytesOut = await relayBody(conn, engine, relayed.framing);
    return relayed.close || !body.finished ? "close" : "keep-alive";
  } catch (error) {
    engine.abort();
    throw error;
  } finally {
    exchange.bytesIn += body.bytesRead;
    handler.audit(exchange, status);
  }
}

function isRawStream(engine: EngineResponse): boolean {
  const contentType =
    engine.head.headers.find(([name]) => name.toLowerCase() === "content-type")
      ?.[1] ?? "";
  return contentType.startsWith("application/vnd.docker.raw-stream") ||
    contentType.startsWith("application/vnd.docker.multiplexed-stream");
}

async function tunnel(
  conn: Deno.Conn,
  reader: BufferedReader,
  exchange: Exchange,
): Promise<"tunnelled"> {
  const engine = exchange.relay!.engine;
  const relayed = relayedHead(engine, {
    clientVersion: exchange.head.version,
    close: true,
  });
  await writeAll(conn, relayed.head);
  const { bytesIn, bytesOut } = await runTunnel(
    { conn, reader },
    engine.connection,
  );
  exchange.bytesIn += bytesIn;
  exchange.bytesOut += bytesOut;
  return "tunnelled";
}

function createExchange(
  head: RequestHead,
  body: ClientBody,
  client: string,
  startedAt: number,
): Exchange {
  return {
    id: nextRequestId(),
    client,
    startedAt,
    head,
    target: { path: "", routePath: "", apiVersion: null, rawQuery: "" },
    requestFraming: requestFraming(head),
    body: body.finished ? { kind: "none" } : {
      kind: "stream",
      framing: requestFraming(head),
      pieces: body.pieces(),
    },
    readBody: (maxBytes) => body.readAll(maxBytes),
    verdict: { decision: "deny", rule: "none", reason: "", section: null },
    route: null,
    relay: null,
    hijack: false,
    bytesIn: 0,
    bytesOut: 0,
  };
}
