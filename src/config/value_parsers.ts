/**
 * Parsers for single configuration values.
 *
 * Each one accepts what an environment variable or a file may hold and
 * returns either the typed value or a message that quotes the input. They
 * never throw, so the loader can collect every problem in one pass.
 */

/** Outcome of parsing one value. */
export type ParseResult<T> =
  | { ok: true; value: T }
  | { ok: false; message: string };

/** Where the Docker Engine API is reached. */
export type EngineAddress =
  | { kind: "unix"; path: string }
  | { kind: "tcp"; host: string; port: number };

/** A user pattern, compiled once at startup, with the text it came from. */
export interface Pattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /** The compiled expression, anchored for allow lists. */
  readonly regexp: RegExp;
}

const TRUE_WORDS = new Set(["1", "true", "yes", "on"]);
const FALSE_WORDS = new Set(["0", "false", "no", "off"]);
const DECIMAL_REGEXP = /^\d+$/;
const SECONDS_REGEXP = /^\d+(?:\.\d+)?$/;
const OCTAL_MODE_REGEXP = /^(?:0o|0)?([0-7]{1,4})$/i;
const HOST_PORT_REGEXP = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]*):(\d{1,5})$/;
const API_VERSION_REGEXP = /^\d+\.\d+$/;
const DOCKER_NAME_REGEXP = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const REGEXP_ERROR_REGEXP = /^Invalid regular expression: \/.*\/\w*: (.*)$/s;
const UNIX_SCHEME = "unix://";
const TCP_SCHEME = "tcp://";
const QUOTE_LIMIT = 120;

/**
 * Quote a value for a message: JSON text, cut when long, so control
 * characters and quotes in user input cannot break the line.
 */
export function quote(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > QUOTE_LIMIT ? `${text.slice(0, QUOTE_LIMIT)}…` : text;
}

function fail<T>(message: string): ParseResult<T> {
  return { ok: false, message };
}

function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

/**
 * Read a switch. Files may use YAML booleans; both files and the environment
 * may use 1/0, true/false, yes/no, on/off in any case.
 */
export function parseBoolean(input: unknown): ParseResult<boolean> {
  if (typeof input === "boolean") return ok(input);
  if (input === 0 || input === 1) return ok(input === 1);
  if (typeof input === "string") {
    const word = input.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return ok(true);
    if (FALSE_WORDS.has(word)) return ok(false);
  }
  return fail(`expected a boolean: ${quote(input)}`);
}

/**
 * Read a non-negative integer written in plain decimal, then check that it
 * is at least `min`.
 */
export function parseCount(input: unknown, min: number): ParseResult<number> {
  let value: number;
  if (typeof input === "number" && Number.isInteger(input) && input >= 0) {
    value = input;
  } else if (typeof input === "string" && DECIMAL_REGEXP.test(input.trim())) {
    value = Number(input.trim());
  } else {
    return fail(`expected a non-negative decimal integer: ${quote(input)}`);
  }
  if (!Number.isSafeInteger(value)) return fail(`too large: ${quote(input)}`);
  if (value < min) return fail(`must be at least ${min}: ${quote(input)}`);
  return ok(value);
}

/**
 * Read a duration given in seconds (fractions allowed) and return whole
 * milliseconds, as the environment variables of the seed project do.
 */
export function parseSecondsAsMs(input: string): ParseResult<number> {
  const text = input.trim();
  if (!SECONDS_REGEXP.test(text)) {
    return fail(`expected a non-negative number of seconds: ${quote(input)}`);
  }
  const ms = Math.round(Number(text) * 1000);
  if (!Number.isSafeInteger(ms)) return fail(`too large: ${quote(input)}`);
  return ok(ms);
}

/**
 * Read a Unix permission mode. The digits are always octal, also when a YAML
 * or JSON file holds them as a number, because `0660` is what people write.
 */
export function parseOctalMode(input: unknown): ParseResult<number> {
  const text = typeof input === "number" ? String(input) : input;
  const match = typeof text === "string"
    ? OCTAL_MODE_REGEXP.exec(text.trim())
    : null;
  const digits = match?.[1];
  if (digits === undefined) return fail(`not an octal mode: ${quote(input)}`);
  const mode = parseInt(digits, 8);
  if (mode > 0o777) {
    return fail(`not an octal mode: ${quote(input)}: above 0777`);
  }
  return ok(mode);
}

/** Read `host:port`, `:port` or `[v6]:port`; empty or null turns TCP off. */
export function parseListenAddr(input: unknown): ParseResult<string | null> {
  if (input === null) return ok(null);
  if (typeof input !== "string") {
    return fail(`expected a host:port address: ${quote(input)}`);
  }
  const text = input.trim();
  if (text === "") return ok(null);
  const port = HOST_PORT_REGEXP.exec(text)?.[2];
  if (port === undefined || Number(port) > 65535) {
    return fail(`not a host:port address: ${quote(input)}`);
  }
  return ok(text);
}

