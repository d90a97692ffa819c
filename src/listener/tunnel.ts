/**
 * The raw tunnel behind a hijacked connection (`attach`, `exec` start,
 * BuildKit `session` and `grpc`).
 *
 * It only ever starts after the engine has switched protocols, so every byte
 * that crosses it belongs to a stream the engine agreed to, never to another
 * HTTP request. Each direction ends on its own: when one side stops sending,
 * the other side's write half is closed, which is how `docker run -i` tells
 * the container that stdin is done.
 */
import type { BufferedReader } from "../http/buffered_reader.ts";
import { PieceBuffer, writeAll } from "../http/body.ts";

export interface TunnelEnd {
  conn: Deno.Conn;
  reader: BufferedReader;
}

const PIECE_SIZE = 64 * 1024;

async function pump(
  from: BufferedReader,
  to: Deno.Conn,
  count: (n: number) => void,
): Promise<void> {
  // Each piece is written before the next read, so one buffer will do.
  const buffer = new PieceBuffer();
  try {
    while (true) {
      const piece = await buffer.read(from, PIECE_SIZE);
      if (piece === null) break;
      await writeAll(to, piece);
      count(piece.length);
    }
    await to.closeWrite();
  } catch {
    // One side reset or closed: nothing more can cross in this direction.
    // Closing both ends below wakes the other direction.
    throw new Deno.errors.ConnectionReset("tunnel direction broke");
  }
}

/**
 * Pipes bytes both ways until both directions have ended, then closes both
 * connections. Returns the bytes carried in each direction.
 */
export async function runTunnel(
  client: TunnelEnd,
  engine: TunnelEnd,
): Promise<{ bytesIn: number; bytesOut: number }> {
  let bytesIn = 0;
  let bytesOut = 0;
  const closeBoth = () => {
    for (const conn of [client.conn, engine.conn]) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
  };
  const upstream = pump(client.reader, engine.conn, (n) => bytesIn += n);
  const downstream = pump(engine.reader, client.conn, (n) => bytesOut += n);
  await Promise.all([
    upstream.catch(closeBoth),
    downstream.catch(closeBoth),
  ]);
  closeBoth();
  return { bytesIn, bytesOut };
}
