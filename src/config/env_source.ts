/**
 * Map environment variables onto the file-shaped configuration.
 *
 * The names are those of the seed project and of Tecnativa's proxy, so an
 * existing deployment keeps working. Values stay strings where the schema
 * parses strings anyway; lists, labels and seconds change shape here.
 */

import {
  ACTION_SWITCH_NAMES,
  SECTIONS,
  WRITE_METHODS,
} from "../policy/sections.ts";
import type { ConfigIssue } from "./config_error.ts";
import { parseEnvLabels, parseEnvList } from "./env_lists.ts";
import { FILTER_GROUP_SCHEMAS } from "./schema.ts";
import { type ParseResult, parseSecondsAsMs, quote } from "./value_parsers.ts";

type EnvKind = "text" | "list" | "labels" | "seconds" | "token_file";

/** One environment variable and the file key it sets. */
export interface EnvSetting {
  readonly name: string;
  readonly path: readonly string[];
  readonly kind: EnvKind;
}

/** The environment as a partial file-shaped object. */
export interface EnvLayer {
  /** Nested values, keyed like the config file. */
  readonly value: Record<string, unknown>;
  /** Variable name for every path set, keyed by `pathKey(path)`. */
  readonly names: ReadonlyMap<string, string>;
  /** Problems found before validation. */
  readonly issues: readonly ConfigIssue[];
}

/** Any variable with this prefix must be known: a typo could drop a rule. */
const FILTER_PREFIX = "DKRPRX";

/**
 * Per-action switches share this prefix; some close routes when set to 0,
 * so a misspelt one (ALLOW_LOG=0) would silently leave a route open.
 */
const ACTION_PREFIX = "ALLOW_";

const FIXED_SETTINGS: readonly EnvSetting[] = [
  { name: "LISTEN_ADDR", path: ["listen", "addr"], kind: "text" },
  { name: "LISTEN_SOCKET", path: ["listen", "socket"], kind: "text" },
  { name: "SOCKET_PERMS", path: ["listen", "socket_perms"], kind: "text" },
  { name: "TLS_CERT_FILE", path: ["listen", "tls", "cert_file"], kind: "text" },
  { name: "TLS_KEY_FILE", path: ["listen", "tls", "key_file"], kind: "text" },
  // Mapped only to be refused: a client CA that was silently ignored would
  // let in every client it was meant to keep out.
  {
    name: "TLS_CLIENT_CA_FILE",
    path: ["listen", "tls", "client_ca_file"],
    kind: "text",
  },
  { name: "DOCKER_SOCKET", path: ["docker", "socket"], kind: "text" },
  // Tecnativa's name for the engine socket, so its users need not rename.
  { name: "SOCKET_PATH", path: ["docker", "socket"], kind: "text" },
  { name: "API_VERSION", path: ["docker", "api_version"], kind: "text" },
  { name: "LOG_LEVEL", path: ["log", "level"], kind: "text" },
  { name: "LOG_FORMAT", path: ["log", "format"], kind: "text" },
  {
    name: "MAX_HEADER_BYTES",
    path: ["limits", "max_header_bytes"],
    kind: "text",
  },
  { name: "MAX_HEADERS", path: ["limits", "max_headers"], kind: "text" },
  { name: "MAX_BODY_BYTES", path: ["limits", "max_body_bytes"], kind: "text" },
  {
    name: "HEADER_TIMEOUT",
    path: ["limits", "header_timeout_ms"],
    kind: "seconds",
  },
  {
    name: "MAX_CONNECTIONS",
    path: ["limits", "max_connections"],
    kind: "text",
  },
  {
    name: "MAX_CONNECTIONS_PER_CLIENT",
    path: ["limits", "max_connections_per_client"],
    kind: "text",
  },
  {
    name: "IDLE_TIMEOUT",
    path: ["limits", "idle_timeout_ms"],
    kind: "seconds",
  },
  {
    name: "SHUTDOWN_GRACE",
    path: ["limits", "shutdown_grace_ms"],
    kind: "seconds",
  },
  { name: "AUDIT_ONLY", path: ["audit_only"], kind: "text" },
  { name: "OWNER_LABEL", path: ["owner_label"], kind: "text" },
  { name: "TOKEN_FILE", path: ["tokens"], kind: "token_file" },
  { name: "ADMIN_ENABLED", path: ["admin", "enabled"], kind: "text" },
  { name: "ADMIN_ADDR", path: ["admin", "addr"], kind: "text" },
  {
    name: "DKRPRX__DISABLE_DEFAULTS",
    path: ["filters", "disable_defaults"],
    kind: "text",
  },
  // Both spellings are in use; the prefixed one is listed second so that a
  // conflict names it as the one that disagrees.
  {
    name: "PROXY_CONTAINER_NAME",
    path: ["filters", "proxy_container_name"],
    kind: "text",
  },
  {
    name: "DKRPRX__PROXY_CONTAINER_NAME",
    path: ["filters", "proxy_container_name"],
    kind: "text",
  },
  {
    name: "PROXY_NETWORK_NAME",
    path: ["filters", "proxy_network_name"],
    kind: "text",
  },
  {
    name: "DKRPRX__PROXY_NETWORK_NAME",
    path: ["filters", "proxy_network_name"],
    kind: "text",
  },
];

