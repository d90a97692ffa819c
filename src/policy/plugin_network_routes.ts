/**
 * Routes of the engine's plugin, distribution, network, debug and grpc
 * routers, in the order the engine registers them.
 */

import { defineRoute as route, type RouteSpec } from "./route_spec.ts";

const PLUGIN_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/plugins", "plugin.list", "PLUGINS"),
  route("GET", "/plugins/{name:.*}/json", "plugin.inspect", "PLUGINS"),
  route("GET", "/plugins/privileges", "plugin.privileges", "PLUGINS"),
  route("DELETE", "/plugins/{name:.*}", "plugin.delete", "PLUGINS"),
  route("POST", "/plugins/{name:.*}/enable", "plugin.enable", "PLUGINS"),
  route("POST", "/plugins/{name:.*}/disable", "plugin.disable", "PLUGINS"),
  // The body lists the privileges the caller accepts.
  route("POST", "/plugins/pull", "plugin.pull", "PLUGINS", {
    body: "json",
    streaming: true,
  }),
  route("POST", "/plugins/{name:.*}/push", "plugin.push", "PLUGINS", {
    streaming: true,
  }),
  route("POST", "/plugins/{name:.*}/upgrade", "plugin.upgrade", "PLUGINS", {
    body: "json",
    streaming: true,
  }),
  route("POST", "/plugins/{name:.*}/set", "plugin.set", "PLUGINS", {
    body: "json",
  }),
  // The body is a tar whose config.json asks for privileges unchecked.
  route("POST", "/plugins/create", "plugin.create", "PLUGINS", {
    body: "stream",
  }),
];

const DISTRIBUTION_ROUTER_ROUTES: readonly RouteSpec[] = [
  route(
    "GET",
    "/distribution/{name:.*}/json",
    "distribution.inspect",
    "DISTRIBUTION",
  ),
];

/**
 * `GET /networks/` is a real alias of the list; inspect takes `{id:.+}`
 * while connect, disconnect and delete take `{id:.*}`, as in the engine.
 */
const NETWORK_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/networks", "network.list", "NETWORKS"),
  route("GET", "/networks/", "network.list.slash", "NETWORKS"),
  route("GET", "/networks/{id:.+}", "network.inspect", "NETWORKS"),
  route("POST", "/networks/create", "network.create", "NETWORKS", {
    body: "json",
  }),
  route("POST", "/networks/{id:.*}/connect", "network.connect", "NETWORKS", {
    body: "json",
  }),
  route(
    "POST",
    "/networks/{id:.*}/disconnect",
    "network.disconnect",
    "NETWORKS",
    { body: "json" },
  ),
  route("POST", "/networks/prune", "network.prune", "NETWORKS"),
  route("DELETE", "/networks/{id:.*}", "network.delete", "NETWORKS"),
];

/** Registered on every engine, not only in debug mode; always denied. */
const DEBUG_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/debug/vars", "debug.vars", "DEBUG"),
  route("GET", "/debug/pprof/", "debug.pprof.index", "DEBUG"),
  route("GET", "/debug/pprof/cmdline", "debug.pprof.cmdline", "DEBUG"),
  route("GET", "/debug/pprof/profile", "debug.pprof.profile", "DEBUG"),
  route("GET", "/debug/pprof/symbol", "debug.pprof.symbol", "DEBUG"),
  route("GET", "/debug/pprof/trace", "debug.pprof.trace", "DEBUG"),
  route("GET", "/debug/pprof/{name}", "debug.pprof.named", "DEBUG"),
];

const GRPC_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("POST", "/grpc", "grpc", "GRPC", { hijack: "h2c", streaming: true }),
];

/** Plugin, distribution, network, debug and grpc routes in order. */
export const PLUGIN_NETWORK_ROUTES: readonly RouteSpec[] = [
  ...PLUGIN_ROUTER_ROUTES,
  ...DISTRIBUTION_ROUTER_ROUTES,
  ...NETWORK_ROUTER_ROUTES,
  ...DEBUG_ROUTER_ROUTES,
  ...GRPC_ROUTER_ROUTES,
];
