/**
 * The listeners: TCP (plain or TLS) and Unix sockets, connection caps,
 * graceful shutdown.
 *
 * dockgate accepts raw connections itself instead of using `Deno.serve`,
 * because hijacked endpoints (`attach`, `exec`) need the raw socket after
 * the engine switches protocols, and because the proxy must see the exact
 * bytes of every request head to refuse ambiguous ones.
 */
import { getLogger } from "@logtape/logtape";
import { BufferedReader } from "../http/buffered_reader.ts";
import { closeAfterError, closeQuietly, writeError } from "./respond.ts";
import {
  type ConnectionLimits,
  type ExchangeHandler,
  serveConnection,
} from "./connection.ts";
import { listenUnixSocket } from "./unix_socket.ts";

/** The PEM files of a TLS listener. */
export interface TlsFilePaths {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface ListenOptions {
  /** TCP address as `host:port`; `:port` listens on all interfaces. */
  addr: string | null;
  /**
   * Serve `addr` over TLS with these files, read when the listener opens.
   * Default: plain TCP.
   */
  tls?: TlsFilePaths | null;
  socket: string | null;
  socketPerms: number;
  limits: ConnectionLimits;
  maxConnections: number;
  maxConnectionsPerClient: number;
  handler: ExchangeHandler;
  /**
   * Called once per accepted connection; the handler it returns serves
   * that connection to its end, so a configuration reload does not change
   * the rules of a connection already open. Default: `handler`.
   */
  handlerFor?: () => ExchangeHandler;
}

/** Who is on the other end of an accepted connection. */
interface Client {
  /** The per-client connection cap counts by this; null for no cap. */
  readonly key: string | null;
  /** For logs: `host:port` or `unix:<path>`. */
  readonly label: string;
  /** Whether the connection speaks TLS (and so needs its handshake). */
  readonly tls: boolean;
}

export interface TcpAddress {
  hostname: string;
  port: number;
}

const logger = getLogger(["dockgate", "listener"]);

const ADDR_REGEXP = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/;

/** Parses `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListenAddr(addr: string): TcpAddress {
  const match = ADDR_REGEXP.exec(addr);
  const port = Number(match?.[3]);
  if (!match || port > 65535) {
    throw new RangeError(`invalid listen address: ${JSON.stringify(addr)}`);
  }
  const hostname = match[1] ?? match[2] ?? "";
  return { hostname: hostname === "" ? "0.0.0.0" : hostname, port };
}

/** True for addresses only this machine can reach. */
export function isLoopback(hostname: string): boolean {
  return hostname === "localhost" || hostname === "::1" ||
    hostname.startsWith("127.");
}

export class ProxyServer {
  #listeners: Deno.Listener[] = [];
  #connections = new Map<Deno.Conn, { busy: boolean }>();
  #perClient = new Map<string, number>();
  #closing = false;
  #options: ListenOptions;
  #accepting: Promise<void>[] = [];
  /** Where the server listens, for logs and tests. */
  readonly endpoints: string[] = [];

  constructor(options: ListenOptions) {
    this.#options = options;
  }

  get activeConnections(): number {
    return this.#connections.size;
  }

