/**
 * A check at startup that dockgate's Deno permissions cover the addresses
 * and sockets it is configured for.
 *
 * Without it, an engine socket outside the granted paths would only show
 * up as a failed request later, and an error from Deno would tell the user
 * of the compiled binary to "run again" with a flag it cannot take.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { dirname } from "node:path";
import type { DockgateConfig } from "../config/schema.ts";
import { parseListenAddr } from "../listener/listen.ts";
import { SCOPE_VARIABLES } from "./permissions.ts";

/** Answers whether a permission is granted, like `querySync`. */
export type PermissionQuery = (
  descriptor: Deno.PermissionDescriptor,
) => Pick<Deno.PermissionStatus, "state">;

/** The settings the check reads. */
export type PermissionNeeds = Pick<
  DockgateConfig,
  "listen" | "listeners" | "docker" | "admin" | "tokens" | "profiles"
>;

/** Answers from the process's own permissions. */
const QUERY_DENO: PermissionQuery = (descriptor) =>
  Deno.permissions.querySync(descriptor);

const logger = getLogger(["dockgate", "permissions"]);

function hostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/** One permission that dockgate lacks for its settings. */
export interface MissingPermission {
  /** What cannot be done, e.g. `listen on /run/dockgate/dockgate.sock`. */
  readonly purpose: string;
  /** `net`, `read`, `write` or `read and write`. */
  readonly access: string;
  /** The path or net entry access is needed to. */
  readonly target: string;
  /** The Deno flag to widen, e.g. `--allow-write`. */
  readonly flag: string;
  /** The `compile.sh` variable that sets that flag's scope. */
  readonly variable: string;
}

/** One line naming what failed and the flag to change. */
export function formatMissingPermission(missing: MissingPermission): string {
  return `cannot ${missing.purpose}: no ${missing.access} access to ` +
    `${JSON.stringify(missing.target)}; grant it with ${missing.flag} ` +
    `(compile.sh: ${missing.variable})`;
}

function readMissing(
  purpose: string,
  path: string,
  query: PermissionQuery,
): MissingPermission | null {
  if (query({ name: "read", path }).state === "granted") return null;
  return {
    purpose,
    access: "read",
    target: path,
    flag: "--allow-read",
    variable: SCOPE_VARIABLES.config,
  };
}

/**
 * Why `path`, a file named by the configuration, may not be read, as one
 * line naming the variable to widen; null when it may. For the loader,
 * which asks before it reads a token file.
 */
export function readProblem(
  purpose: string,
  path: string,
  query: PermissionQuery = QUERY_DENO,
): string | null {
  const missing = readMissing(purpose, path, query);
  return missing === null ? null : formatMissingPermission(missing);
}

/** Every token file of every profile, as `[purpose, path]`. */
function tokenFiles(config: PermissionNeeds): [string, string][] {
  const files: [string, string][] = [];
  const lists = [
    ["default", config.tokens] as const,
    ...Object.entries(config.profiles)
      .map(([name, profile]) => [name, profile.tokens] as const),
  ];
  for (const [profile, tokens] of lists) {
    for (const token of tokens) {
      if (!("file" in token)) continue;
      files.push([
        `read token file ${token.file} of profile ${profile}`,
        token.file,
      ]);
    }
  }
  return files;
}

/** Every TCP listener, `listen:` first, with its TLS files. */
function tcpListeners(
  config: PermissionNeeds,
): { addr: string; tls: DockgateConfig["listen"]["tls"] }[] {
  const all = [config.listen, ...config.listeners];
  return all.flatMap((listener) =>
    listener.addr === null ? [] : [{ addr: listener.addr, tls: listener.tls }]
  );
}

/**
 * Every permission `config` needs that `query` says is missing: to listen
 * on each address and socket (`listen:`, `listeners:`, the admin listener),
 * to read TLS and token files, and to reach the engine.
 */
export function missingPermissions(
  config: PermissionNeeds,
  query: PermissionQuery = QUERY_DENO,
): MissingPermission[] {
  const missing: MissingPermission[] = [];
  const granted = (descriptor: Deno.PermissionDescriptor) =>
    query(descriptor).state === "granted";

  function needNet(purpose: string, host: string, variable: string): void {
    if (granted({ name: "net", host })) return;
    missing.push({
      purpose,
      access: "net",
      target: host,
      flag: "--allow-net",
      variable,
    });
  }

  function needPaths(purpose: string, paths: string[]): void {
    for (const path of paths) {
      const names = (["read", "write"] as const)
        .filter((name) => !granted({ name, path }));
      if (names.length === 0) continue;
      missing.push({
        purpose,
        access: names.join(" and "),
        target: path,
        flag: names.map((name) => `--allow-${name}`).join(" and "),
        variable: SCOPE_VARIABLES.sockets,
      });
      return;
    }
  }

  function needRead(purpose: string, path: string): void {
    const entry = readMissing(purpose, path, query);
    if (entry !== null) missing.push(entry);
  }

  function needListen(addr: string): void {
    const { hostname, port } = parseListenAddr(addr);
    needNet(`listen on ${addr}`, hostPort(hostname, port), SCOPE_VARIABLES.net);
  }

  for (const { addr, tls } of tcpListeners(config)) {
    needListen(addr);
    if (tls?.cert_file) {
      needRead(`read the TLS certificate of ${addr}`, tls.cert_file);
    }
    if (tls?.key_file) needRead(`read the TLS key of ${addr}`, tls.key_file);
  }
  const sockets = [config.listen, ...config.listeners]
    .flatMap((listener) => listener.socket === null ? [] : [listener.socket]);
  for (const socket of sockets) {
    const purpose = `listen on ${socket}`;
    // The socket is made in a private directory beside it and then renamed,
    // so the directory needs access too.
    needPaths(purpose, [dirname(socket), socket]);
    // Its first, random name cannot be listed in a net scope, so only an
    // unscoped --allow-net lets dockgate listen on a Unix socket.
    if (!granted({ name: "net" })) {
      missing.push({
        purpose,
        access: "unscoped net",
        target: `unix:${socket}`,
        flag: "--allow-net",
        variable: `${SCOPE_VARIABLES.net}=all`,
      });
    }
  }
  if (config.admin.enabled && config.admin.addr !== null) {
    const { hostname, port } = parseListenAddr(config.admin.addr);
    needNet(
      `listen on ${config.admin.addr} for the admin listener`,
      hostPort(hostname, port),
      SCOPE_VARIABLES.net,
    );
  }
  for (const [purpose, path] of tokenFiles(config)) needRead(purpose, path);
  const engine = config.docker.socket;
  if (engine.kind === "unix") {
    const purpose = `reach the engine at ${engine.path}`;
    needPaths(purpose, [engine.path]);
    needNet(purpose, `unix:${engine.path}`, SCOPE_VARIABLES.net);
  } else {
    const host = hostPort(engine.host, engine.port);
    needNet(`reach the engine at tcp://${host}`, host, SCOPE_VARIABLES.net);
  }
  return missing;
}

/**
 * Logs every missing permission as fatal.
 *
 * @returns true when dockgate has every permission its settings need
 */
export function checkPermissions(config: PermissionNeeds): boolean {
  const missing = missingPermissions(config);
  for (const entry of missing) {
    logger.fatal("Missing permission: {problem}", {
      problem: formatMissingPermission(entry),
    });
  }
  return missing.length === 0;
}
