/**
 * One-line renderings of LogTape records: text for people, JSON for
 * collectors. Each record becomes exactly one line, whatever its values
 * hold, so a client-controlled string cannot forge a second log line.
 */

import type { LogLevel, LogRecord, Sink } from "@logtape/logtape";

/** Output formats of `createLineSink`. */
export type LogFormat = "json" | "text";

/** Level names as the config spells them; LogTape says "warning". */
const LEVEL_NAMES: Readonly<Record<LogLevel, string>> = {
  trace: "trace",
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  fatal: "fatal",
};

/** Fields of a JSON line that properties may not overwrite. */
const CORE_FIELDS = new Set(["time", "level", "category", "message"]);

const PLACEHOLDER_REGEXP = /\{([^{}]+)\}/g;
// deno-lint-ignore no-control-regex
const CONTROL_REGEXP = /[\u0000-\u001f\u007f]/g;

/** JSON replacer for values JSON cannot hold as they are. */
function replacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (value instanceof RegExp) return value.source;
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/**
 * A JSON-safe copy of `value`. Cycles and other values JSON refuses fall
 * back to an inspected string rather than losing the whole record.
 */
function toJsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value, replacer);
    return text === undefined ? String(value) : JSON.parse(text);
  } catch {
    return Deno.inspect(value, { compact: true, breakLength: Infinity });
  }
}

/** Render one value on one line: JSON text, or inspected as a fallback. */
function renderValue(value: unknown): string {
  const safe = toJsonSafe(value);
  return typeof safe === "string" && typeof value !== "string"
    ? safe
    : JSON.stringify(safe);
}

/** Escape control characters, which could end a text line early. */
function escapeControls(text: string): string {
  return text.replace(
    CONTROL_REGEXP,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/** The message with values in place. Strings are quoted unless `raw`. */
function renderMessage(record: LogRecord, raw: boolean): string {
  return record.message.map((part, index) => {
    if (index % 2 === 0) {
      return raw ? String(part) : escapeControls(String(part));
    }
    return raw && typeof part === "string" ? part : renderValue(part);
  }).join("");
}

function isoTime(record: LogRecord): string {
  return new Date(record.timestamp).toISOString();
}

/**
 * One JSON object, newline-terminated: time, level, category (dotted),
 * message, then the properties flattened beside them. A property named like
 * a core field is renamed with a leading underscore, so a value taken from a
 * request cannot pass for the record's own level or message.
 */
export function formatJsonLine(record: LogRecord): string {
  const line: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record.properties)) {
    const name = CORE_FIELDS.has(key) ? `_${key}` : key;
    line[name] = toJsonSafe(value);
  }
  const core = {
    time: isoTime(record),
    level: LEVEL_NAMES[record.level],
    category: record.category.join("."),
    message: renderMessage(record, true),
  };
  return JSON.stringify({ ...core, ...line }) + "\n";
}

/**
 * `time LEVEL category: message key=value...`, newline-terminated. Values in
 * the message are JSON-quoted, and properties the message template does not
 * mention are appended, so nothing logged is lost.
 */
export function formatTextLine(record: LogRecord): string {
  const template = typeof record.rawMessage === "string"
    ? record.rawMessage
    : "";
  const used = new Set(
    [...template.matchAll(PLACEHOLDER_REGEXP)].map((match) => match[1]?.trim()),
  );
  const extras = Object.entries(record.properties)
    .filter(([key]) => !used.has(key))
    .map(([key, value]) => ` ${key}=${renderValue(value)}`)
    .join("");
  const level = LEVEL_NAMES[record.level].toUpperCase().padEnd(5);
  const category = record.category.join(".");
  return `${isoTime(record)} ${level} ${category}: ${
    renderMessage(record, false)
  }${extras}\n`;
}

/** A sink that formats each record as one line and hands it to `write`. */
export function createLineSink(
  format: LogFormat,
  write: (line: string) => void,
): Sink {
  const formatter = format === "json" ? formatJsonLine : formatTextLine;
  return (record) => write(formatter(record));
}
