/**
 * The inputs and outputs of the request filters. They are kept small and
 * local so that the filters can be tested without the config loader, the
 * router or the HTTP layer.
 *
 * @module
 */

/** A user pattern compiled at startup, with the text it came from. */
export interface Pattern {
  /** The pattern as the user wrote it. */
  readonly source: string;
  /**
   * The compiled expression: `^(?:p)$` for `allowed_*` lists (it must match
   * the whole value), as written for `denied_*` lists (any match denies).
   * It must not carry the `g` or `y` flag, which would make `test()`
   * stateful.
   */
  readonly regexp: RegExp;
}

/** A list of patterns; an empty `allowed_*` list puts no limit. */
export type PatternList = readonly Pattern[];

/** The `filters` section of the configuration. */
export interface FilterOptions {
  /** Turns off the built-in protections (engine socket, proxy objects). */
  readonly disable_defaults: boolean;
  /** Name of the proxy's own container; null or "" for none. */
  readonly proxy_container_name: string | null;
  /** Name of the proxy's network; null or "" for none. */
  readonly proxy_network_name: string | null;
  /**
   * ID of the container dockgate runs in (full, or at least its 12-digit
   * prefix), detected at startup; null when it does not run in one.
   */
  readonly proxy_container_id?: string | null;
  /**
   * Engine socket paths besides /var/run/docker.sock and /run/docker.sock
   * (for example the configured DOCKER_SOCKET), absolute, with or without
   * a `unix://` prefix.
   */
  readonly engine_socket_paths: readonly string[];
  readonly volumes: {
    readonly allowed_names: PatternList;
    readonly denied_names: PatternList;
    readonly allowed_paths: PatternList;
    readonly denied_paths: PatternList;
    readonly allowed_drivers: PatternList;
  };
  readonly containers: {
    readonly allowed_images: PatternList;
    readonly denied_images: PatternList;
    readonly allowed_names: PatternList;
    readonly denied_names: PatternList;
    readonly require_labels: Readonly<Record<string, string>>;
    readonly deny_privileged: boolean;
    readonly deny_host_network: boolean;
    /** The only capabilities CapAdd may grant beyond the engine's default set. */
    readonly allowed_capabilities: PatternList;
    /** The only host devices that may be passed in (`PathOnHost`). */
    readonly allowed_devices: PatternList;
    /** The only runtimes that may be chosen besides the default. */
    readonly allowed_runtimes: PatternList;
    /** The only security options besides `no-new-privileges`. */
    readonly allowed_security_opts: PatternList;
  };
  readonly images: {
    readonly allowed_repos: PatternList;
    readonly denied_repos: PatternList;
    readonly allowed_tags: PatternList;
    readonly denied_tags: PatternList;
    /** null: allowed unless an image name rule is set. */
    readonly allow_load: boolean | null;
  };
  readonly networks: {
    readonly allowed_names: PatternList;
    readonly denied_names: PatternList;
    readonly allowed_drivers: PatternList;
  };
}

/** Read access to the query string with Go's `FormValue` semantics. */
export interface QueryView {
  /** First value of `key`, or null when absent. */
  get(key: string): string | null;
  /** Every value of `key`, in order. */
  getAll(key: string): string[];
}

/** A container reference resolved through the engine. */
export interface ResolvedContainer {
  /** Full 64-hex ID. */
  readonly id: string;
  /** Name as the engine stores it, with or without the leading "/". */
  readonly name: string;
}

/** What the filters know about one request. */
export interface FilterContext {
  /** Route id from the route table, e.g. `"container.create"`. */
  readonly routeId: string;
  /** Path variables of the route, e.g. `{ name: "web" }`. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: QueryView;
  /**
   * The JSON body after `decodeEngineJson` and `canonicalizeKeys` with the
   * route's schema, or undefined when the request has none.
   */
  readonly body: unknown;
  /** API version from the path prefix, or null when there is none. */
  readonly apiVersion: string | null;
  /**
   * Looks up a container reference that the caller resolved through the
   * engine beforehand (see `collectContainerRefs`). Without it, the proxy
   * container is recognised by name only.
   */
  readonly resolveContainer?: (ref: string) => ResolvedContainer | undefined;
  /**
   * Looks up a network reference (ID, ID prefix or name) that the caller
   * resolved through the engine beforehand (see `collectNetworkRefs`).
   * Without it, networks are recognised by the name as written.
   */
  readonly resolveNetwork?: (ref: string) => ResolvedNetwork | undefined;
}

/** A network reference resolved through the engine. */
export interface ResolvedNetwork {
  /** Full ID. */
  readonly id: string;
  readonly name: string;
}

/** A denial: the rule that said no and why, naming the field and value. */
export interface FilterDenial {
  readonly allowed: false;
  /** 400 for a request the engine would misread or refuse, 403 for policy. */
  readonly status: 400 | 403;
  /** `"<area>.<key>"`, e.g. `"containers.deny_privileged"`. */
  readonly rule: string;
  readonly reason: string;
}

/** The filters' decision on one request. */
export type FilterVerdict = { readonly allowed: true } | FilterDenial;

/** The per-request entry point built by `createRequestFilters`. */
export type RequestFilter = (ctx: FilterContext) => FilterVerdict;