  /** Opens every configured listener; throws if one cannot be opened. */
  async start(): Promise<void> {
    const { addr, socket, socketPerms } = this.#options;
    try {
      if (addr !== null) {
        const { hostname, port } = parseListenAddr(addr);
        const tls = this.#options.tls ?? null;
        const listener = tls === null
          ? Deno.listen({ hostname, port })
          : Deno.listenTls({ hostname, port, ...await readTlsFiles(tls) });
        this.#listeners.push(listener);
        const bound = listener.addr as Deno.NetAddr;
        this.endpoints.push(
          `tcp://${
            addr.startsWith("[") ? `[${bound.hostname}]` : bound.hostname
          }:${bound.port}`,
        );
        this.#accepting.push(this.#acceptLoop(listener, (conn) => {
          const remote = conn.remoteAddr as Deno.NetAddr;
          return {
            key: remote.hostname,
            label: `${remote.hostname}:${remote.port}`,
            tls: tls !== null,
          };
        }));
      }
      if (socket !== null) {
        const listener = await listenUnixSocket(socket, socketPerms);
        this.#listeners.push(listener);
        this.endpoints.push(`unix://${socket}`);
        this.#accepting.push(this.#acceptLoop(listener, () => ({
          key: null,
          label: `unix:${socket}`,
          tls: false,
        })));
      }
    } catch (error) {
      this.#closeListeners();
      throw error;
    }
  }

  async #acceptLoop(
    listener: Deno.Listener,
    identify: (conn: Deno.Conn) => Client,
  ): Promise<void> {
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch {
        if (this.#closing) return;
        // Out of file descriptors or a client that reset during accept:
        // back off briefly rather than spin.
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      const client = identify(conn);
      // A TLS connection has no setNoDelay: Deno keeps it to plain TCP.
      if (!client.tls && conn.remoteAddr.transport === "tcp") {
        (conn as Deno.TcpConn).setNoDelay(true);
      }
      void this.#serve(conn, client);
    }
  }

  async #serve(conn: Deno.Conn, { key, label, tls }: Client) {
    const { maxConnections, maxConnectionsPerClient } = this.#options;
    const handler = this.#options.handlerFor?.() ?? this.#options.handler;
    const fromClient = key === null ? 0 : this.#perClient.get(key) ?? 0;
    if (
      this.#connections.size >= maxConnections ||
      fromClient >= maxConnectionsPerClient
    ) {
      const message = this.#connections.size >= maxConnections
        ? "too many connections to dockgate"
        : "too many connections from this client";
      handler.protocolError(label, 503, message);
      if (tls && !await this.#handshake(conn as Deno.TlsConn, label)) return;
      await writeError(conn, 503, message, true).catch(() => 0);
      // The client is likely still writing its request: a plain close
      // could turn the 503 into a reset or a broken pipe on its side.
      await closeAfterError(conn, new BufferedReader(conn));
      return;
    }
    const state = { busy: false };
    this.#connections.set(conn, state);
    if (key !== null) this.#perClient.set(key, fromClient + 1);
    try {
      if (tls && !await this.#handshake(conn as Deno.TlsConn, label)) return;
      await serveConnection(conn, {
        client: label,
        limits: this.#options.limits,
        handler,
        isClosing: () => this.#closing,
        setBusy: (busy) => {
          state.busy = busy;
        },
      });
    } finally {
      this.#connections.delete(conn);
      if (key !== null) {
        const left = (this.#perClient.get(key) ?? 1) - 1;
        if (left === 0) this.#perClient.delete(key);
        else this.#perClient.set(key, left);
      }
    }
  }

  /**
   * Completes the TLS handshake of `conn` within the header timeout, or
   * closes it and returns false. Without the deadline a client that opens a
   * connection and never finishes the handshake would hold it for good:
   * the 408 of the header timeout cannot be written before the handshake.
   */
  async #handshake(conn: Deno.TlsConn, label: string): Promise<boolean> {
    const timer = setTimeout(
      () => closeQuietly(conn),
      this.#options.limits.headerTimeoutMs,
    );
    try {
      await conn.handshake();
      return true;
    } catch (error) {
      logger.info("TLS handshake with {client} failed: {error}", {
        client: label,
        error: error instanceof Error ? error.message : String(error),
      });
      closeQuietly(conn);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #closeListeners() {
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch {
        // Already closed.
      }
    }
    this.#listeners = [];
  }

  /**
   * Stops accepting, closes idle connections, lets busy ones finish for up
   * to `graceMs`, then closes whatever is left (long streams included) and
   * removes the socket file.
   */
  async shutdown(graceMs: number): Promise<void> {
    this.#closing = true;
    this.#closeListeners();
    const deadline = Date.now() + graceMs;
    while (this.#connections.size > 0 && Date.now() < deadline) {
      for (const [conn, state] of this.#connections) {
        if (!state.busy) closeQuietly(conn);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (const conn of this.#connections.keys()) closeQuietly(conn);
    if (this.#options.socket !== null) {
      await Deno.remove(this.#options.socket).catch(() => {});
    }
  }
}

/**
 * Reads the PEM files of a TLS listener.
 *
 * @throws {Error} naming the file that cannot be read
 */
async function readTlsFiles(
  tls: TlsFilePaths,
): Promise<{ cert: string; key: string }> {
  const read = async (what: string, path: string) => {
    try {
      return await Deno.readTextFile(path);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(
        `cannot read TLS ${what} file ${JSON.stringify(path)}: ${detail}`,
      );
    }
  };
  return {
    cert: await read("certificate", tls.certFile),
    key: await read("key", tls.keyFile),
  };
}
