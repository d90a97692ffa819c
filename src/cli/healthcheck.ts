/**
 * `dockgate healthcheck`: asks the running dockgate for `GET /_ping`, for
 * a container's HEALTHCHECK, which has no shell or curl to do it.
 *
 * It exits 0 on a 200 answer and 1 otherwise. Since `_ping` is forwarded,
 * a 200 means that dockgate answers, that policy opens PING (on by
 * default) and that the engine is reachable.
 *
 * It asks the listener of `listen:`, or the first of `listeners:` when
 * `listen:` has none. A TLS listener is asked over TLS, trusting the
 * certificates of its `cert_file` (a chain that holds its issuer) and the
 * system's roots. The certificate's names are not checked: the probe dials
 * the configured address, which the certificate need not name.
 *
 * @module
 */

import { parseListenAddr } from "../listener/listen.ts";
import type { DockgateConfig } from "../config/schema.ts";

/** One place to ask: a Unix socket or a TCP address. */
export type HealthTarget =
  | { readonly transport: "unix"; readonly path: string }
  | {
    readonly transport: "tcp";
    readonly hostname: string;
    port: number;
    /** Speak TLS, trusting the certificates in this PEM file. */
    readonly tlsCertFile?: string;
  };

/** The settings of one listener that the probe needs. */
export interface HealthListener {
  readonly addr: string | null;
  readonly socket: string | null;
  readonly tls?: { readonly cert_file: string | null } | null;
}

/** Options of {@linkcode probeHealth}. */
export interface HealthOptions {
  /** Time for all attempts together. Default: 3000 ms. */
  timeoutMs?: number;
}

/** What {@linkcode probeHealth} found. */
export interface HealthResult {
  readonly healthy: boolean;
  /** One line for the user: the status or why there is none. */
  readonly detail: string;
}

const DEFAULT_TIMEOUT_MS = 3_000;

const STATUS_LINE_REGEXP = /^HTTP\/1\.[01] (\d{3})[ \r]/;

/** Enough for any status line; the body is never read. */
const MAX_HEAD_BYTES = 1024;

const PING_REQUEST = "GET /_ping HTTP/1.1\r\nHost: localhost\r\n" +
  "User-Agent: dockgate-healthcheck\r\nConnection: close\r\n\r\n";

/**
 * Where to ask, in order. The socket wins when both are set. A wildcard or
 * `localhost` address is asked on 127.0.0.1 and then on ::1, so the check
 * works whichever family `localhost` means on the host; names are never
 * resolved, which would need net access to them.
 */
export function healthTargets(listen: HealthListener): HealthTarget[] {
  if (listen.socket !== null) {
    return [{ transport: "unix", path: listen.socket }];
  }
  if (listen.addr === null) return [];
  const { hostname, port } = parseListenAddr(listen.addr);
  const certFile = listen.tls?.cert_file ?? null;
  const tcp = (host: string): HealthTarget => ({
    transport: "tcp",
    hostname: host,
    port,
    ...(certFile === null ? {} : { tlsCertFile: certFile }),
  });
  switch (hostname) {
    case "0.0.0.0":
    case "localhost":
      return [tcp("127.0.0.1"), tcp("::1")];
    case "::":
      return [tcp("::1"), tcp("127.0.0.1")];
    default:
      return [tcp(hostname)];
  }
}

/**
 * The listener to ask: that of `listen:` when it has one, else the first
 * of `listeners:`.
 */
export function healthListener(
  config: Pick<DockgateConfig, "listen" | "listeners">,
): HealthListener {
  const { listen, listeners } = config;
  if (listen.socket !== null || listen.addr !== null) return listen;
  return listeners[0] ?? listen;
}

function describe(target: HealthTarget): string {
  if (target.transport === "unix") return `unix:${target.path}`;
  const address = target.hostname.includes(":")
    ? `[${target.hostname}]:${target.port}`
    : `${target.hostname}:${target.port}`;
  return target.tlsCertFile === undefined ? address : `${address} (TLS)`;
}

