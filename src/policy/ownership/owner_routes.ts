/**
 * What owner isolation does on each engine route. Every route of the
 * route table has an entry (a test compares the two), so a route added to
 * the table cannot slip through unjudged: under an owner label, a route
 * without an entry is denied.
 *
 * @module
 */

/**
 * How a route is handled for a profile with an owner label:
 *
 * - `open`: nothing of a tenant's is involved (ping, version, registry);
 * - `deny`: engine-wide or cannot be confined to one owner;
 * - `list`: the owner's label is added to the `filters` the engine applies;
 * - `container`, `exec`, `volume`, `network`: acts on one object, which
 *   must carry the owner's label;
 * - `image.read`: reads one image, which must be the owner's or unowned
 *   (the engine's own store);
 * - `image.write`: changes one image, which must be the owner's;
 * - the rest are the routes that create something, each with its own
 *   stamping and reference checks.
 */
export type OwnershipKind =
  | "open"
  | "deny"
  | "list"
  | "container"
  | "exec"
  | "volume"
  | "network"
  | "network.attach"
  | "image.read"
  | "image.write"
  | "image.tag"
  | "image.export"
  | "image.create"
  | "container.create"
  | "container.commit"
  | "volume.create"
  | "network.create"
  | "build";

const CONTAINER_ROUTES = [
  "checkpoint.list",
  "checkpoint.create",
  "checkpoint.delete",
  "container.archive.head",
  "container.export",
  "container.changes",
  "container.inspect",
  "container.top",
  "container.logs",
  "container.stats",
  "container.attach.ws",
  "container.archive.get",
  "container.kill",
  "container.pause",
  "container.unpause",
  "container.restart",
  "container.start",
  "container.stop",
  "container.wait",
  "container.resize",
  "container.attach",
  "exec.create",
  "container.rename",
  "container.update",
  "container.archive.put",
  "container.delete",
];

const LIST_ROUTES = [
  "container.list",
  "container.prune",
  "image.list",
  "image.prune",
  "system.events",
  "volume.list",
  "volume.prune",
  "network.list",
  "network.list.slash",
  "network.prune",
];

const OPEN_ROUTES = [
  "system.ping",
  "system.ping.head",
  "system.info",
  "system.version",
  "system.auth",
  "image.search",
  "distribution.inspect",
];

/**
 * Engine-wide routes. `system/df` lists every object; build cache and
 * BuildKit sessions are shared by all; a loaded tarball names its own tags
 * and labels; Swarm objects and plugins belong to the whole engine.
 */
const DENIED_PREFIXES = [
  "swarm.",
  "service.",
  "node.",
  "task.",
  "secret.",
  "config.",
  "plugin.",
  "debug.",
];

const DENIED_ROUTES = [
  "system.df",
  "build.prune",
  "build.cancel",
  "session",
  "grpc",
  "image.load",
];

const SINGLE_ROUTES: ReadonlyMap<string, OwnershipKind> = new Map([
  ["exec.inspect", "exec"],
  ["exec.start", "exec"],
  ["exec.resize", "exec"],
  ["volume.inspect", "volume"],
  ["volume.update", "volume"],
  ["volume.delete", "volume"],
  ["network.inspect", "network"],
  ["network.delete", "network"],
  ["network.connect", "network.attach"],
  ["network.disconnect", "network.attach"],
  ["image.inspect", "image.read"],
  ["image.history", "image.read"],
  ["image.attestations", "image.read"],
  ["image.export.one", "image.read"],
  ["image.push", "image.read"],
  ["image.delete", "image.write"],
  ["image.tag", "image.tag"],
  ["image.export", "image.export"],
  ["image.create", "image.create"],
  ["container.create", "container.create"],
  ["container.commit", "container.commit"],
  ["volume.create", "volume.create"],
  ["network.create", "network.create"],
  ["build", "build"],
]);

/** How owner isolation handles `routeId`; unknown routes are denied. */
export function ownershipKind(routeId: string): OwnershipKind {
  const single = SINGLE_ROUTES.get(routeId);
  if (single !== undefined) return single;
  if (CONTAINER_ROUTES.includes(routeId)) return "container";
  if (LIST_ROUTES.includes(routeId)) return "list";
  if (OPEN_ROUTES.includes(routeId)) return "open";
  return "deny";
}

/**
 * Route ids with an explicit entry, for the test that every route of the
 * table is judged on purpose.
 */
export function classifiedRouteIds(): Set<string> {
  return new Set([
    ...SINGLE_ROUTES.keys(),
    ...CONTAINER_ROUTES,
    ...LIST_ROUTES,
    ...OPEN_ROUTES,
    ...DENIED_ROUTES,
  ]);
}

/** True for routes denied as a group (Swarm, plugins, debug). */
export function isDeniedFamily(routeId: string): boolean {
  return DENIED_PREFIXES.some((prefix) => routeId.startsWith(prefix));
}
