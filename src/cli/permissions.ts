/**
 * The Deno permissions dockgate runs with, defined once: `compile.sh`
 * embeds them in the executable and `deno task start` passes them to
 * `deno run`, both by running this module, which prints one flag a line,
 * the V8 flags of `runtime_flags.ts` last.
 *
 * What Deno 2.9 checks, as measured:
 *
 * - A Unix socket needs read and write access to its path and net access
 *   to `unix:<path>`. Net entries for Unix sockets must name the exact
 *   path (no directory, no wildcard), and the listener first creates its
 *   socket under a random name, so the net scope stays open by default.
 *   The read and write scopes still confine which Unix sockets dockgate
 *   can reach: the engine's socket files and a directory of its own.
 * - Paths are checked as written, without resolving symlinks, so both
 *   `/var/run/...` and `/run/...` are listed.
 * - `--allow-env` takes wildcards such as `DKRPRX__*`, but listing the
 *   environment (`Deno.env.toObject()`) needs unscoped access.
 * - `/proc/self/*` cannot be read without `-A`, whatever `--allow-read`
 *   says, so dockgate finds its own container through `/etc/hostname`.
 *
 * Net, read and write stay scoped: they are how dockgate could reach the
 * host. The environment is not: reading its own variables gives the
 * process nothing new to reach, and listing them is what lets a misspelled
 * `DKRPRX__` variable stop startup instead of silently dropping a filter.
 *
 * The net, socket and config scopes can be replaced at build time by the
 * variables in {@linkcode SCOPE_VARIABLES}: a comma-separated list, or
 * `all`.
 *
 * @module
 */

import { runtimeFlags } from "./runtime_flags.ts";

/** Socket files and directories dockgate may read and write by default. */
export const DEFAULT_SOCKET_PATHS: readonly string[] = [
  "/var/run/docker.sock",
  "/run/docker.sock",
  "/var/run/dockgate",
  "/run/dockgate",
];

/** Where dockgate may read configuration files by default. */
export const DEFAULT_CONFIG_PATHS: readonly string[] = ["/etc/dockgate"];

/**
 * Files dockgate may always read, whatever the scopes: `own_container.ts`
 * reads the container ID from `/etc/hostname`. Exact files, not `/etc`.
 */
export const OWN_CONTAINER_FILES: readonly string[] = ["/etc/hostname"];

/** Build-time variables that replace a default scope. */
export const SCOPE_VARIABLES = {
  net: "DOCKGATE_ALLOW_NET",
  sockets: "DOCKGATE_SOCKET_PATHS",
  config: "DOCKGATE_CONFIG_PATHS",
} as const;

/** Scope value meaning "no limit" for that permission. */
const ALL = "all";

/** Characters that a flag list or the task's word splitting would break. */
const UNSAFE_ENTRY_REGEXP = /[\s,]/;

/** What dockgate may touch; `"all"` means the unscoped flag. */
export interface PermissionScope {
  /** Hosts, `host:port` or `unix:/path` entries. Default: all. */
  readonly net: readonly string[] | "all";
  /** Socket files and directories, read and written. */
  readonly sockets: readonly string[] | "all";
  /** Configuration files and directories, only read. */
  readonly config: readonly string[] | "all";
}

function parseScope(
  variable: string,
  raw: string | undefined,
  fallback: readonly string[] | "all",
): readonly string[] | "all" {
  if (raw === undefined) return fallback;
  const text = raw.trim();
  if (text === ALL) return ALL;
  const entries = text.split(",").map((entry) => entry.trim());
  for (const entry of entries) {
    if (entry === "") {
      throw new RangeError(
        `${variable} has an empty entry: ${JSON.stringify(raw)}`,
      );
    }
  }
  return entries;
}

/**
 * The scope for `env`, which holds the build's variables: each of
 * {@linkcode SCOPE_VARIABLES} that is set replaces its default.
 *
 * @throws {RangeError} for an empty entry in a list
 */
export function resolvePermissionScope(
  env: Readonly<Record<string, string | undefined>>,
): PermissionScope {
  return {
    net: parseScope(SCOPE_VARIABLES.net, env[SCOPE_VARIABLES.net], ALL),
    sockets: parseScope(
      SCOPE_VARIABLES.sockets,
      env[SCOPE_VARIABLES.sockets],
      DEFAULT_SOCKET_PATHS,
    ),
    config: parseScope(
      SCOPE_VARIABLES.config,
      env[SCOPE_VARIABLES.config],
      DEFAULT_CONFIG_PATHS,
    ),
  };
}

function flag(name: string, scope: readonly string[] | "all"): string {
  if (scope === ALL) return `--allow-${name}`;
  for (const entry of scope) {
    if (UNSAFE_ENTRY_REGEXP.test(entry)) {
      throw new RangeError(
        `--allow-${name} entry has a space or comma: ${JSON.stringify(entry)}`,
      );
    }
  }
  return `--allow-${name}=${scope.join(",")}`;
}

function union(
  a: readonly string[] | "all",
  b: readonly string[] | "all",
): readonly string[] | "all" {
  if (a === ALL || b === ALL) return ALL;
  return [...new Set([...a, ...b])];
}

/**
 * The `deno run` / `deno compile` flags for `scope`. Nothing outside them
 * is granted: no subprocesses, no FFI, no system information, no prompts.
 *
 * Reads cover the sockets, the config paths and
 * {@linkcode OWN_CONTAINER_FILES}; writes only the sockets. The environment is
 * granted whole, so that the loader can list it and refuse an unknown
 * `DKRPRX__` name (see the module documentation).
 *
 * @throws {RangeError} for an entry Deno's flag syntax cannot carry
 */
export function permissionFlags(scope: PermissionScope): string[] {
  const read = union(scope.sockets, scope.config);
  return [
    "--no-prompt",
    flag("net", scope.net),
    flag("read", union(read, OWN_CONTAINER_FILES)),
    flag("write", scope.sockets),
    flag("env", ALL),
  ];
}

if (import.meta.main) {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.values(SCOPE_VARIABLES)) {
    env[name] = Deno.env.get(name);
  }
  let text: string;
  try {
    text = [...permissionFlags(resolvePermissionScope(env)), ...runtimeFlags()]
      .join("\n") + "\n";
  } catch (error) {
    Deno.stderr.writeSync(
      new TextEncoder().encode(`permissions: ${(error as Error).message}\n`),
    );
    Deno.exit(1);
  }
  Deno.stdout.writeSync(new TextEncoder().encode(text));
}
