/**
 * Parsers for the values of `profiles:`, `listeners:` and their tokens.
 * Like those of `value_parsers.ts`, they never throw: a problem comes back
 * as a message that quotes the input.
 *
 * @module
 */

import { type Cidr, parseCidr } from "../profiles/cidr.ts";
import { type ParseResult, quote } from "./value_parsers.ts";

/** The label that marks a tenant's objects, e.g. `dockgate.owner=team-a`. */
export interface OwnerLabel {
  /** The label's key; called name so that logs do not take it for a secret. */
  readonly name: string;
  readonly value: string;
}

/**
 * Where a bearer token is read from. `value` is filled in by the loader,
 * which reads the file or the variable; it is never logged.
 */
export type TokenSource =
  & ({ readonly file: string } | { readonly env: string })
  & { value: string };

/** Shortest token accepted: a short one can be guessed over the network. */
export const MIN_TOKEN_LENGTH = 16;

const PROFILE_NAME_REGEXP = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;
// Plain characters only: the label is also written into a Dockerfile
// LABEL line (commit and import `changes`), where quoting would matter.
const LABEL_KEY_REGEXP = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/;
const LABEL_VALUE_REGEXP = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const ENV_NAME_REGEXP = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail<T>(message: string): ParseResult<T> {
  return { ok: false, message };
}

/** A profile name: letters, digits, `.`, `_`, `-`, at most 63 long. */
export function parseProfileName(input: unknown): ParseResult<string> {
  if (typeof input === "string" && PROFILE_NAME_REGEXP.test(input)) {
    return { ok: true, value: input };
  }
  return fail(`not a profile name (letters, digits, . _ -): ${quote(input)}`);
}

/** `key=value`; null or "" means no owner isolation. */
export function parseOwnerLabel(
  input: unknown,
): ParseResult<OwnerLabel | null> {
  if (input === null || input === "") return { ok: true, value: null };
  if (typeof input !== "string") {
    return fail(`expected a key=value label: ${quote(input)}`);
  }
  const equals = input.indexOf("=");
  const key = input.slice(0, equals);
  const value = input.slice(equals + 1);
  if (
    equals < 0 || !LABEL_KEY_REGEXP.test(key) ||
    !LABEL_VALUE_REGEXP.test(value)
  ) {
    return fail(
      `expected key=value with plain characters (key: letters, digits, ` +
        `. _ / -; value: letters, digits, . _ -): ${quote(input)}`,
    );
  }
  return { ok: true, value: { name: key, value } };
}

/** `{file: /absolute/path}` or `{env: VARIABLE}`. */
export function parseTokenSource(input: unknown): ParseResult<TokenSource> {
  const message = `expected {file: /absolute/path} or {env: VARIABLE}: ${
    quote(input)
  }`;
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return fail(message);
  }
  const entries = Object.entries(input);
  const [key, value] = entries[0] ?? [];
  if (entries.length !== 1 || typeof value !== "string") return fail(message);
  if (key === "file" && value.startsWith("/") && !value.includes("\0")) {
    return { ok: true, value: { file: value, value: "" } };
  }
  if (key === "env" && ENV_NAME_REGEXP.test(value)) {
    return { ok: true, value: { env: value, value: "" } };
  }
  return fail(message);
}

/** An absolute path of a TLS certificate or key file; null for none. */
export function parseTlsFile(input: unknown): ParseResult<string | null> {
  if (input === null || input === "") return { ok: true, value: null };
  if (
    typeof input === "string" && input.startsWith("/") && !input.includes("\0")
  ) {
    return { ok: true, value: input };
  }
  return fail(`expected an absolute file path: ${quote(input)}`);
}

/**
 * Refuses every value: Deno's TLS listener (`Deno.listenTls`, Deno 2.9)
 * has no option to request or verify client certificates, and a setting
 * that was silently ignored would let in every client it meant to keep out.
 */
export function refuseClientCa(input: unknown): ParseResult<null> {
  if (input === null || input === "") return { ok: true, value: null };
  return fail(
    `client certificates cannot be verified: Deno's TLS listener cannot ` +
      `request them; remove client_ca_file, or verify them in a TLS ` +
      `terminator in front of dockgate: ${quote(input)}`,
  );
}

/** A profile name, or null when none is given. */
export function parseOptionalProfileName(
  input: unknown,
): ParseResult<string | null> {
  return input === null ? { ok: true, value: null } : parseProfileName(input);
}

/** One range or a list of them (see `parseCidr`); null for any client. */
export function parseCidrList(input: unknown): ParseResult<Cidr[] | null> {
  if (input === null) return { ok: true, value: null };
  const items = typeof input === "string" ? [input] : input;
  if (!Array.isArray(items) || items.length === 0) {
    return fail(`expected an address range or a list of them: ${quote(input)}`);
  }
  const ranges: Cidr[] = [];
  for (const item of items) {
    if (typeof item !== "string") {
      return fail(`expected an address range: ${quote(item)}`);
    }
    try {
      ranges.push(parseCidr(item));
    } catch (error) {
      return fail((error as RangeError).message);
    }
  }
  return { ok: true, value: ranges };
}

/**
 * Reads a token from its source. File contents lose surrounding white
 * space (a trailing newline above all); the token must be at least
 * {@linkcode MIN_TOKEN_LENGTH} characters of printable ASCII.
 */
export function readToken(
  source: TokenSource,
  env: Readonly<Record<string, string>>,
): ParseResult<string> {
  let raw: string | undefined;
  if ("file" in source) {
    try {
      raw = Deno.readTextFileSync(source.file).trim();
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      return fail(`cannot read token file ${quote(source.file)}: ${detail}`);
    }
  } else {
    raw = env[source.env]?.trim();
    if (raw === undefined) {
      return fail(`token variable is not set: ${quote(source.env)}`);
    }
  }
  const where = "file" in source ? source.file : source.env;
  if (!/^[\x21-\x7e]+$/.test(raw)) {
    return fail(
      `token from ${quote(where)} is empty or has spaces or non-ASCII`,
    );
  }
  if (raw.length < MIN_TOKEN_LENGTH) {
    return fail(
      `token from ${
        quote(where)
      } is shorter than ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  return { ok: true, value: raw };
}
