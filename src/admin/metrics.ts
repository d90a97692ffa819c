/**
 * Request metrics in the Prometheus text format (version 0.0.4), kept in
 * memory and rendered on each scrape of `/metrics`.
 *
 * Label values are bounded sets (profile names, sections, decisions,
 * statuses, rules), never paths or client addresses, so the number of
 * series stays small whatever the clients send.
 *
 * @module
 */

import type { Exchange } from "../app/exchange.ts";

/** Upper bounds of the latency buckets, in seconds. */
export const LATENCY_BUCKETS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
] as const;

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return value.replaceAll("\\", "\\\\").replaceAll('"', '\\"')
    .replaceAll("\n", "\\n");
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) =>
    `${key}="${escapeLabel(value)}"`
  );
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

function seriesKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels));
}

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toPrecision(6);
}

/** A counter or gauge family: one number per label set. */
class Family {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  add(labels: Labels, delta: number): void {
    const key = seriesKey(labels);
    const entry = this.#values.get(key);
    if (entry === undefined) this.#values.set(key, { labels, value: delta });
    else entry.value += delta;
  }

  lines(name: string): string[] {
    return [...this.#values.values()].map(({ labels, value }) =>
      `${name}${labelText(labels)} ${formatNumber(value)}`
    );
  }
}

/** The metrics of one dockgate process. */
export class Metrics {
  readonly #requests = new Family();
  readonly #open = new Family();
  readonly #upstreamErrors = new Family();
  readonly #protocolErrors = new Family();
  readonly #reloads = new Family();
  readonly #latency = new Map<string, { labels: Labels; data: Histogram }>();
  readonly #started = new WeakSet<Exchange>();
  /** Open connections per listener, read at scrape time. */
  connections: () => ReadonlyMap<string, number> = () => new Map();

  /** A request was handed to a profile and is being answered. */
  started(exchange: Exchange): void {
    this.#started.add(exchange);
    this.#open.add({ profile: exchange.profile ?? "" }, 1);
  }

  /** The exchange is over; counts it, with its latency. */
  finished(exchange: Exchange, status: number): void {
    const profile = exchange.profile ?? "";
    if (this.#started.delete(exchange)) this.#open.add({ profile }, -1);
    const { verdict } = exchange;
    const decision = verdict.decision === "allow" && verdict.auditDenied
      ? "audit-deny"
      : verdict.decision;
    const section = verdict.section ?? "";
    this.#requests.add({
      profile,
      section,
      decision,
      status: String(status),
    }, 1);
    if (decision === "error" && verdict.rule.startsWith("engine:")) {
      this.#upstreamErrors.add({ rule: verdict.rule }, 1);
    }
    const seconds = (performance.now() - exchange.startedAt) / 1000;
    const labels = { profile, section };
    const key = seriesKey(labels);
    let entry = this.#latency.get(key);
    if (entry === undefined) {
      entry = {
        labels,
        data: { counts: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 },
      };
      this.#latency.set(key, entry);
    }
    LATENCY_BUCKETS.forEach((bound, index) => {
      if (seconds <= bound) entry.data.counts[index]! += 1;
    });
    entry.data.sum += seconds;
    entry.data.count += 1;
  }

  /** A connection-level error (malformed request, limits). */
  protocolError(status: number): void {
    this.#protocolErrors.add({ status: String(status) }, 1);
  }

  /** A configuration reload was tried. */
  reloaded(ok: boolean): void {
    this.#reloads.add({ result: ok ? "ok" : "failed" }, 1);
  }

  /** Everything, in the Prometheus text format. */
  render(): string {
    const out: string[] = [];
    const family = (
      name: string,
      type: "counter" | "gauge",
      help: string,
      lines: string[],
    ) => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines);
    };
    family(
      "dockgate_requests_total",
      "counter",
      "Requests answered, by profile, section, decision and status.",
      this.#requests.lines("dockgate_requests_total"),
    );
    out.push(
      "# HELP dockgate_request_duration_seconds Time from the request head " +
        "to the last byte of the answer (streams included).",
      "# TYPE dockgate_request_duration_seconds histogram",
    );
    for (const { labels, data } of this.#latency.values()) {
      const name = "dockgate_request_duration_seconds";
      LATENCY_BUCKETS.forEach((bound, index) => {
        out.push(
          `${name}_bucket${labelText({ ...labels, le: String(bound) })} ${
            data.counts[index]
          }`,
        );
      });
      out.push(
        `${name}_bucket${labelText({ ...labels, le: "+Inf" })} ${data.count}`,
        `${name}_sum${labelText(labels)} ${formatNumber(data.sum)}`,
        `${name}_count${labelText(labels)} ${data.count}`,
      );
    }
    family(
      "dockgate_open_requests",
      "gauge",
      "Requests being answered, long streams and tunnels included.",
      this.#open.lines("dockgate_open_requests"),
    );
    const connections = new Family();
    for (const [listener, count] of this.connections()) {
      connections.add({ listener }, count);
    }
    family(
      "dockgate_open_connections",
      "gauge",
      "Client connections open, by listener.",
      connections.lines("dockgate_open_connections"),
    );
    family(
      "dockgate_upstream_errors_total",
      "counter",
      "Requests that failed talking to the engine, by rule.",
      this.#upstreamErrors.lines("dockgate_upstream_errors_total"),
    );
    family(
      "dockgate_protocol_errors_total",
      "counter",
      "Connections refused before a request could be judged, by status.",
      this.#protocolErrors.lines("dockgate_protocol_errors_total"),
    );
    family(
      "dockgate_config_reloads_total",
      "counter",
      "Configuration reloads, by result.",
      this.#reloads.lines("dockgate_config_reloads_total"),
    );
    return out.join("\n") + "\n";
  }
}
