/**
 * dockgate under engine and client faults, run as the real process: a slow
 * engine, an engine that goes away and comes back (a fake one, and a real
 * dockerd restarted under open event streams), clients that vanish in the
 * middle of uploads and downloads, and a graceful shutdown under load.
 */

import assert from "node:assert/strict";
import { docker } from "../support/docker_cli.ts";
import { type Dockgate, startDockgate } from "../support/dockgate.ts";
import { sleep } from "../support/deadline.ts";
import { integrationSkipped } from "../support/engine.ts";
import {
  type FakeEngine,
  type FakeHandler,
  sendJson,
  startFakeEngine,
} from "./_fake_engine.ts";
import {
  findGatePid,
  isRunning,
  openFds,
  rssKiB,
  settledFds,
  waitFor,
} from "./_process.ts";
import {
  closeQuietly,
  connectTo,
  latin1Bytes,
  rawExchange,
  readAnswer,
  request,
  writeAll,
} from "./_raw_http.ts";
import { createRestartableEngine } from "./_restartable_engine.ts";

const CLOSE = [["Connection", "close"]] as Array<[string, string]>;

function faultTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name,
    ignore: integrationSkipped(),
    sanitizeResources: false,
    sanitizeOps: false,
    fn,
  });
}

/** Starts a fake engine and dockgate in front of it, runs `fn`, stops both. */
async function withFakeEngine(
  env: Record<string, string>,
  handler: FakeHandler | null,
  fn: (fake: FakeEngine, gate: Dockgate) => Promise<void>,
): Promise<void> {
  const fake = await startFakeEngine(handler);
  let gate: Dockgate | undefined;
  try {
    gate = await startDockgate({ engine: fake, env });
    await fn(fake, gate);
  } catch (error) {
    if (error instanceof Error && gate !== undefined) {
      error.message += `\n--- dockgate log ---\n${gate.logs().slice(-3000)}`;
    }
    throw error;
  } finally {
    await gate?.stop().catch(() => {});
    await fake.stop();
  }
}

/** Sends a GET with Connection: close and returns status and body. */
async function get(socket: string, target: string, timeoutMs = 5000) {
  const result = await rawExchange(socket, request("GET", target, CLOSE), {
    timeoutMs,
  });
  const response = result.responses[0];
  return { status: response?.status ?? 0, body: response?.body ?? "" };
}

faultTest("a slow engine answer does not hold up other clients", async () => {
  const release = Promise.withResolvers<void>();
  const handler: FakeHandler = async (req) => {
    if (req.target !== "/info") return undefined;
    await Promise.race([release.promise, sleep(20_000)]);
    await sendJson(req.conn, 200, { ID: "slow" });
    return "keep";
  };
  await withFakeEngine({ INFO: "1" }, handler, async (fake, gate) => {
    const slow = Array.from(
      { length: 20 },
      () => get(gate.socketPath, "/info", 25_000),
    );
    assert.ok(
      await waitFor(
        () => fake.requests.filter((r) => r.target === "/info").length === 20,
        5000,
      ),
      "the slow requests did not all reach the engine",
    );
    const started = Date.now();
    const fast = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const begun = Date.now();
        const answer = await get(gate.socketPath, "/_ping");
        return { ...answer, ms: Date.now() - begun };
      }),
    );
    assert.ok(fast.every((answer) => answer.status === 200));
    const slowest = Math.max(...fast.map((answer) => answer.ms));
    assert.ok(slowest < 2000, `a ping took ${slowest} ms`);
    assert.ok(Date.now() - started < 5000);
    release.resolve();
    const answers = await Promise.all(slow);
    assert.deepEqual(
      answers.map((answer) => answer.status),
      Array(20).fill(200),
    );
  });
});

faultTest(
  "with the engine down dockgate answers 502 naming it, then recovers",
  async () => {
    await withFakeEngine({ CONTAINERS: "1" }, null, async (fake, gate) => {
      assert.equal((await get(gate.socketPath, "/_ping")).status, 200);
      await fake.down();
      for (const target of ["/_ping", "/containers/json"]) {
        const answer = await get(gate.socketPath, target);
        assert.equal(answer.status, 502, answer.body);
        assert.ok(
          answer.body.includes(fake.dockerHost),
          `no engine address in ${answer.body}`,
        );
      }
      fake.up();
      assert.equal((await get(gate.socketPath, "/_ping")).status, 200);
      // Pooled connections that the engine dropped are retried on a fresh
      // one, so a quick engine restart costs the client nothing.
      const kept = await connectTo(gate.socketPath);
      try {
        await writeAll(kept, latin1Bytes(request("GET", "/_ping")));
        const first = await readAnswer(kept, { responses: 1 });
        assert.equal(first.responses[0]?.status, 200, first.text);
        await fake.down();
        fake.up();
        await writeAll(kept, latin1Bytes(request("GET", "/version")));
        const again = await readAnswer(kept, { responses: 1 });
        assert.equal(again.responses[0]?.status, 200, again.text);
      } finally {
        closeQuietly(kept);
      }
    });
  },
);

