/**
 * The shape of dockgate's configuration, as valibot schemas.
 *
 * Files use these snake_case keys; the environment variables are mapped onto
 * them by `env_source.ts`. Every value goes through a parser from
 * `value_parsers.ts`, so environment strings and file values are checked by
 * the same rules, and every problem comes back as an issue with its path.
 *
 * Pattern lists hold regular expressions compiled at load time:
 *
 * - an `allowed_*` pattern must match the whole value: it is compiled as
 *   `^(?:pattern)$`, so `local` allows the driver `local` and not `nolocal`;
 *   a non-empty allow list lets through only values that match one pattern;
 * - a `denied_*` pattern denies when it matches anywhere in the value: it is
 *   compiled as written, so anchor it yourself (`^latest$`) when needed.
 *
 * An empty allow list puts no limit on names, paths, images, tags, repos or
 * drivers. The four escape lists of `containers` (capabilities, devices,
 * runtimes, security options) work the other way: they name the only
 * escapes that may be requested, so empty means none.
 *
 * Patterns use JavaScript syntax with the `u` flag, which is stricter than
 * Go's: an escape that means nothing is an error rather than a literal.
 *
 * @module
 */

import * as v from "valibot";
import {
  ACTION_SWITCH_NAMES,
  ACTION_SWITCHES,
  SECTIONS,
  SECTIONS_ALLOWED_BY_DEFAULT,
  type WriteMethod,
} from "../policy/sections.ts";
import {
  compilePattern,
  parseApiVersion,
  parseBoolean,
  parseChoice,
  parseCount,
  parseDockerName,
  parseEngineAddress,
  parseLabelValue,
  parseListenAddr,
  parseListenSocket,
  parseOctalMode,
  type ParseResult,
  quote,
} from "./value_parsers.ts";
import {
  parseCidrList,
  parseOptionalProfileName,
  parseOwnerLabel,
  parseProfileName,
  parseTlsFile,
  parseTokenSource,
  refuseClientCa,
} from "./profile_values.ts";

export type { EngineAddress, Pattern } from "./value_parsers.ts";
export type { OwnerLabel, TokenSource } from "./profile_values.ts";

/** TCP address used when neither LISTEN_ADDR nor LISTEN_SOCKET is set. */
export const DEFAULT_LISTEN_ADDR = "127.0.0.1:2375";

/** Engine socket used when DOCKER_SOCKET is not set. */
export const DEFAULT_DOCKER_SOCKET = "unix:///var/run/docker.sock";

/** The profile made of the top-level policy keys. */
export const DEFAULT_PROFILE = "default";

/** Address of the admin listener when it is on and none is given. */
export const DEFAULT_ADMIN_ADDR = "127.0.0.1:9375";

/** Log levels, from the most to the least verbose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** Log output formats. */
export const LOG_FORMATS = ["text", "json"] as const;

const LOG_LEVEL_ALIASES = { warning: "warn" } as const;

/** Object schemas report their own type and unknown-key problems here. */
function mappingMessage(issue: v.BaseIssue<unknown>): string {
  if (issue.expected === "never") return `unknown key: ${quote(issue.input)}`;
  return `expected a mapping: ${quote(issue.input)}`;
}

function listMessage(issue: v.BaseIssue<unknown>): string {
  return `expected a list: ${quote(issue.input)}`;
}

/** Wrap a value parser as a schema whose issue carries the parser's text. */
function leaf<T>(parse: (input: unknown) => ParseResult<T>) {
  return v.pipe(
    v.unknown(),
    v.rawTransform<unknown, T>(({ dataset, addIssue, NEVER }) => {
      const result = parse(dataset.value);
      if (result.ok) return result.value;
      addIssue({ message: result.message });
      return NEVER;
    }),
  );
}

const BOOLEAN_SCHEMA = leaf(parseBoolean);