function filterKind(key: string): EnvKind {
  if (key === "require_labels") return "labels";
  return key.startsWith("allowed_") || key.startsWith("denied_")
    ? "list"
    : "text";
}

function buildSettings(): EnvSetting[] {
  const settings = [...FIXED_SETTINGS];
  const switches = [
    ["sections", SECTIONS],
    ["methods", WRITE_METHODS],
    ["actions", ACTION_SWITCH_NAMES],
  ] as const;
  for (const [group, names] of switches) {
    for (const name of names) {
      settings.push({ name, path: [group, name.toLowerCase()], kind: "text" });
    }
  }
  for (const [group, schema] of Object.entries(FILTER_GROUP_SCHEMAS)) {
    for (const key of Object.keys(schema.entries)) {
      settings.push({
        name: `${FILTER_PREFIX}__${group.toUpperCase()}__${key.toUpperCase()}`,
        path: ["filters", group, key],
        kind: filterKind(key),
      });
    }
  }
  return settings;
}

/** Every environment variable dockgate reads, in the order applied. */
export const ENV_SETTINGS: readonly EnvSetting[] = buildSettings();

const SETTING_NAMES = new Set(ENV_SETTINGS.map((setting) => setting.name));

/** Key for a path in origin maps; JSON keeps dots inside keys apart. */
export function pathKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path);
}

function convert(kind: EnvKind, raw: string): ParseResult<unknown> {
  switch (kind) {
    case "text":
      return { ok: true, value: raw };
    case "list":
      return parseEnvList(raw);
    case "labels":
      return parseEnvLabels(raw);
    case "seconds":
      return parseSecondsAsMs(raw);
    case "token_file":
      return {
        ok: true,
        value: raw.trim() === "" ? [] : [{ file: raw.trim() }],
      };
  }
}

function setIn(
  target: Record<string, unknown>,
  path: readonly string[],
  value: unknown,
): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (child !== null && typeof child === "object") {
      node = child as Record<string, unknown>;
    } else {
      const created: Record<string, unknown> = {};
      node[key] = created;
      node = created;
    }
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

/** Read dockgate's variables from `env`; other variables are ignored. */
export function readEnvLayer(env: Readonly<Record<string, string>>): EnvLayer {
  const value: Record<string, unknown> = {};
  const names = new Map<string, string>();
  const raws = new Map<string, string>();
  const issues: ConfigIssue[] = [];
  for (const setting of ENV_SETTINGS) {
    const raw = env[setting.name];
    if (raw === undefined) continue;
    const key = pathKey(setting.path);
    const earlier = names.get(key);
    if (earlier !== undefined) {
      if (raws.get(key)?.trim() !== raw.trim()) {
        issues.push({
          key: setting.name,
          source: "env",
          message: `conflicts with ${earlier}: ${quote(raw)} against ${
            quote(raws.get(key))
          }`,
        });
      }
      continue;
    }
    const converted = convert(setting.kind, raw);
    if (!converted.ok) {
      issues.push({
        key: setting.name,
        source: "env",
        message: converted.message,
      });
      continue;
    }
    setIn(value, setting.path, converted.value);
    names.set(key, setting.name);
    raws.set(key, raw);
  }
  for (const name of Object.keys(env)) {
    if (SETTING_NAMES.has(name)) continue;
    const upper = name.toUpperCase();
    if (upper.startsWith(FILTER_PREFIX) || upper.startsWith(ACTION_PREFIX)) {
      const prefix = upper.startsWith(FILTER_PREFIX)
        ? FILTER_PREFIX
        : ACTION_PREFIX;
      issues.push({
        key: name,
        source: "env",
        message: `unknown ${prefix} setting: check the spelling`,
      });
    }
  }
  return { value, names, issues };
}
