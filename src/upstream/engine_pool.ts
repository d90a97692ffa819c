/**
 * Connections to the Docker engine, opened with `Deno.connect` and kept for
 * reuse between requests.
 */
import { BufferedReader } from "../http/buffered_reader.ts";

/** Where the engine listens. */
export type EngineAddress =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number };

/** One connection to the engine with its read buffer. */
export interface EngineConnection {
  conn: Deno.Conn;
  reader: BufferedReader;
}

/** The engine could not be reached: answered 502 with the address. */
export class EngineUnreachableError extends Error {}

const DEFAULT_MAX_IDLE = 64;

/** The engine address as users write it, for messages and logs. */
export function describeEngine(address: EngineAddress): string {
  return address.kind === "unix"
    ? `unix://${address.path}`
    : `tcp://${address.host}:${address.port}`;
}

export class EnginePool {
  readonly address: EngineAddress;
  readonly description: string;
  #idle: EngineConnection[] = [];
  #maxIdle: number;
  #open = new Set<Deno.Conn>();
  /** Called when the engine answers again after being unreachable. */
  onReconnect: (() => void) | undefined;
  #unreachable = false;

  constructor(
    address: EngineAddress,
    options: { maxIdle?: number } = {},
  ) {
    this.address = address;
    this.description = describeEngine(address);
    this.#maxIdle = options.maxIdle ?? DEFAULT_MAX_IDLE;
  }

  /** Connections currently open to the engine, idle or busy. */
  get openConnections(): number {
    return this.#open.size;
  }

  /** Opens a new connection that is never shared (hijacks, retries). */
  async connect(): Promise<EngineConnection> {
    let conn: Deno.Conn;
    try {
      conn = this.address.kind === "unix"
        ? await Deno.connect({ transport: "unix", path: this.address.path })
        : await Deno.connect({
          hostname: this.address.host,
          port: this.address.port,
        });
    } catch (error) {
      this.#unreachable = true;
      const detail = error instanceof Error ? error.message : String(error);
      throw new EngineUnreachableError(
        `cannot reach the Docker engine at ${this.description}: ${detail}`,
      );
    }
    if (this.#unreachable) {
      this.#unreachable = false;
      this.onReconnect?.();
    }
    if (conn.remoteAddr.transport === "tcp") {
      (conn as Deno.TcpConn).setNoDelay(true);
    }
    this.#open.add(conn);
    return { conn, reader: new BufferedReader(conn) };
  }

  /** An idle connection if there is one, else a new one. */
  async acquire(): Promise<{ connection: EngineConnection; reused: boolean }> {
    const connection = this.#idle.pop();
    if (connection) return { connection, reused: true };
    return { connection: await this.connect(), reused: false };
  }

  /** Hands a connection back once its exchange is complete. */
  release(connection: EngineConnection): void {
    if (this.#idle.length >= this.#maxIdle || connection.reader.buffered > 0) {
      this.discard(connection);
      return;
    }
    this.#idle.push(connection);
  }

  /** Closes a connection that cannot be reused. */
  discard(connection: EngineConnection): void {
    this.#open.delete(connection.conn);
    try {
      connection.conn.close();
    } catch {
      // Already closed by the peer or by a failed write.
    }
  }

  /** Closes every connection, idle or busy (shutdown). */
  closeAll(): void {
    this.#idle = [];
    for (const conn of this.#open) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    this.#open.clear();
  }
}
