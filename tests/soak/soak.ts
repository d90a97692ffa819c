/**
 * The soak: a bounded run of mixed traffic through one dockgate in front of
 * a private engine, on a Unix socket only. The docker CLI does everyday
 * work, event streams open and close, hijacked sessions (exec, run -i)
 * carry stdin and stdout, and malformed clients send what an attacker or a
 * broken client would. It passes when no good request failed or got a
 * 5xx, no connection was left open, and memory stayed flat.
 *
 * Run it with `deno task soak [seconds]` (default 180); a 20-second
 * version runs with the tests (tests/soak/soak_test.ts).
 *
 * @module
 */

import { docker } from "../support/docker_cli.ts";
import { type Dockgate, startDockgate } from "../support/dockgate.ts";
import {
  type Engine,
  ensureTinyImage,
  startEngine,
  TINY_IMAGE,
} from "../support/engine.ts";
import { findGatePid, openFds, rssKiB, waitFor } from "../hostile/_process.ts";
import {
  closeQuietly,
  connectTo,
  jsonRequest,
  latin1Bytes,
  rawExchange,
  readAnswer,
  request,
  statusesOf,
  writeAll,
} from "../hostile/_raw_http.ts";
import { sleep } from "../support/deadline.ts";

/** Options of {@linkcode runSoak}. */
export interface SoakOptions {
  engine: Engine;
  durationMs: number;
  /** Progress lines, e.g. `console.log`; none by default. */
  log?: (line: string) => void;
}

/** What a soak run saw. */
export interface SoakReport {
  ok: boolean;
  /** Why it failed, one line each; empty when ok. */
  problems: string[];
  /** Completed operations per kind. */
  operations: Record<string, number>;
  /** Audit records per status class ("2xx", "4xx", ...). */
  statuses: Record<string, number>;
  rssKiB: { afterWarmUp: number; peak: number; end: number };
  fds: { afterWarmUp: number; end: number };
}

/** Growth of resident memory tolerated after the warm-up, in KiB. */
const RSS_GROWTH_LIMIT_KIB = 24 * 1024;
const WARM_UP_MS = 5000;

/** Sections the traffic needs; SWARM stays closed for the denied cases. */
const GATE_ENV = {
  CONTAINERS: "1",
  POST: "1",
  DELETE: "1",
  EXEC: "1",
  IMAGES: "1",
  INFO: "1",
  VOLUMES: "1",
  LOG_LEVEL: "info",
  HEADER_TIMEOUT: "5",
  // A capped heap makes V8 collect instead of growing into free memory,
  // so resident memory tracks what is really kept.
  DENO_V8_FLAGS: "--max-old-space-size=96,--max-semi-space-size=4",
};

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)]!;
}

class Tally {
  operations: Record<string, number> = {};
  problems: string[] = [];

  done(kind: string) {
    this.operations[kind] = (this.operations[kind] ?? 0) + 1;
  }

  fail(kind: string, detail: string) {
    if (this.problems.length < 50) {
      this.problems.push(`${kind}: ${detail.slice(0, 300)}`);
    }
  }
}

/** Everyday CLI work; every command must succeed. */
async function cliWorker(
  gate: Dockgate,
  busybox: string,
  until: number,
  tally: Tally,
) {
  const host = gate.dockerHost;
  const jobs: Array<[string, string[], (out: string) => boolean]> = [
    ["cli ps", ["ps", "-a", "-q"], () => true],
    ["cli images", ["images", "-q"], (out) => out.trim() !== ""],
    ["cli version", ["version", "--format", "{{.Server.APIVersion}}"], (
      out,
    ) => /^1\.\d+/.test(out)],
    [
      "cli run",
      ["run", "--rm", "--network", "none", TINY_IMAGE, "echo", "soak"],
      (out) => out === "soak\n",
    ],
    [
      "cli exec",
      ["exec", busybox, "sh", "-c", "echo $((6*7))"],
      (out) => out === "42\n",
    ],
    ["cli logs", ["logs", "--tail", "1", busybox], () => true],
    ["cli inspect", ["inspect", "-f", "{{.State.Running}}", busybox], (
      out,
    ) => out === "true\n"],
    ["cli volume", ["volume", "ls", "-q"], () => true],
  ];
  while (Date.now() < until) {
    const [kind, args, good] = pick(jobs);
    const result = await docker(args, { host, timeoutMs: 60_000 });
    if (result.code !== 0 || !good(result.stdout)) {
      tally.fail(
        kind,
        `exit ${result.code}: ${result.stderr || result.stdout}`,
      );
    } else {
      tally.done(kind);
    }
  }
}

/** Hijacked sessions: stdin in, the same bytes back out. */
async function hijackWorker(
  gate: Dockgate,
  busybox: string,
  until: number,
  tally: Tally,
) {
  const host = gate.dockerHost;
  while (Date.now() < until) {
    const payload = `soak-${crypto.randomUUID()}\n`.repeat(
      1 + Math.floor(Math.random() * 200),
    );
    const exec = Math.random() < 0.6;
    const args = exec
      ? ["exec", "-i", busybox, "cat"]
      : ["run", "--rm", "-i", "--network", "none", TINY_IMAGE, "cat"];
    const kind = exec ? "hijack exec -i" : "hijack run -i";
    const result = await docker(args, {
      host,
      stdin: payload,
      timeoutMs: 60_000,
    });
    if (result.code !== 0 || result.stdout !== payload) {
      tally.fail(
        kind,
        `exit ${result.code}, ${result.stdout.length}/${payload.length} ` +
          `bytes back: ${result.stderr}`,
      );
    } else {
      tally.done(kind);
    }
  }
}

