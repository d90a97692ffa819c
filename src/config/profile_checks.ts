/**
 * Checks of `profiles:`, `listeners:` and tokens that span several keys,
 * run once every key is valid on its own. They also finish the config:
 * tokens are read from their files or variables, and the implicit TCP
 * listener of `listen:` is dropped when `listeners:` takes its place.
 *
 * @module
 */

import type * as v from "valibot";
import type { ConfigIssue } from "./config_error.ts";
import { readToken, type TokenSource } from "./profile_values.ts";
import { type CONFIG_SCHEMA, DEFAULT_PROFILE } from "./schema.ts";
import { quote } from "./value_parsers.ts";

type Config = v.InferOutput<typeof CONFIG_SCHEMA>;
type Path = readonly (string | number)[];

/** What the checks need from the loader. */
export interface ProfileCheckContext {
  /** The environment, for `{env: NAME}` tokens. */
  env: Readonly<Record<string, string>>;
  /** An issue against the source of `path`. */
  issueAt(path: Path, atKey: boolean, message: string): ConfigIssue;
  /** Whether a layer set `path` (rather than a default). */
  isSet(path: Path): boolean;
  /**
   * Why `path` may not be read under the process's permissions, naming
   * what to widen, or null when it may; asked before a token file is read.
   */
  readProblem?: ((purpose: string, path: string) => string | null) | undefined;
}

type TlsSettings = Config["listen"]["tls"];

function endpointOf(
  listener: { socket: string | null; addr: string | null },
): string | null {
  if (listener.socket !== null) return `unix://${listener.socket}`;
  return listener.addr === null ? null : `tcp://${listener.addr}`;
}

function checkListeners(
  config: Config,
  context: ProfileCheckContext,
  issues: ConfigIssue[],
): void {
  const names = new Set([DEFAULT_PROFILE, ...Object.keys(config.profiles)]);
  const seen = new Map<string, Path>();
  const claim = (endpoint: string | null, path: Path) => {
    if (endpoint === null) return;
    const earlier = seen.get(endpoint);
    if (earlier !== undefined) {
      issues.push(context.issueAt(
        path,
        false,
        `listens where another listener does: ${quote(endpoint)}`,
      ));
    }
    seen.set(endpoint, path);
  };
  if (config.listen.socket !== null) {
    claim(`unix://${config.listen.socket}`, ["listen", "socket"]);
  }
  if (config.listen.addr !== null) {
    claim(`tcp://${config.listen.addr}`, ["listen", "addr"]);
  }
  const engine = config.docker.socket;
  config.listeners.forEach((listener, index) => {
    const at = ["listeners", index];
    const hasSocket = listener.socket !== null;
    if (hasSocket === (listener.addr !== null)) {
      issues.push(context.issueAt(
        at,
        false,
        "a listener needs exactly one of socket and addr",
      ));
      return;
    }
    claim(endpointOf(listener), [...at, hasSocket ? "socket" : "addr"]);
    if (engine.kind === "unix" && listener.socket === engine.path) {
      issues.push(context.issueAt(
        [...at, "socket"],
        false,
        `is the engine socket itself: ${quote(listener.socket)}`,
      ));
    }
    if (listener.clients !== null) {
      if (hasSocket) {
        issues.push(context.issueAt(
          [...at, "clients"],
          true,
          "clients are chosen by address on TCP only; bind a socket to one " +
            "profile",
        ));
      }
      if (listener.profile !== null) {
        issues.push(context.issueAt(
          [...at, "profile"],
          true,
          "give profile or clients, not both",
        ));
      }
      if (listener.clients.length === 0) {
        issues.push(context.issueAt(
          [...at, "clients"],
          false,
          "no clients: nobody could connect",
        ));
      }
      listener.clients.forEach((client, clientIndex) => {
        if (!names.has(client.profile)) {
          issues.push(context.issueAt(
            [...at, "clients", clientIndex, "profile"],
            false,
            `unknown profile: ${quote(client.profile)}`,
          ));
        }
      });
    } else if (listener.profile !== null && !names.has(listener.profile)) {
      issues.push(context.issueAt(
        [...at, "profile"],
        false,
        `unknown profile: ${quote(listener.profile)}`,
      ));
    }
  });
  if (config.admin.enabled && config.admin.addr === null) {
    issues.push(context.issueAt(
      ["admin", "addr"],
      false,
      "the admin listener is enabled but has no address",
    ));
  }
  if (config.admin.enabled && seen.has(`tcp://${config.admin.addr}`)) {
    issues.push(context.issueAt(
      ["admin", "addr"],
      false,
      `is also a proxy listener: ${quote(config.admin.addr)}`,
    ));
  }
}