/**
 * A mapping of on/off switches. Files use the lower-case names; the output
 * uses the upper-case names of `sections.ts`, as the environment does.
 */
function switchesSchema<N extends string>(
  names: readonly N[],
  defaultOf: (name: N) => boolean,
) {
  const entries: Record<
    string,
    v.OptionalSchema<typeof BOOLEAN_SCHEMA, boolean>
  > = {};
  for (const name of names) {
    entries[name.toLowerCase()] = v.optional(BOOLEAN_SCHEMA, defaultOf(name));
  }
  return v.nullish(
    v.pipe(
      v.strictObject(entries, mappingMessage),
      v.transform((input) => {
        const output: Record<string, boolean> = {};
        for (const name of names) {
          output[name] = input[name.toLowerCase()] === true;
        }
        return output as Record<N, boolean>;
      }),
    ),
    {},
  );
}

function countSchema(min: number, fallback: number) {
  return v.optional(leaf((input) => parseCount(input, min)), fallback);
}

/** A list of patterns that must match the whole value. Default: empty. */
const ALLOWED_PATTERNS_SCHEMA = v.nullish(
  v.array(leaf((input) => compilePattern(input, true)), listMessage),
  [],
);

/** A list of patterns that deny when they match anywhere. Default: empty. */
const DENIED_PATTERNS_SCHEMA = v.nullish(
  v.array(leaf((input) => compilePattern(input, false)), listMessage),
  [],
);

/**
 * Labels as a mapping of name to value. Parsed by hand rather than with
 * `v.record`, which drops keys such as `constructor` without a word and would
 * so weaken a required-label rule.
 */
function parseLabels(
  input: unknown,
): ParseResult<Readonly<Record<string, string>>> {
  if (input === null || typeof input !== "object" || Array.isArray(input)) {
    return { ok: false, message: `expected a mapping: ${quote(input)}` };
  }
  const entries: [string, string][] = [];
  for (const [name, value] of Object.entries(input)) {
    const parsed = parseLabelValue(value);
    if (name.trim() === "") {
      return { ok: false, message: `empty label name: ${quote(name)}` };
    }
    if (!parsed.ok) {
      return { ok: false, message: `label ${quote(name)}: ${parsed.message}` };
    }
    entries.push([name, parsed.value]);
  }
  return { ok: true, value: Object.fromEntries(entries) };
}