/** Event streams held for a while and dropped, plus quick raw GETs. */
async function streamWorker(gate: Dockgate, until: number, tally: Tally) {
  while (Date.now() < until) {
    if (Math.random() < 0.5) {
      const conn = await connectTo(gate.socketPath);
      try {
        await writeAll(conn, latin1Bytes(request("GET", "/events")));
        const head = await readAnswer(conn, { timeoutMs: 2000 });
        if (!head.text.startsWith("HTTP/1.1 200 ")) {
          tally.fail("events", head.text.slice(0, 200) || head.end);
        } else {
          await sleep(200 + Math.random() * 2000);
          tally.done("events");
        }
      } finally {
        closeQuietly(conn);
      }
    } else {
      // Keep-alive: several good requests on one connection.
      const targets = ["/_ping", "/version", "/containers/json", "/info"];
      const chosen = Array.from({ length: 4 }, () => pick(targets));
      const wire = chosen.map((target, i) =>
        request("GET", target, i === 3 ? [["Connection", "close"]] : [])
      ).join("");
      const answer = await rawExchange(gate.socketPath, wire, {
        timeoutMs: 10_000,
      });
      const statuses = statusesOf(answer);
      if (statuses.length !== 4 || statuses.some((status) => status !== 200)) {
        tally.fail("raw keep-alive", `${statuses.join(",")} ${answer.end}`);
      } else {
        tally.done("raw keep-alive");
      }
    }
  }
}

const SMUGGLED = jsonRequest("POST", "/swarm/init", {});
const CREATE = JSON.stringify({ Image: TINY_IMAGE, Cmd: ["true"] });

/** Malformed requests and the answers allowed for each (0: none at all). */
const MALFORMED: Array<[string, () => string | Uint8Array, number[]]> = [
  ["both lengths", () =>
    "POST /containers/create HTTP/1.1\r\nHost: x\r\n" +
    `Content-Type: application/json\r\nContent-Length: ${CREATE.length}\r\n` +
    "Transfer-Encoding: chunked\r\n\r\n" + CREATE + SMUGGLED, [400]],
  ["garbage", () => "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", [
    400,
  ]],
  ["h2 preface", () => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", [400]],
  [
    "oversized head",
    () => request("GET", "/_ping", [["X-Pad", "a".repeat(70_000)]]),
    [431],
  ],
  ["obs-fold", () => "GET /_ping HTTP/1.1\r\nHost: x\r\n y\r\n\r\n", [400]],
  ["denied", () => request("GET", "/swarm"), [403]],
  [
    "upgrade then smuggle",
    () =>
      request("GET", "/containers/json", [
        ["Connection", "Upgrade"],
        ["Upgrade", "tcp"],
      ]) + SMUGGLED,
    [200, 403],
  ],
  ["bad chunk", () =>
    "POST /containers/create HTTP/1.1\r\nHost: x\r\n" +
    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
    "zz\r\n" + CREATE, [400]],
];

/** Malformed and vanishing clients; none may get a 5xx. */
async function malformedWorker(gate: Dockgate, until: number, tally: Tally) {
  while (Date.now() < until) {
    const roll = Math.random();
    if (roll < 0.25) {
      await vanishingClient(gate.socketPath);
      tally.done("malformed vanish");
      continue;
    }
    const [kind, build, allowed] = pick(MALFORMED);
    const answer = await rawExchange(gate.socketPath, build(), {
      timeoutMs: 3000,
    });
    const statuses = statusesOf(answer);
    const expected = allowed.slice(0, statuses.length);
    if (statuses.length === 0 || statuses.join() !== expected.join()) {
      tally.fail(`malformed ${kind}`, `${statuses.join(",")} ${answer.end}`);
    } else {
      tally.done(`malformed ${kind}`);
    }
  }
}

const UPLOAD_PIECE = new Uint8Array(32 * 1024).fill(0x61);

/** Goes away half way through an upload, a download or a head. */
async function vanishingClient(socket: string) {
  const conn = await connectTo(socket);
  try {
    const kind = Math.floor(Math.random() * 3);
    if (kind === 0) {
      await writeAll(
        conn,
        latin1Bytes(
          request("POST", "/images/load", [
            ["Content-Type", "application/x-tar"],
            ["Content-Length", String(50 * 1024 * 1024)],
          ]),
        ),
      );
      await writeAll(conn, UPLOAD_PIECE);
    } else if (kind === 1) {
      await writeAll(conn, latin1Bytes(request("GET", "/events")));
      await conn.read(new Uint8Array(256));
    } else {
      await writeAll(conn, latin1Bytes("GET /containers/json HTTP/1.1\r\nHo"));
      await sleep(Math.random() * 500);
    }
  } catch {
    // dockgate may have given up on this client first.
  } finally {
    closeQuietly(conn);
  }
}

/** Counts audit records per status class in dockgate's JSON log. */
function statusClasses(logs: string): {
  classes: Record<string, number>;
  failures: string[];
} {
  const classes: Record<string, number> = {};
  const failures: string[] = [];
  for (const line of logs.split("\n")) {
    if (!line.includes('"dockgate.audit"')) continue;
    let record: { status?: number; method?: string; path?: string };
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    const status = record.status ?? 0;
    const key = `${Math.floor(status / 100)}xx`;
    classes[key] = (classes[key] ?? 0) + 1;
    if (status >= 500 && failures.length < 20) {
      failures.push(`${status} ${record.method} ${record.path}`);
    }
  }
  return { classes, failures };
}

/** Runs the soak against `options.engine` and reports what it saw. */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? (() => {});
  await ensureTinyImage(options.engine);
  const gate = await startDockgate({ engine: options.engine, env: GATE_ENV });
  const tally = new Tally();
  const busyboxName = `soak-${crypto.randomUUID().slice(0, 8)}`;
  const engineHost = options.engine.dockerHost;
  let report: SoakReport;
  try {
    report = await soakWith(gate, busyboxName, options, tally, log);
  } catch (error) {
    await docker(["rm", "-f", busyboxName], { host: engineHost });
    await gate.stop().catch(() => {});
    throw error;
  }
  await docker(["rm", "-f", busyboxName], { host: engineHost });
  try {
    await gate.stop();
  } catch (error) {
    report.ok = false;
    report.problems.push(
      `dockgate did not stop cleanly: ${(error as Error).message}`,
    );
  }
  return report;
}

