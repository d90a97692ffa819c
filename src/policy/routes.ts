/**
 * The engine's route table and the matcher that picks a route the way the
 * engine's gorilla/mux router does.
 *
 * gorilla/mux tries routes in registration order and takes the first whose
 * anchored path pattern and method both match. Because `{name:.*}` matches
 * slashes, the suffix decides: `POST /images/a/b/push/tag` tags the image
 * `a/b/push`. Reproducing the order and the anchoring exactly is what keeps
 * our idea of the operation equal to the engine's.
 */

import { CONTAINER_ROUTES } from "./container_routes.ts";
import { IMAGE_SYSTEM_ROUTES } from "./image_system_routes.ts";
import { PLUGIN_NETWORK_ROUTES } from "./plugin_network_routes.ts";
import type { RouteSpec } from "./route_spec.ts";
import { SWARM_ROUTES } from "./swarm_routes.ts";

export type { RouteMethod, RouteSpec } from "./route_spec.ts";

/**
 * Every route the engine serves for API 1.41 to 1.56, in the engine's
 * registration order: checkpoint, container, image, system, volume, build,
 * session, swarm, plugin, distribution, network, debug, grpc. The version
 * prefix is not part of the patterns; strip it first (see
 * `canonicalizeTarget`).
 */
export const ROUTES: readonly RouteSpec[] = [
  ...CONTAINER_ROUTES,
  ...IMAGE_SYSTEM_ROUTES,
  ...SWARM_ROUTES,
  ...PLUGIN_NETWORK_ROUTES,
];

/** A matched route and its path parameters (already percent-decoded). */
export interface RouteMatch {
  route: RouteSpec;
  params: Record<string, string>;
}

const ROUTES_BY_METHOD: ReadonlyMap<string, readonly RouteSpec[]> =
  groupByMethod(ROUTES);

/**
 * Finds the route the engine would run for `method` and `routePath`, or
 * null. Methods compare exactly (the engine does not fold case), so HEAD
 * matches only the two HEAD routes and OPTIONS matches nothing.
 *
 * @example
 * ```ts
 * matchRoute("POST", "/images/a/b/push/tag");
 * // { route: { id: "image.tag", ... }, params: { name: "a/b/push" } }
 * ```
 */
export function matchRoute(
  method: string,
  routePath: string,
): RouteMatch | null {
  for (const route of ROUTES_BY_METHOD.get(method) ?? []) {
    const match = route.pattern.exec(routePath);
    if (match !== null) return { route, params: { ...match.groups } };
  }
  return null;
}

function groupByMethod(
  routes: readonly RouteSpec[],
): Map<string, RouteSpec[]> {
  const byMethod = new Map<string, RouteSpec[]>();
  for (const route of routes) {
    const list = byMethod.get(route.method);
    if (list === undefined) byMethod.set(route.method, [route]);
    else list.push(route);
  }
  return byMethod;
}