/** Filters that apply to every request touching the same kind of object. */
export const FILTER_GROUP_SCHEMAS = {
  volumes: v.strictObject({
    /** Volume names that may be used. Default: any. */
    allowed_names: ALLOWED_PATTERNS_SCHEMA,
    /** Volume names that may not be used. Default: none. */
    denied_names: DENIED_PATTERNS_SCHEMA,
    /** Host paths that may be bind-mounted. Default: any not denied. */
    allowed_paths: ALLOWED_PATTERNS_SCHEMA,
    /** Host paths that may not be bind-mounted. Default: none extra. */
    denied_paths: DENIED_PATTERNS_SCHEMA,
    /** Volume drivers that may be used. Default: any. */
    allowed_drivers: ALLOWED_PATTERNS_SCHEMA,
  }, mappingMessage),
  containers: v.strictObject({
    /** Images a container may be created from. Default: any. */
    allowed_images: ALLOWED_PATTERNS_SCHEMA,
    /** Images a container may not be created from. Default: none. */
    denied_images: DENIED_PATTERNS_SCHEMA,
    /** Container names that may be used. Default: any. */
    allowed_names: ALLOWED_PATTERNS_SCHEMA,
    /** Container names that may not be used. Default: none. */
    denied_names: DENIED_PATTERNS_SCHEMA,
    /** Labels every new container must carry, name to value. Default: none. */
    require_labels: v.nullish(leaf(parseLabels), {}),
    /** Refuse privileged containers. Default: true. */
    deny_privileged: v.optional(BOOLEAN_SCHEMA, true),
    /** Refuse the host network namespace. Default: true. */
    deny_host_network: v.optional(BOOLEAN_SCHEMA, true),
    /** Capabilities that CapAdd may grant. Default: none. */
    allowed_capabilities: ALLOWED_PATTERNS_SCHEMA,
    /** Host devices that may be passed in. Default: none. */
    allowed_devices: ALLOWED_PATTERNS_SCHEMA,
    /** OCI runtimes that may be chosen. Default: none besides the default. */
    allowed_runtimes: ALLOWED_PATTERNS_SCHEMA,
    /** Security options that may be set. Default: none. */
    allowed_security_opts: ALLOWED_PATTERNS_SCHEMA,
  }, mappingMessage),
  images: v.strictObject({
    /** Repositories that may be pulled, built or tagged. Default: any. */
    allowed_repos: ALLOWED_PATTERNS_SCHEMA,
    /** Repositories that may not be used. Default: none. */
    denied_repos: DENIED_PATTERNS_SCHEMA,
    /** Tags that may be used. Default: any. */
    allowed_tags: ALLOWED_PATTERNS_SCHEMA,
    /** Tags that may not be used. Default: none. */
    denied_tags: DENIED_PATTERNS_SCHEMA,
    /**
     * `POST /images/load` sets whatever tags its tarball names, past every
     * name check: true allows it, false refuses it. Default: null, which
     * allows it unless an image name rule (images.* or containers.*_images)
     * is set.
     */
    allow_load: v.optional(v.nullable(BOOLEAN_SCHEMA), null),
  }, mappingMessage),
  networks: v.strictObject({
    /** Network names that may be used. Default: any. */
    allowed_names: ALLOWED_PATTERNS_SCHEMA,
    /** Network names that may not be used. Default: none. */
    denied_names: DENIED_PATTERNS_SCHEMA,
    /** Network drivers that may be used. Default: any. */
    allowed_drivers: ALLOWED_PATTERNS_SCHEMA,
  }, mappingMessage),
};

/** The `filters:` section; also the whole shape of a FILTERS_CONFIG file. */
export const FILTERS_SCHEMA = v.strictObject({
  /** Turn off the built-in self and socket protections. Default: false. */
  disable_defaults: v.optional(BOOLEAN_SCHEMA, false),
  /** Container that may not be touched; null for none. Default: "dockgate". */
  proxy_container_name: v.optional(leaf(parseDockerName), "dockgate"),
  /** Network that may not be touched; null for none. Default: null. */
  proxy_network_name: v.optional(leaf(parseDockerName), null),
  volumes: v.nullish(FILTER_GROUP_SCHEMAS.volumes, {}),
  containers: v.nullish(FILTER_GROUP_SCHEMAS.containers, {}),
  images: v.nullish(FILTER_GROUP_SCHEMAS.images, {}),
  networks: v.nullish(FILTER_GROUP_SCHEMAS.networks, {}),
}, mappingMessage);

/**
 * TLS for a TCP listener. Both files are read when the listener opens, so
 * they must be inside dockgate's read permission. Default: null (plain
 * TCP).
 */
const TLS_SCHEMA = v.nullish(
  v.strictObject({
    /** PEM certificate chain, the server's certificate first. */
    cert_file: v.optional(leaf(parseTlsFile), null),
    /** PEM private key of that certificate (PKCS#8, RSA or EC). */
    key_file: v.optional(leaf(parseTlsFile), null),
    /** Refused with a message: Deno cannot verify client certificates. */
    client_ca_file: v.optional(leaf(refuseClientCa), null),
  }, mappingMessage),
  null,
);