faultTest(
  "a dockerd restart ends open event streams, then requests succeed again",
  async () => {
    const engine = await createRestartableEngine();
    let gate: Dockgate | undefined;
    try {
      await engine.start();
      gate = await startDockgate({
        engine: { ...engine, stop: () => engine.stop() },
        env: { CONTAINERS: "1" },
      });
      const socket = gate.socketPath;
      const streams = await Promise.all([1, 2, 3].map(async () => {
        const conn = await connectTo(socket);
        await writeAll(conn, latin1Bytes(request("GET", "/events")));
        return conn;
      }));
      const cli = docker(["events"], {
        host: gate.dockerHost,
        timeoutMs: 60_000,
      });
      // The engine sends the head of an events answer at once.
      const heads = await Promise.all(streams.map(async (conn) => {
        const buffer = new Uint8Array(1024);
        const n = await conn.read(buffer);
        return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
      }));
      for (const head of heads) assert.match(head, /^HTTP\/1\.1 200 /);
      await sleep(500);

      await engine.halt();
      const ends = await Promise.all(
        streams.map((conn) => readAnswer(conn, { timeoutMs: 15_000 })),
      );
      for (const end of ends) {
        assert.notEqual(end.end, "timeout", "an event stream stayed open");
      }
      const cliResult = await cli;
      assert.equal(cliResult.timedOut, false, "docker events did not end");
      const down = await get(socket, "/_ping");
      assert.equal(down.status, 502, down.body);
      assert.ok(down.body.includes(engine.dockerHost), down.body);

      await engine.start();
      assert.equal((await get(socket, "/_ping")).status, 200);
      assert.equal((await get(socket, "/containers/json")).status, 200);
      const fresh = await rawExchange(socket, request("GET", "/events"), {
        timeoutMs: 1000,
      });
      assert.match(fresh.text, /^HTTP\/1\.1 200 /);
      streams.forEach(closeQuietly);
    } finally {
      await gate?.stop().catch(() => {});
      await engine.stop();
    }
  },
);

/** Engine side of the vanishing-client test: endless streams and uploads. */
const VANISH_HANDLER: FakeHandler = async (req) => {
  if (req.target.startsWith("/events")) {
    await writeAll(
      req.conn,
      latin1Bytes(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n" +
          "Transfer-Encoding: chunked\r\n\r\n",
      ),
    );
    if (req.target.includes("talk")) {
      const event = latin1Bytes('10\r\n{"status":"x"}\n\r\n');
      // Until dockgate closes this side.
      while (true) {
        await writeAll(req.conn, event);
        await sleep(5);
      }
    }
    // Silent: wait for dockgate to close the connection.
    await req.conn.read(new Uint8Array(16));
    return "close";
  }
  if (req.target.startsWith("/images/load")) {
    for await (const _ of req.pieces()) await sleep(1);
    await sendJson(req.conn, 200, { stream: "loaded" });
    return "keep";
  }
  return undefined;
};

const UPLOAD_PIECE = new Uint8Array(64 * 1024).fill(0x61);

/** One client that goes away in the middle of an exchange. */
async function vanish(socket: string, kind: number): Promise<void> {
  const conn = await connectTo(socket);
  try {
    if (kind === 0 || kind === 1) {
      const target = kind === 0 ? "/events?talk=1" : "/events";
      await writeAll(conn, latin1Bytes(request("GET", target)));
      await conn.read(new Uint8Array(kind === 0 ? 4096 : 64));
      return;
    }
    const framing: Array<[string, string]> = kind === 2
      ? [["Content-Length", String(100 * 1024 * 1024)]]
      : [["Transfer-Encoding", "chunked"]];
    await writeAll(
      conn,
      latin1Bytes(request("POST", "/images/load", [
        ["Content-Type", "application/x-tar"],
        ...framing,
      ])),
    );
    for (let i = 0; i < 4; i++) {
      if (kind === 3) {
        await writeAll(
          conn,
          latin1Bytes(`${UPLOAD_PIECE.length.toString(16)}\r\n`),
        );
        await writeAll(conn, UPLOAD_PIECE);
        await writeAll(conn, latin1Bytes("\r\n"));
      } else {
        await writeAll(conn, UPLOAD_PIECE);
      }
    }
  } catch {
    // dockgate may already have given up on this client; that is fine.
  } finally {
    closeQuietly(conn);
  }
}

