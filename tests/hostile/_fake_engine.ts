/**
 * A stand-in for the Docker engine on a private Unix socket, for faults a
 * real engine will not produce on demand: answers that never come, streams
 * that never end, an engine that goes away and comes back. It records every
 * byte and request it receives, so a test can prove that dockgate forwarded
 * nothing.
 *
 * @module
 */

import { readBody } from "../../src/http/body.ts";
import { BufferedReader } from "../../src/http/buffered_reader.ts";
import {
  type HeaderList,
  parseRequestHead,
  requestFraming,
} from "../../src/http/message.ts";
import { closeQuietly, latin1Bytes, writeAll } from "./_raw_http.ts";

/** A request as the fake engine parsed it. */
export interface FakeRequest {
  method: string;
  target: string;
  headers: HeaderList;
  /** The connection, for handlers that answer with raw bytes. */
  conn: Deno.Conn;
  /** Streams the body; whatever a handler leaves unread is drained. */
  pieces(): AsyncGenerator<Uint8Array>;
  /** Reads the whole body. */
  text(): Promise<string>;
  /**
   * Takes the bytes already read past the head, for handlers that go on
   * reading the raw connection (hijacks).
   */
  takeBuffered(): string;
}

/**
 * Answers one request by writing to `request.conn`. Resolve "close" to
 * close the connection afterwards, "keep" to read the next request, and
 * undefined to let the default handler answer.
 */
export type FakeHandler = (
  request: FakeRequest,
) => Promise<"close" | "keep" | undefined>;

/** A running fake engine. */
export interface FakeEngine {
  readonly dir: string;
  readonly socketPath: string;
  readonly dockerHost: string;
  /** Method and target of every request received, in order. */
  readonly requests: Array<{ method: string; target: string }>;
  /** Bytes received on all connections so far. */
  readonly bytesReceived: number;
  /** Connections open right now. */
  readonly openConnections: number;
  /** Replaces the request handler (null: the default one only). */
  handle(handler: FakeHandler | null): void;
  /** Stops listening, drops every connection and removes the socket. */
  down(): Promise<void>;
  /** Listens again on the same path. */
  up(): void;
  /** For the `Engine` shape the harness expects. */
  logs(): string;
  stop(): Promise<void>;
}

const VERSION_TARGET_REGEXP = /^(?:\/v[0-9.]+)?\/version$/;
const PING_TARGET_REGEXP = /^(?:\/v[0-9.]+)?\/_ping$/;

/** Writes a complete response with a JSON body. */
export async function sendJson(
  conn: Deno.Conn,
  status: number,
  value: unknown,
  extraHeaders = "",
): Promise<void> {
  const body = JSON.stringify(value);
  await writeAll(
    conn,
    latin1Bytes(
      `HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\n` +
        `Api-Version: 1.41\r\n${extraHeaders}` +
        `Content-Length: ${body.length}\r\n\r\n${body}`,
    ),
  );
}

async function defaultHandler(request: FakeRequest): Promise<"keep"> {
  if (PING_TARGET_REGEXP.test(request.target)) {
    await writeAll(
      request.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Length: 2\r\n\r\nOK",
      ),
    );
  } else if (VERSION_TARGET_REGEXP.test(request.target)) {
    await sendJson(request.conn, 200, {
      ApiVersion: "1.41",
      Version: "20.10.0-fake",
    });
  } else {
    await sendJson(request.conn, 404, {
      message: `fake engine has no route for ${request.target}`,
    });
  }
  return "keep";
}

/** Starts a fake engine on a socket in a new temp dir. */
export async function startFakeEngine(
  handler: FakeHandler | null = null,
): Promise<FakeEngine> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "dgf-" });
  const socketPath = `${dir}/engine.sock`;
  const requests: Array<{ method: string; target: string }> = [];
  const conns = new Set<Deno.Conn>();
  let current = handler;
  let bytesReceived = 0;
  let listener: Deno.Listener | null = null;
  let accepting: Promise<void> = Promise.resolve();

  async function serve(conn: Deno.Conn) {
    conns.add(conn);
    const reader = new BufferedReader({
      async read(buffer) {
        const n = await conn.read(buffer);
        if (n !== null) bytesReceived += n;
        return n;
      },
    });
    try {
      while (true) {
        const headBytes = await reader.readHead(1024 * 1024);
        if (headBytes === null) break;
        const head = parseRequestHead(headBytes, 1000);
        requests.push({ method: head.method, target: head.target });
        const body = readBody(reader, requestFraming(head), "client");
        const request: FakeRequest = {
          method: head.method,
          target: head.target,
          headers: head.headers,
          conn,
          pieces: () => body,
          async text() {
            let text = "";
            for await (const piece of body) {
              text += String.fromCharCode(...piece);
            }
            return text;
          },
          takeBuffered: () => String.fromCharCode(...reader.takeBuffered()),
        };
        const outcome = (await current?.(request)) ??
          await defaultHandler(request);
        if (outcome === "close") break;
        for await (const _ of body) { /* drain what the handler left */ }
      }
    } catch {
      // A client that went away, or a test that closed the connection.
    } finally {
      conns.delete(conn);
      closeQuietly(conn);
    }
  }

  async function accept(l: Deno.Listener) {
    try {
      for await (const conn of l) void serve(conn);
    } catch {
      // Listener closed.
    }
  }

  function up() {
    listener = Deno.listen({ transport: "unix", path: socketPath });
    accepting = accept(listener);
  }

  async function down() {
    try {
      listener?.close();
    } catch {
      // Already closed.
    }
    listener = null;
    // Deno unlinks the socket when the listener is finally dropped, which
    // must happen before up() binds the path again.
    await accepting;
    for (const conn of conns) closeQuietly(conn);
    await Deno.remove(socketPath).catch(() => {});
  }

  up();
  return {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    requests,
    get bytesReceived() {
      return bytesReceived;
    },
    get openConnections() {
      return conns.size;
    },
    handle(next) {
      current = next;
    },
    down,
    up,
    logs: () => "",
    async stop() {
      await down();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