const LISTEN_SCHEMA = v.pipe(
  v.strictObject({
    /**
     * TCP `host:port`; `:2375` means every interface; null or "" means no
     * TCP. Default: "127.0.0.1:2375", or none when a socket is set, since
     * someone who asks for a socket with tight permissions does not expect a
     * TCP port that any local user can reach.
     */
    addr: v.optional(leaf(parseListenAddr)),
    /** Absolute path of a Unix socket to listen on. Default: null. */
    socket: v.optional(leaf(parseListenSocket), null),
    /** Permission bits of that socket, written in octal. Default: 0660. */
    socket_perms: v.optional(leaf(parseOctalMode), "0660"),
    /** TLS on `addr`. Default: null (plain TCP). */
    tls: TLS_SCHEMA,
  }, mappingMessage),
  v.transform((listen) => ({
    addr: listen.addr === undefined
      ? (listen.socket === null ? DEFAULT_LISTEN_ADDR : null)
      : listen.addr,
    socket: listen.socket,
    socket_perms: listen.socket_perms,
    tls: listen.tls,
  })),
);

const METHODS_SCHEMA = v.pipe(
  v.strictObject({
    /** Default: false. */
    post: v.optional(BOOLEAN_SCHEMA, false),
    /** Default: false. */
    delete: v.optional(BOOLEAN_SCHEMA, false),
    /** Default: false. Also opens PATCH unless `patch` is set. */
    put: v.optional(BOOLEAN_SCHEMA, false),
    /** Default: the value of `put`. */
    patch: v.optional(BOOLEAN_SCHEMA),
  }, mappingMessage),
  v.transform((methods): Record<WriteMethod, boolean> => ({
    POST: methods.post,
    DELETE: methods.delete,
    PUT: methods.put,
    PATCH: methods.patch ?? methods.put,
  })),
);

/**
 * The policy keys of a profile. The top level holds those of the profile
 * "default"; each entry of `profiles:` holds its own, starting from the
 * defaults, not from the top level: a tenant gets only what its profile
 * says.
 */
const POLICY_ENTRIES = {
  /** Endpoint groups; EVENTS, PING and VERSION are open by default. */
  sections: switchesSchema(
    SECTIONS,
    (name) => (SECTIONS_ALLOWED_BY_DEFAULT as readonly string[]).includes(name),
  ),
  /** Write methods, all closed by default; GET and HEAD follow sections. */
  methods: v.nullish(METHODS_SCHEMA, {}),
  /** Per-action switches, defaults from ACTION_SWITCHES. */
  actions: switchesSchema(
    ACTION_SWITCH_NAMES,
    (name) => ACTION_SWITCHES[name].default,
  ),
  filters: v.nullish(FILTERS_SCHEMA, {}),
  /**
   * `key=value` stamped on everything the client creates; the client then
   * sees and touches only objects that carry it. Default: null (off).
   */
  owner_label: v.optional(leaf(parseOwnerLabel), null),
  /** Log what would be denied, deny nothing. Default: false. */
  audit_only: v.optional(BOOLEAN_SCHEMA, false),
  /**
   * Bearer tokens, `{file: PATH}` or `{env: NAME}`; when any is set, a
   * request must carry one of them. Default: none.
   */
  tokens: v.nullish(v.array(leaf(parseTokenSource), listMessage), []),
};

const PROFILES_SCHEMA = v.nullish(
  v.record(
    v.pipe(
      v.string(),
      v.check(
        (name) => parseProfileName(name).ok,
        (issue) => {
          const parsed = parseProfileName(issue.input);
          return parsed.ok ? "" : parsed.message;
        },
      ),
    ),
    v.strictObject(POLICY_ENTRIES, mappingMessage),
    mappingMessage,
  ),
  {},
);

const CLIENT_SCHEMA = v.strictObject({
  /** Address ranges the client must come from. Default: any. */
  cidr: v.optional(leaf(parseCidrList), null),
  /** The profile these clients get. */
  profile: leaf(parseProfileName),
}, mappingMessage);

