/**
 * Relaying the engine's answer to the client: as plain HTTP, or as a raw
 * tunnel when a hijack route was taken over by the engine.
 */
import type { BufferedReader } from "../http/buffered_reader.ts";
import { writeAll } from "../http/body.ts";
import type { Exchange } from "../app/exchange.ts";
import type { EngineResponse } from "../upstream/engine_exchange.ts";
import type { ClientBody } from "./client_body.ts";
import type { ExchangeHandler, Outcome } from "./connection.ts";
import { closeQuietly, relayBody, relayedHead, writeError } from "./respond.ts";
import { runTunnel } from "./tunnel.ts";

const RAW_STREAM_TYPES = [
  "application/vnd.docker.raw-stream",
  "application/vnd.docker.multiplexed-stream",
];

/**
 * Relays the engine's answer to an allowed request: a plain HTTP answer
 * with its body, or, on a hijack route and only after the engine took the
 * connection over, a raw tunnel. Writes the audit record when done.
 */
export async function relayEngineAnswer(
  conn: Deno.Conn,
  reader: BufferedReader,
  exchange: Exchange,
  body: ClientBody,
  options: { close: boolean; handler: ExchangeHandler; watchLimit: number },
): Promise<Outcome> {
  const engine = exchange.relay!.engine;
  let status = engine.head.status;
  try {
    if (status === 101 && !exchange.hijack) {
      // Only hijack routes may become tunnels; anything else that tries
      // would let later bytes reach the engine unjudged.
      engine.abort();
      status = 502;
      return await failExchange(
        conn,
        exchange,
        "engine:protocol",
        "the engine switched protocols on a route that does not hijack",
      );
    }
    if (exchange.hijack && takesOver(engine)) {
      if (!await engine.requestSent || !body.finished) {
        engine.abort();
        status = 502;
        return await failExchange(
          conn,
          exchange,
          "engine:protocol",
          "the engine took over the connection before the request was sent",
        );
      }
      return await tunnel(conn, reader, exchange);
    }
    const close = options.close || !body.finished;
    const relayed = relayedHead(engine, {
      clientVersion: exchange.head.version,
      close,
    });
    // A client that hangs up during a long answer (events, logs -f, stats)
    // must not keep the engine side open until the engine's next byte. An
    // end of stream from the client counts as hanging up, as it does for
    // the engine's own server, which cancels the request then.
    const stopWatching = body.finished
      ? watchForHangUp(reader, options.watchLimit, () => engine.abort())
      : () => {};
    try {
      exchange.bytesOut = await relayBody(conn, engine, relayed);
    } finally {
      stopWatching();
    }
    return relayed.close || !body.finished ? "close" : "keep-alive";
  } catch (error) {
    engine.abort();
    throw error;
  } finally {
    exchange.bytesIn += body.bytesRead;
    options.handler.audit(exchange, status);
  }
}

/** Answers 502 for an engine that broke the protocol, then closes. */
async function failExchange(
  conn: Deno.Conn,
  exchange: Exchange,
  rule: string,
  reason: string,
): Promise<Outcome> {
  exchange.verdict = { ...exchange.verdict, decision: "error", rule, reason };
  exchange.bytesOut = await writeError(conn, 502, `dockgate: ${reason}`, true);
  return "close";
}

/**
 * Reads ahead on the client connection while an answer is relayed, and
 * calls `onGone` if the client hangs up. Bytes of a pipelined next request
 * stay buffered for the parser, up to `limit`, after which reading stops
 * until the answer is out. Returns a function that stops watching.
 */
function watchForHangUp(
  reader: BufferedReader,
  limit: number,
  onGone: () => void,
): () => void {
  let watching = true;
  void (async () => {
    try {
      while (watching && reader.buffered <= limit) {
        if (!await reader.readMore()) break;
      }
      if (watching && reader.ended) onGone();
    } catch {
      if (watching) onGone();
    }
  })();
  return () => {
    watching = false;
  };
}

/**
 * True when the engine took the connection over: a 101, or the 200 with a
 * raw stream and no length that `attach` and `exec` send to clients that
 * did not ask to upgrade. Any other answer, errors included, is plain HTTP
 * and is relayed as such, even when it carries a stream content type.
 */
function takesOver(engine: EngineResponse): boolean {
  const status = engine.head.status;
  if (status === 101) return true;
  if (status !== 200 || engine.framing.kind !== "close") return false;
  const contentType = firstHeaderValue(engine, "content-type") ?? "";
  return RAW_STREAM_TYPES.some((type) => contentType.startsWith(type));
}

function firstHeaderValue(
  engine: EngineResponse,
  name: string,
): string | undefined {
  return engine.head.headers.find(([key]) => key.toLowerCase() === name)?.[1];
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
  try {
    await writeAll(conn, relayed.head);
    const { bytesIn, bytesOut } = await runTunnel(
      { conn, reader },
      engine.connection,
    );
    exchange.bytesIn += bytesIn;
    exchange.bytesOut += bytesOut;
  } finally {
    // The tunnel closed both ends; this drops the engine side from the
    // pool's books.
    engine.abort();
    closeQuietly(conn);
  }
  return "tunnelled";
}
