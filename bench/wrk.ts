/**
 * Runs Debian's `wrk` against one target and reads its summary.
 *
 * @module
 */

import { runChecked } from "./processes.ts";

/** What one wrk run measured. */
export interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  /** Median latency in microseconds. */
  p50Us: number;
  /** 99th percentile latency in microseconds. */
  p99Us: number;
  /** Socket errors, timeouts and answers with a status above 399. */
  errors: number;
}

interface WrkSummary {
  requests: number;
  durationUs: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  statusErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
}

const WRK_PATH = "/usr/bin/wrk";
const REPORT_SCRIPT = decodeURIComponent(
  new URL("./wrk_report.lua", import.meta.url).pathname,
);
const SUMMARY_REGEXP = /^BENCH_WRK (\{.*\})$/m;

/**
 * Loads `http://<addr><path>` with `connections` keep-alive connections for
 * `seconds` (one wrk thread per 32 connections, at most one per CPU).
 */
export async function runWrk(options: {
  addr: string;
  path: string;
  connections: number;
  seconds: number;
}): Promise<WrkResult> {
  const threads = Math.max(
    1,
    Math.min(
      Math.ceil(options.connections / 32),
      navigator.hardwareConcurrency,
    ),
  );
  const args = [
    `--threads=${threads}`,
    `--connections=${options.connections}`,
    `--duration=${options.seconds}s`,
    "--timeout=5s",
    `--script=${REPORT_SCRIPT}`,
    `http://${options.addr}${options.path}`,
  ];
  const { stdout: output } = await runChecked(WRK_PATH, args, {
    timeoutMs: (options.seconds + 30) * 1000,
  });
  const line = SUMMARY_REGEXP.exec(output)?.[1];
  if (line === undefined) {
    throw new Error(`wrk printed no summary: ${output.slice(-1000)}`);
  }
  const summary = JSON.parse(line) as WrkSummary;
  return {
    requests: summary.requests,
    requestsPerSecond: summary.requests / (summary.durationUs / 1e6),
    p50Us: summary.p50Us,
    p99Us: summary.p99Us,
    errors: summary.connectErrors + summary.readErrors +
      summary.writeErrors + summary.statusErrors + summary.timeouts,
  };
}