/**
 * Checks one `tls:` mapping; returns it, or null when it names no file
 * (an empty TLS_CERT_FILE turns TLS off, as an empty LISTEN_ADDR turns
 * TCP off).
 */
function checkTlsOf(
  tls: TlsSettings,
  at: Path,
  tcp: boolean,
  context: ProfileCheckContext,
  issues: ConfigIssue[],
): TlsSettings {
  if (tls === null) return null;
  const { cert_file: cert, key_file: key } = tls;
  if (cert === null && key === null) return null;
  if (cert === null || key === null) {
    const given = cert === null ? "key_file" : "cert_file";
    issues.push(context.issueAt(
      [...at, given],
      false,
      `TLS needs both cert_file and key_file, only ${given} is set`,
    ));
  }
  if (!tcp) {
    issues.push(context.issueAt(
      at,
      true,
      "TLS needs a TCP addr; a Unix socket is guarded by its permissions",
    ));
  }
  return tls;
}

/** Checks every `tls:`; drops those that name no file. */
function checkTls(
  config: Config,
  context: ProfileCheckContext,
  issues: ConfigIssue[],
): void {
  config.listen.tls = checkTlsOf(
    config.listen.tls,
    ["listen", "tls"],
    config.listen.addr !== null,
    context,
    issues,
  );
  config.listeners.forEach((listener, index) => {
    listener.tls = checkTlsOf(
      listener.tls,
      ["listeners", index, "tls"],
      listener.addr !== null && listener.socket === null,
      context,
      issues,
    );
  });
}

/** Reads every token; a token may open one profile only. */
function readTokens(
  config: Config,
  context: ProfileCheckContext,
  issues: ConfigIssue[],
): void {
  const owners = new Map<string, string>();
  const lists: [string, Path, TokenSource[]][] = [
    [DEFAULT_PROFILE, [], config.tokens],
    ...Object.entries(config.profiles).map((
      [name, profile],
    ): [string, Path, TokenSource[]] => [
      name,
      ["profiles", name],
      profile.tokens,
    ]),
  ];
  for (const [name, prefix, tokens] of lists) {
    tokens.forEach((source, index) => {
      const path = [...prefix, "tokens", index];
      const denied = "file" in source
        ? context.readProblem?.(`read token file ${source.file}`, source.file)
        : null;
      if (denied !== undefined && denied !== null) {
        issues.push(context.issueAt(path, false, denied));
        return;
      }
      const read = readToken(source, context.env);
      if (!read.ok) {
        issues.push(context.issueAt(path, false, read.message));
        return;
      }
      const other = owners.get(read.value);
      if (other !== undefined && other !== name) {
        issues.push(context.issueAt(
          path,
          false,
          `the same token also opens profile ${quote(other)}: a token must ` +
            `choose one profile`,
        ));
      }
      owners.set(read.value, name);
      source.value = read.value;
    });
  }
}

/**
 * Checks profiles, listeners, TLS and tokens, and finishes `config` in
 * place (token values; no implicit TCP listener next to `listeners:`; no
 * `tls:` that names no file).
 */
export function checkProfiles(
  config: Config,
  context: ProfileCheckContext,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (Object.hasOwn(config.profiles, DEFAULT_PROFILE)) {
    issues.push(context.issueAt(
      ["profiles", DEFAULT_PROFILE],
      true,
      `reserved name: the top-level policy is the profile ${
        quote(DEFAULT_PROFILE)
      }`,
    ));
  }
  if (
    config.listeners.length > 0 && config.listen.socket === null &&
    !context.isSet(["listen", "addr"])
  ) {
    // The default TCP address exists so that a bare start listens
    // somewhere; with listeners configured it would be a surprise port.
    config.listen.addr = null;
  }
  checkListeners(config, context, issues);
  checkTls(config, context, issues);
  readTokens(config, context, issues);
  return issues;
}
