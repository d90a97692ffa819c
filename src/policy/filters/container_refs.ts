/**
 * The proxy's own container: which requests name it, and the protection
 * for routes that act on one container.
 *
 * Without a resolver the proxy container is recognised by name only (with
 * or without the leading "/"). The engine also accepts a full ID or a
 * unique ID prefix, so the caller should resolve every reference listed by
 * {@link collectContainerRefs} through the engine and pass the results as
 * `FilterContext.resolveContainer`.
 *
 * @module
 */

import {
  asRecord,
  deny,
  listField,
  quote,
  recordField,
  stringField,
  stripSlash,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/**
 * Routes that act on the container in their `{name}` variable and must
 * never act on the proxy: stop, kill, restart, pause, update, rename,
 * remove, exec, attach, archive in or out, export, checkpoints. Start is
 * included because API < 1.24 reconfigures the container on start.
 */
export const PROXY_PROTECTED_ROUTES: ReadonlySet<string> = new Set([
  "container.start",
  "container.stop",
  "container.kill",
  "container.restart",
  "container.pause",
  "container.unpause",
  "container.update",
  "container.rename",
  "container.delete",
  "container.attach",
  "container.attach.ws",
  "container.archive.get",
  "container.archive.head",
  "container.archive.put",
  "container.export",
  "exec.create",
  "checkpoint.create",
  "checkpoint.delete",
]);

/** HostConfig fields that can join another container's namespace. */
export const JOIN_MODE_FIELDS = [
  "NetworkMode",
  "PidMode",
  "IpcMode",
  "Cgroup",
] as const;

const CONTAINER_JOIN_PREFIX = "container:";

/** The container named by a `container:<ref>` mode, or null. */
export function joinedContainer(mode: string): string | null {
  return mode.startsWith(CONTAINER_JOIN_PREFIX)
    ? mode.slice(CONTAINER_JOIN_PREFIX.length)
    : null;
}

/** The container named by a `VolumesFrom` entry `ref[:ro|rw]`. */
export function volumesFromContainer(entry: string): string {
  const colon = entry.indexOf(":");
  return colon === -1 ? entry : entry.slice(0, colon);
}

/** Whether `ref` names the proxy container, by name or through resolution. */
export function isProxyContainer(
  policy: Policy,
  ctx: FilterContext,
  ref: string,
): boolean {
  const { proxyContainer: proxy, proxyContainerId: ownId } = policy;
  if (ref === "" || (proxy === null && ownId === null)) return false;
  if (stripSlash(ref) === proxy || ref === ownId) return true;
  const resolved = ctx.resolveContainer?.(ref);
  if (resolved === undefined) return false;
  // The own ID may be the 12-digit prefix read from the hostname.
  return stripSlash(resolved.name) === proxy ||
    (ownId !== null && resolved.id.startsWith(ownId));
}

/** Denies a reference to the proxy container when defaults are on. */
export function checkProxyContainerRef(
  policy: Policy,
  ctx: FilterContext,
  field: string,
  ref: string,
): FilterDenial | undefined {
  if (!policy.defaults || !isProxyContainer(policy, ctx, ref)) {
    return undefined;
  }
  return deny(
    "defaults.proxy_container",
    `${field} ${quote(ref)} names the proxy container`,
  );
}

/** The `{name}` variable of a container route. */
export function containerParam(ctx: FilterContext): string {
  return ctx.params["name"] ?? ctx.params["id"] ?? "";
}

/** Protection of the proxy container on routes that act on one container. */
export function checkContainerRoute(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  if (!PROXY_PROTECTED_ROUTES.has(ctx.routeId)) return undefined;
  return checkProxyContainerRef(
    policy,
    ctx,
    "container",
    containerParam(ctx),
  );
}

/**
 * Every container reference in a request, so the caller can resolve them
 * through the engine before the (synchronous) filters run: the route's
 * container, `?container=` of commit, `networkmode=container:<ref>` of a
 * build, `container:<ref>` modes and
 * `VolumesFrom` of a create (or legacy start) body, and the `Container`
 * of a network connect or disconnect.
 */
export function collectContainerRefs(ctx: FilterContext): string[] {
  const refs = new Set<string>();
  if (PROXY_PROTECTED_ROUTES.has(ctx.routeId)) refs.add(containerParam(ctx));
  if (ctx.routeId === "container.commit") {
    refs.add(ctx.query.get("container") ?? "");
  }
  if (ctx.routeId === "build") {
    refs.add(joinedContainer(ctx.query.get("networkmode") ?? "") ?? "");
  }
  const body = asRecord(ctx.body);
  if (
    ctx.routeId === "network.connect" || ctx.routeId === "network.disconnect"
  ) {
    refs.add(stringField(body, "Container"));
  }
  const hostConfig = ctx.routeId === "container.create"
    ? recordField(body, "HostConfig")
    : ctx.routeId === "container.start"
    ? body
    : undefined;
  for (const key of JOIN_MODE_FIELDS) {
    refs.add(joinedContainer(stringField(hostConfig, key)) ?? "");
  }
  for (const entry of listField(hostConfig, "VolumesFrom")) {
    if (typeof entry === "string") refs.add(volumesFromContainer(entry));
  }
  refs.delete("");
  return [...refs];
}
