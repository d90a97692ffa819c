import assert from "node:assert/strict";
import { BufferedReader } from "../../src/http/buffered_reader.ts";
import { runTunnel } from "../../src/listener/tunnel.ts";
import { closeQuietly, readAnswer } from "../hostile/_raw_http.ts";
import { LATE, raceDeadline } from "../support/deadline.ts";

const ENCODER = new TextEncoder();

/** A connected pair of Unix sockets: [our end, the far end]. */
async function socketPair(
  dir: string,
  name: string,
): Promise<[Deno.Conn, Deno.Conn]> {
  const path = `${dir}/${name}`;
  const listener = Deno.listen({ transport: "unix", path });
  const [near, far] = await Promise.all([
    listener.accept(),
    Deno.connect({ transport: "unix", path }),
  ]);
  listener.close();
  return [near, far];
}

Deno.test("runTunnel() carries buffered and later bytes both ways, then closes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dg-tunnel-" });
  const [clientSide, client] = await socketPair(dir, "c");
  const [engineSide, engine] = await socketPair(dir, "e");
  try {
    const clientReader = new BufferedReader(clientSide);
    const engineReader = new BufferedReader(engineSide);
    // Bytes the parsers read ahead must go first, before any new ones.
    await client.write(ENCODER.encode("early"));
    await clientReader.waitForData();
    const tunnel = runTunnel(
      { conn: clientSide, reader: clientReader },
      { conn: engineSide, reader: engineReader },
    );
    await client.write(ENCODER.encode("-late"));
    await client.closeWrite();
    const atEngine = await readAnswer(engine, { timeoutMs: 2000 });
    assert.equal(atEngine.text, "early-late");
    assert.equal(atEngine.end, "eof", "the client's half-close was lost");
    await engine.write(ENCODER.encode("output"));
    await engine.closeWrite();
    const atClient = await readAnswer(client, { timeoutMs: 2000 });
    assert.equal(atClient.text, "output");
    assert.deepEqual(await tunnel, { bytesIn: 10, bytesOut: 6 });
  } finally {
    [clientSide, client, engineSide, engine].forEach(closeQuietly);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("runTunnel() ends once a vanished client's side fails to take output", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dg-tunnel-" });
  const [clientSide, client] = await socketPair(dir, "c");
  const [engineSide, engine] = await socketPair(dir, "e");
  try {
    const tunnel = runTunnel(
      { conn: clientSide, reader: new BufferedReader(clientSide) },
      { conn: engineSide, reader: new BufferedReader(engineSide) },
    );
    client.close();
    // The client's end reads as a half-close: stdin is done.
    const atEngine = await readAnswer(engine, { timeoutMs: 2000 });
    assert.equal(atEngine.end, "eof");
    // Output for a client that is gone breaks the tunnel for good.
    await engine.write(ENCODER.encode("output")).catch(() => 0);
    const ended = await raceDeadline(tunnel, 2000);
    assert.notEqual(ended, LATE, "the tunnel outlived both of its ends");
    const closed = await readAnswer(engine, { timeoutMs: 2000 });
    assert.notEqual(closed.end, "timeout");
  } finally {
    [clientSide, engineSide, engine].forEach(closeQuietly);
    await Deno.remove(dir, { recursive: true });
  }
});