/**
 * Read the path of the Unix socket to listen on. The `unix://` prefix of
 * DOCKER_HOST is accepted; the path must be absolute so that the socket does
 * not land wherever the process happens to start.
 */
export function parseListenSocket(input: unknown): ParseResult<string | null> {
  if (input === null) return ok(null);
  if (typeof input !== "string") {
    return fail(`expected a socket path: ${quote(input)}`);
  }
  const text = input.trim();
  if (text === "") return ok(null);
  const path = text.startsWith(UNIX_SCHEME)
    ? text.slice(UNIX_SCHEME.length)
    : text;
  if (!path.startsWith("/") || path.includes("\0")) {
    return fail(`not an absolute socket path: ${quote(input)}`);
  }
  return ok(path);
}

/** Read `unix:///path`, `/path` or `tcp://host:port`. */
export function parseEngineAddress(input: unknown): ParseResult<EngineAddress> {
  const message =
    `not a Docker engine address (unix:///path, /path or tcp://host:port): ${
      quote(input)
    }`;
  if (typeof input !== "string") return fail(message);
  const text = input.trim();
  if (text.startsWith(TCP_SCHEME)) {
    const match = HOST_PORT_REGEXP.exec(text.slice(TCP_SCHEME.length));
    const host = match?.[1]?.replace(/^\[(.*)\]$/, "$1");
    const port = Number(match?.[2]);
    if (!host || !(port >= 1 && port <= 65535)) return fail(message);
    return ok({ kind: "tcp", host, port });
  }
  const path = text.startsWith(UNIX_SCHEME)
    ? text.slice(UNIX_SCHEME.length)
    : text;
  if (!path.startsWith("/") || path.includes("\0")) return fail(message);
  return ok({ kind: "unix", path });
}

/** Read an API version such as `1.41`; empty or null means negotiate. */
export function parseApiVersion(input: unknown): ParseResult<string | null> {
  if (input === null) return ok(null);
  const text = typeof input === "string" ? input.trim() : undefined;
  if (text === "") return ok(null);
  if (text === undefined || !API_VERSION_REGEXP.test(text)) {
    return fail(`not an API version like "1.41": ${quote(input)}`);
  }
  return ok(text);
}

/**
 * Read one of a fixed set of words, in any case. `aliases` maps extra
 * spellings onto members of `choices`.
 */
export function parseChoice<T extends string>(
  input: unknown,
  choices: readonly T[],
  aliases: Readonly<Record<string, T>> = {},
): ParseResult<T> {
  const word = typeof input === "string" ? input.trim().toLowerCase() : "";
  const found = choices.find((choice) => choice === word) ?? aliases[word];
  if (found !== undefined) return ok(found);
  return fail(`expected one of ${choices.join(", ")}: ${quote(input)}`);
}

/**
 * Read a container or network name. A malformed name could never match, so
 * it would switch the self-protection off without a word; reject it instead.
 */
export function parseDockerName(input: unknown): ParseResult<string | null> {
  if (input === null) return ok(null);
  if (typeof input !== "string") {
    return fail(`expected a name: ${quote(input)}`);
  }
  const text = input.trim().replace(/^\//, "");
  if (text === "") return ok(null);
  if (!DOCKER_NAME_REGEXP.test(text)) {
    return fail(`not a valid Docker name: ${quote(input)}`);
  }
  return ok(text);
}

/** Read a label value, which must be a string in files too. */
export function parseLabelValue(input: unknown): ParseResult<string> {
  if (typeof input === "string") return ok(input);
  return fail(`expected a string (quote it): ${quote(input)}`);
}

/**
 * Compile a user pattern. An allow pattern must match the whole value, so it
 * is wrapped as `^(?:p)$`; a deny pattern denies when it matches anywhere and
 * is compiled as written. The `u` flag makes the syntax strict, so a typo
 * becomes a startup error rather than a pattern that means something else.
 */
export function compilePattern(
  input: unknown,
  anchored: boolean,
): ParseResult<Pattern> {
  if (typeof input !== "string") {
    return fail(`expected a pattern string: ${quote(input)}`);
  }
  if (input === "") return fail(`empty pattern: ""`);
  try {
    // Compiled alone first: "a)|(b" would be valid once wrapped in (?:...)
    // and would then mean something else entirely.
    const bare = new RegExp(input, "u");
    const regexp = anchored ? new RegExp(`^(?:${input})$`, "u") : bare;
    return ok({ source: input, regexp });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const detail = REGEXP_ERROR_REGEXP.exec(text)?.[1] ?? text;
    return fail(`invalid regular expression ${quote(input)}: ${detail}`);
  }
}
