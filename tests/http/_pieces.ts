/**
 * Byte sources that deliver a message in chosen pieces, to prove that
 * parsing does not depend on where reads happen to split the bytes.
 *
 * @module
 */

import type { ByteSource } from "../../src/http/buffered_reader.ts";

/** A source that hands out `pieces` one per read, then ends. */
export function piecesSource(pieces: Uint8Array[]): ByteSource & {
  reads: number;
} {
  const queue = pieces.map((piece) => piece.slice());
  return {
    reads: 0,
    read(buffer: Uint8Array) {
      this.reads++;
      const piece = queue.shift();
      if (piece === undefined) return Promise.resolve(null);
      const n = Math.min(buffer.length, piece.length);
      buffer.set(piece.subarray(0, n));
      if (n < piece.length) queue.unshift(piece.subarray(n));
      return Promise.resolve(n);
    },
  };
}

/** Every way to cut `bytes` into two pieces, plus one byte per piece. */
export function splits(bytes: Uint8Array): Uint8Array[][] {
  const ways: Uint8Array[][] = [];
  for (let cut = 0; cut <= bytes.length; cut++) {
    ways.push([bytes.subarray(0, cut), bytes.subarray(cut)]);
  }
  ways.push([...bytes].map((byte) => Uint8Array.of(byte)));
  return ways;
}