async function connect(
  target: HealthTarget,
  signal: AbortSignal,
): Promise<Deno.Conn> {
  if (target.transport === "unix") {
    return await Deno.connect({ transport: "unix", path: target.path });
  }
  if (target.tlsCertFile === undefined) {
    return await Deno.connect({
      hostname: target.hostname,
      port: target.port,
      signal,
    });
  }
  const pem = await Deno.readTextFile(target.tlsCertFile);
  signal.throwIfAborted();
  return await Deno.connectTls({
    hostname: target.hostname,
    port: target.port,
    caCerts: [pem],
    // The probe dials the configured address, often 127.0.0.1, which the
    // certificate need not name; the chain is still verified.
    unsafelyDisableHostnameVerification: true,
  });
}

/** The connection in use, so that the deadline can close it. */
interface Attempt {
  readonly signal: AbortSignal;
  connection: Deno.Conn | undefined;
}

async function askPing(
  target: HealthTarget,
  attempt: Attempt,
): Promise<number> {
  const connection = await connect(target, attempt.signal);
  attempt.connection = connection;
  try {
    attempt.signal.throwIfAborted();
    await connection.write(new TextEncoder().encode(PING_REQUEST));
    const buffer = new Uint8Array(MAX_HEAD_BYTES);
    const decoder = new TextDecoder();
    let received = "";
    while (!received.includes("\n") && received.length < MAX_HEAD_BYTES) {
      const count = await connection.read(buffer);
      if (count === null) break;
      received += decoder.decode(buffer.subarray(0, count), { stream: true });
    }
    const status = STATUS_LINE_REGEXP.exec(received)?.[1];
    if (status === undefined) {
      throw new TypeError(
        `not an HTTP answer: ${JSON.stringify(received.slice(0, 60))}`,
      );
    }
    return Number(status);
  } finally {
    attempt.connection = undefined;
    closeQuietly(connection);
  }
}

function closeQuietly(connection: Deno.Conn | undefined): void {
  try {
    connection?.close();
  } catch {
    // Closed by the deadline already.
  }
}

/**
 * Sends `GET /_ping` to each target in turn until one answers; healthy on
 * a 200. At `timeoutMs` the attempt under way is aborted and closed.
 */
export async function probeHealth(
  targets: readonly HealthTarget[],
  options: HealthOptions = {},
): Promise<HealthResult> {
  if (targets.length === 0) {
    return { healthy: false, detail: "no listener configured" };
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = new AbortController();
  const attempt: Attempt = { signal: deadline.signal, connection: undefined };
  const timer = setTimeout(() => {
    deadline.abort();
    closeQuietly(attempt.connection);
  }, timeoutMs);
  const failures: string[] = [];
  try {
    for (const target of targets) {
      try {
        const status = await askPing(target, attempt);
        return {
          healthy: status === 200,
          detail: `GET /_ping on ${describe(target)} answered ${status}`,
        };
      } catch (error) {
        if (deadline.signal.aborted) break;
        const reason = error instanceof Error ? error.message : String(error);
        failures.push(`${describe(target)}: ${reason}`);
      }
    }
  } finally {
    clearTimeout(timer);
  }
  if (deadline.signal.aborted) {
    return {
      healthy: false,
      detail: `no answer to GET /_ping within ${timeoutMs} ms`,
    };
  }
  return { healthy: false, detail: `no answer: ${failures.join("; ")}` };
}

/**
 * Runs the subcommand: probes the listener of {@linkcode healthListener}
 * and prints the outcome on one line (stdout when healthy, stderr when
 * not).
 *
 * @returns the exit code, 0 when healthy and 1 otherwise
 */
export async function runHealthcheck(
  config: Pick<DockgateConfig, "listen" | "listeners">,
  options: HealthOptions = {},
): Promise<number> {
  const targets = healthTargets(healthListener(config));
  const result = await probeHealth(targets, options);
  const line = new TextEncoder().encode(`dockgate: ${result.detail}\n`);
  if (result.healthy) {
    Deno.stdout.writeSync(line);
    return 0;
  }
  Deno.stderr.writeSync(line);
  return 1;
}
