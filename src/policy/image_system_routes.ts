/**
 * Routes of the engine's image, system, volume, build and session routers,
 * in the order the engine registers them.
 */

import { defineRoute as route, type RouteSpec } from "./route_spec.ts";

const IMAGE_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/images/json", "image.list", "IMAGES"),
  route("GET", "/images/search", "image.search", "IMAGES"),
  route("GET", "/images/get", "image.export", "IMAGES", { streaming: true }),
  route("GET", "/images/{name:.*}/get", "image.export.one", "IMAGES", {
    streaming: true,
  }),
  route("GET", "/images/{name:.*}/history", "image.history", "IMAGES"),
  route("GET", "/images/{name:.*}/json", "image.inspect", "IMAGES"),
  route(
    "GET",
    "/images/{name:.*}/attestations",
    "image.attestations",
    "IMAGES",
  ),
  route("POST", "/images/load", "image.load", "IMAGES", {
    body: "stream",
    streaming: true,
  }),
  // Pull (no body) or import (the body is the tarball when fromSrc=-).
  route("POST", "/images/create", "image.create", "IMAGES", {
    body: "stream",
    streaming: true,
  }),
  route("POST", "/images/{name:.*}/push", "image.push", "IMAGES", {
    streaming: true,
  }),
  route("POST", "/images/{name:.*}/tag", "image.tag", "IMAGES"),
  route("POST", "/images/prune", "image.prune", "IMAGES"),
  route("DELETE", "/images/{name:.*}", "image.delete", "IMAGES"),
];

/** The engine's `OPTIONS /{anyroute:.*}` is left out on purpose: denied. */
const SYSTEM_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/_ping", "system.ping", "PING"),
  route("HEAD", "/_ping", "system.ping.head", "PING"),
  route("GET", "/events", "system.events", "EVENTS", { streaming: true }),
  route("GET", "/info", "system.info", "INFO"),
  route("GET", "/version", "system.version", "VERSION"),
  route("GET", "/system/df", "system.df", "SYSTEM"),
  route("POST", "/auth", "system.auth", "AUTH", { body: "json" }),
];

const VOLUME_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("GET", "/volumes", "volume.list", "VOLUMES"),
  route("GET", "/volumes/{name:.*}", "volume.inspect", "VOLUMES"),
  route("POST", "/volumes/create", "volume.create", "VOLUMES", {
    body: "json",
  }),
  route("POST", "/volumes/prune", "volume.prune", "VOLUMES"),
  route("PUT", "/volumes/{name:.*}", "volume.update", "VOLUMES", {
    body: "json",
  }),
  route("DELETE", "/volumes/{name:.*}", "volume.delete", "VOLUMES"),
];

const BUILD_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("POST", "/build", "build", "BUILD", {
    body: "stream",
    streaming: true,
  }),
  route("POST", "/build/prune", "build.prune", "BUILD"),
  route("POST", "/build/cancel", "build.cancel", "BUILD"),
];

const SESSION_ROUTER_ROUTES: readonly RouteSpec[] = [
  route("POST", "/session", "session", "SESSION", {
    hijack: "h2c",
    streaming: true,
  }),
];

/** Image, system, volume, build and session routes in registration order. */
export const IMAGE_SYSTEM_ROUTES: readonly RouteSpec[] = [
  ...IMAGE_ROUTER_ROUTES,
  ...SYSTEM_ROUTER_ROUTES,
  ...VOLUME_ROUTER_ROUTES,
  ...BUILD_ROUTER_ROUTES,
  ...SESSION_ROUTER_ROUTES,
];
