/**
 * Runs code under dockgate's real logging setup with an in-memory sink, for
 * tests that check which records it writes.
 *
 * @module
 */

import { type LogRecord, reset } from "@logtape/logtape";
import {
  setupLogging,
  type SetupLoggingOptions,
} from "../../src/log/setup_logging.ts";

/**
 * The records `emit` writes through {@linkcode setupLogging} with
 * `options`; LogTape is reset afterwards, also when `emit` throws.
 */
export async function captureRecords(
  options: Omit<SetupLoggingOptions, "sink">,
  emit: () => void | Promise<void>,
): Promise<LogRecord[]> {
  const records: LogRecord[] = [];
  try {
    await setupLogging({ ...options, sink: (record) => records.push(record) });
    await emit();
  } finally {
    await reset();
  }
  return records;
}