async function vanishRound(socket: string, count: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < count) {
      const kind = next++ % 4;
      await vanish(socket, kind);
    }
  }));
}

faultTest(
  "1,000 clients vanishing mid-upload and mid-download leak no fd or memory",
  async () => {
    // A capped heap makes V8 collect instead of growing into free memory,
    // so resident memory only grows with what is really kept, and a leak
    // ends in an out-of-memory crash rather than a slow climb.
    const env = {
      IMAGES: "1",
      POST: "1",
      LOG_LEVEL: "info",
      DENO_V8_FLAGS: "--max-old-space-size=64,--max-semi-space-size=2",
    };
    await withFakeEngine(
      env,
      VANISH_HANDLER,
      async (fake, gate) => {
        const pid = findGatePid(gate.socketPath);
        // Warm up: compile paths, grow pools and heaps to their working size.
        await vanishRound(gate.socketPath, 500);
        await waitFor(() => fake.openConnections <= 1, 10_000);
        const baseFds = await settledFds(pid, 0, 2000);
        const baseRss = rssKiB(pid);

        await vanishRound(gate.socketPath, 1000);

        // Every engine-side connection of a vanished client is closed.
        assert.ok(
          await waitFor(() => fake.openConnections <= 1, 10_000),
          `${fake.openConnections} engine connections still open`,
        );
        const fds = await settledFds(pid, baseFds, 10_000);
        assert.ok(fds <= baseFds, `fds grew from ${baseFds} to ${fds}`);
        const rss = rssKiB(pid);
        assert.ok(
          rss - baseRss < 16 * 1024,
          `resident memory grew from ${baseRss} to ${rss} KiB`,
        );
        assert.equal((await get(gate.socketPath, "/_ping")).status, 200);
        assert.ok(openFds(pid) > 0);
      },
    );
  },
);

faultTest(
  "SIGTERM under load: in-flight requests finish, new ones are refused",
  async () => {
    const handler: FakeHandler = async (req) => {
      if (req.target === "/info") {
        await sleep(1500);
        await sendJson(req.conn, 200, { ID: "slow" });
        return "keep";
      }
      return await VANISH_HANDLER(req);
    };
    await withFakeEngine(
      { INFO: "1", SHUTDOWN_GRACE: "4" },
      handler,
      async (fake, gate) => {
        const socket = gate.socketPath;
        const pid = findGatePid(socket);
        const inFlight = Array.from(
          { length: 10 },
          () => get(socket, "/info", 10_000),
        );
        const stream = await connectTo(socket);
        await writeAll(stream, latin1Bytes(request("GET", "/events")));
        assert.ok(
          await waitFor(
            () =>
              fake.requests.filter((r) => r.target === "/info").length === 10 &&
              fake.requests.some((r) => r.target === "/events"),
            5000,
          ),
        );
        const stoppedAt = Date.now();
        Deno.kill(pid, "SIGTERM");
        await sleep(300);
        await assert.rejects(
          () => connectTo(socket),
          "a new connection was accepted after SIGTERM",
        );
        const answers = await Promise.all(inFlight);
        assert.deepEqual(answers.map((a) => a.status), Array(10).fill(200));
        // The endless stream is cut at the end of the grace period.
        const streamEnd = await readAnswer(stream, { timeoutMs: 8000 });
        assert.notEqual(streamEnd.end, "timeout");
        closeQuietly(stream);
        assert.ok(await waitFor(() => !isRunning(pid), 8000), "still running");
        assert.ok(Date.now() - stoppedAt < 7000, "shutdown overran its grace");
        await assert.rejects(
          () => Deno.lstat(socket),
          Deno.errors.NotFound,
          "the socket file is still there",
        );
        // Exit code 0, or stop() throws.
        assert.equal(await gate.stop(), 0);
      },
    );
  },
);
