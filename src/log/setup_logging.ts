/**
 * Configure LogTape for dockgate: one logger tree rooted at `["dockgate"]`,
 * written to stderr as text or JSON lines.
 *
 * @module
 */

import {
  configure,
  type LogLevel as LogTapeLevel,
  type Sink,
} from "@logtape/logtape";
import type { LOG_LEVELS } from "../config/schema.ts";
import { createLineSink, type LogFormat } from "./line_formatters.ts";

export { redactPolicyForLog } from "./redact_policy_for_log.ts";
export type { LogFormat } from "./line_formatters.ts";

/** Levels as the configuration names them. */
export type LogLevel = typeof LOG_LEVELS[number];

/** Options of `setupLogging`. */
export interface SetupLoggingOptions {
  /** Lowest level written. */
  level: LogLevel;
  /** "text" for people, "json" for one object per line. */
  format: LogFormat;
  /**
   * Where records go instead of stderr; tests pass an in-memory sink. The
   * format does not apply to it, since it receives the records themselves.
   */
  sink?: Sink | undefined;
}

/** Root category of every dockgate logger. */
export const LOG_CATEGORY = ["dockgate"] as const;

const LOGTAPE_LEVELS: Readonly<Record<LogLevel, LogTapeLevel>> = {
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
};

const ENCODER = new TextEncoder();

/**
 * Write a whole line to stderr before returning. Synchronous on purpose: a
 * buffered stream would lose the last records, often the reason for an
 * exit, when the process ends with `Deno.exit`.
 */
function writeStderr(line: string): void {
  let bytes = ENCODER.encode(line);
  while (bytes.length > 0) {
    bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
  }
}

/**
 * Configure LogTape, replacing any earlier configuration.
 *
 * LogTape's own diagnostics (category `["logtape", "meta"]`) go to the same
 * sink at warning and above, so a failing sink is still noticed.
 *
 * @example
 * ```ts
 * await setupLogging({ level: config.log.level, format: config.log.format });
 * getLogger(["dockgate", "listener"]).info("Listening on {addr}", { addr });
 * ```
 */
export async function setupLogging(
  options: SetupLoggingOptions,
): Promise<void> {
  const sink = options.sink ?? createLineSink(options.format, writeStderr);
  await configure({
    reset: true,
    sinks: { main: sink },
    loggers: [
      {
        category: [...LOG_CATEGORY],
        lowestLevel: LOGTAPE_LEVELS[options.level],
        sinks: ["main"],
      },
      {
        category: ["logtape", "meta"],
        lowestLevel: "warning",
        sinks: ["main"],
      },
    ],
  });
}