async function soakWith(
  gate: Dockgate,
  busyboxName: string,
  options: SoakOptions,
  tally: Tally,
  log: (line: string) => void,
): Promise<SoakReport> {
  const started = await docker([
    "run",
    "-d",
    "--name",
    busyboxName,
    "--network",
    "none",
    TINY_IMAGE,
    "sleep",
    "100000",
  ], { host: options.engine.dockerHost });
  if (started.code !== 0) {
    throw new Error(`Cannot start the soak container: ${started.stderr}`);
  }
  const pid = findGatePid(gate.socketPath);
  const until = Date.now() + options.durationMs;
  const workers = [
    cliWorker(gate, busyboxName, until, tally),
    cliWorker(gate, busyboxName, until, tally),
    hijackWorker(gate, busyboxName, until, tally),
    hijackWorker(gate, busyboxName, until, tally),
    streamWorker(gate, until, tally),
    streamWorker(gate, until, tally),
    malformedWorker(gate, until, tally),
    malformedWorker(gate, until, tally),
  ];
  await sleep(Math.min(WARM_UP_MS, options.durationMs / 4));
  const afterWarmUp = rssKiB(pid);
  const baseline = openFds(pid);
  let peak = afterWarmUp;
  const sampler = setInterval(() => {
    const rss = rssKiB(pid);
    peak = Math.max(peak, rss);
    const done = Object.values(tally.operations).reduce((a, b) => a + b, 0);
    log(
      `soak: ${Math.round((until - Date.now()) / 1000)} s left, ` +
        `${done} operations, ${tally.problems.length} problems, ` +
        `rss ${Math.round(rss / 1024)} MiB, fds ${openFds(pid)}`,
    );
  }, 5000);
  try {
    await Promise.all(workers);
  } finally {
    clearInterval(sampler);
  }
  // Idle now: every client connection, and every engine connection but
  // the pooled idle ones, must be gone.
  await waitFor(() => openFds(pid) <= baseline, 10_000);
  const endFds = openFds(pid);
  const endRss = rssKiB(pid);
  const { classes, failures } = statusClasses(gate.logs());
  const problems = [...tally.problems];
  for (const failure of failures) problems.push(`5xx answer: ${failure}`);
  if (endFds > baseline) {
    problems.push(`open fds grew from ${baseline} to ${endFds}`);
  }
  if (endRss - afterWarmUp > RSS_GROWTH_LIMIT_KIB) {
    problems.push(`resident memory grew from ${afterWarmUp} to ${endRss} KiB`);
  }
  return {
    ok: problems.length === 0,
    problems,
    operations: tally.operations,
    statuses: classes,
    rssKiB: { afterWarmUp, peak: Math.max(peak, endRss), end: endRss },
    fds: { afterWarmUp: baseline, end: endFds },
  };
}

if (import.meta.main) {
  const seconds = Number(Deno.args[0] ?? "180");
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 1800) {
    console.error("usage: soak.ts [seconds, 1..1800]");
    Deno.exit(2);
  }
  const engine = await startEngine();
  let report: SoakReport;
  try {
    report = await runSoak({
      engine,
      durationMs: seconds * 1000,
      log: (line) => console.log(line),
    });
  } finally {
    await engine.stop();
  }
  console.log(JSON.stringify(report, null, 2));
  Deno.exit(report.ok ? 0 : 1);
}