const LISTENER_SCHEMA = v.strictObject({
  /** Absolute path of a Unix socket; give this or `addr`. */
  socket: v.optional(leaf(parseListenSocket), null),
  /** Permission bits of that socket, written in octal. Default: 0660. */
  socket_perms: v.optional(leaf(parseOctalMode), "0660"),
  /** TCP `host:port`; give this or `socket`. */
  addr: v.optional(leaf(parseListenAddr), null),
  /** TLS on `addr`. Default: null (plain TCP). */
  tls: TLS_SCHEMA,
  /** The profile of every client. Default: "default" without `clients`. */
  profile: v.optional(leaf(parseOptionalProfileName), null),
  /** TCP only: clients by address range, first match wins. */
  clients: v.nullish(v.array(CLIENT_SCHEMA, listMessage), null),
}, mappingMessage);

/** The whole configuration, as read from a file merged with the env. */
export const CONFIG_SCHEMA = v.strictObject({
  listen: v.nullish(LISTEN_SCHEMA, {}),
  docker: v.nullish(
    v.strictObject({
      /** Where the engine is. Default: "unix:///var/run/docker.sock". */
      socket: v.optional(leaf(parseEngineAddress), DEFAULT_DOCKER_SOCKET),
      /** API version to pin, like "1.41"; null negotiates. Default: null. */
      api_version: v.optional(leaf(parseApiVersion), null),
    }, mappingMessage),
    {},
  ),
  log: v.nullish(
    v.strictObject({
      /** debug, info, warn or error. Default: "info". */
      level: v.optional(
        leaf((input) => parseChoice(input, LOG_LEVELS, LOG_LEVEL_ALIASES)),
        "info",
      ),
      /** "text" for people, "json" for one object per line. Default: text. */
      format: v.optional(
        leaf((input) => parseChoice(input, LOG_FORMATS)),
        "text",
      ),
    }, mappingMessage),
    {},
  ),
  ...POLICY_ENTRIES,
  limits: v.nullish(
    v.strictObject({
      /** Bytes of request line plus headers. Default: 65536. */
      max_header_bytes: countSchema(1, 65536),
      /** Number of header fields. Default: 100. */
      max_headers: countSchema(1, 100),
      /** Cap on a JSON body that policy must read. Default: 1048576. */
      max_body_bytes: countSchema(1, 1048576),
      /** Time to receive the whole header block. Default: 10000. */
      header_timeout_ms: countSchema(1, 10000),
      /** Open client connections in total. Default: 1024. */
      max_connections: countSchema(1, 1024),
      /** Open connections from one client address. Default: 256. */
      max_connections_per_client: countSchema(1, 256),
      /** Close a connection idle this long; 0 means never. Default: 0. */
      idle_timeout_ms: countSchema(0, 0),
      /** Time given to open requests on shutdown. Default: 10000. */
      shutdown_grace_ms: countSchema(0, 10000),
    }, mappingMessage),
    {},
  ),
  /** Named policies besides "default" (the top level). Default: none. */
  profiles: PROFILES_SCHEMA,
  /**
   * Listeners, each bound to a profile, besides `listen:` (which serves
   * "default"). Default: none.
   */
  listeners: v.nullish(v.array(LISTENER_SCHEMA, listMessage), []),
  admin: v.nullish(
    v.strictObject({
      /** Serve /healthz and /metrics. Default: false. */
      enabled: v.optional(BOOLEAN_SCHEMA, false),
      /** TCP `host:port` of the admin listener. Default: 127.0.0.1:9375. */
      addr: v.optional(leaf(parseListenAddr), DEFAULT_ADMIN_ADDR),
    }, mappingMessage),
    {},
  ),
}, mappingMessage);

type DeepReadonly<T> = T extends RegExp ? T
  : T extends readonly (infer U)[] ? readonly DeepReadonly<U>[]
  : T extends object ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
  : T;

/** The validated configuration; the loader returns it deeply frozen. */
export type DockgateConfig = DeepReadonly<v.InferOutput<typeof CONFIG_SCHEMA>>;
