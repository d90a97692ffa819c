/**
 * Routes of the engine's checkpoint and container routers, in the order the
 * engine registers them (checkpoint first, so its DELETE is not masked by
 * the container DELETE).
 */

import { defineRoute as route, type RouteSpec } from "./route_spec.ts";

/**
 * Registered on every engine; they answer only on an experimental one, but
 * their patterns still take part in matching.
 */
const CHECKPOINT_ROUTES: readonly RouteSpec[] = [
  route(
    "GET",
    "/containers/{name:.*}/checkpoints",
    "checkpoint.list",
    "CONTAINERS",
  ),
  route(
    "POST",
    "/containers/{name:.*}/checkpoints",
    "checkpoint.create",
    "CONTAINERS",
    { body: "json" },
  ),
  route(
    "DELETE",
    "/containers/{name}/checkpoints/{checkpoint}",
    "checkpoint.delete",
    "CONTAINERS",
  ),
];

/**
 * The engine names the exec id `{name:.*}` on some exec routes and
 * `{id:.*}` on others; we call it `id` everywhere, which changes nothing in
 * matching.
 */
const CONTAINER_ROUTER_ROUTES: readonly RouteSpec[] = [
  route(
    "HEAD",
    "/containers/{name:.*}/archive",
    "container.archive.head",
    "CONTAINERS",
    { action: "ALLOW_ARCHIVE" },
  ),
  route("GET", "/containers/json", "container.list", "CONTAINERS"),
  route(
    "GET",
    "/containers/{name:.*}/export",
    "container.export",
    "CONTAINERS",
    { action: "ALLOW_EXPORT", streaming: true },
  ),
  route(
    "GET",
    "/containers/{name:.*}/changes",
    "container.changes",
    "CONTAINERS",
  ),
  route("GET", "/containers/{name:.*}/json", "container.inspect", "CONTAINERS"),
  route("GET", "/containers/{name:.*}/top", "container.top", "CONTAINERS"),
  route("GET", "/containers/{name:.*}/logs", "container.logs", "CONTAINERS", {
    action: "ALLOW_LOGS",
    streaming: true,
  }),
  route("GET", "/containers/{name:.*}/stats", "container.stats", "CONTAINERS", {
    streaming: true,
  }),
  // A GET that writes to the container's stdin.
  route(
    "GET",
    "/containers/{name:.*}/attach/ws",
    "container.attach.ws",
    "CONTAINERS",
    {
      action: "ALLOW_ATTACH",
      writes: true,
      hijack: "websocket",
      streaming: true,
    },
  ),
  route("GET", "/exec/{id:.*}/json", "exec.inspect", "EXEC"),
  route(
    "GET",
    "/containers/{name:.*}/archive",
    "container.archive.get",
    "CONTAINERS",
    { action: "ALLOW_ARCHIVE", streaming: true },
  ),
  route("POST", "/containers/create", "container.create", "CONTAINERS", {
    body: "json",
  }),
  route("POST", "/containers/{name:.*}/kill", "container.kill", "CONTAINERS", {
    action: "ALLOW_KILL",
  }),
  route(
    "POST",
    "/containers/{name:.*}/pause",
    "container.pause",
    "CONTAINERS",
    { action: "ALLOW_PAUSE" },
  ),
  route(
    "POST",
    "/containers/{name:.*}/unpause",
    "container.unpause",
    "CONTAINERS",
    { action: "ALLOW_UNPAUSE" },
  ),
  route(
    "POST",
    "/containers/{name:.*}/restart",
    "container.restart",
    "CONTAINERS",
    { action: "ALLOW_RESTARTS" },
  ),
  // The engine ignores a body of up to 7 bytes ("{}" from older clients)
  // and refuses anything longer.
  route(
    "POST",
    "/containers/{name:.*}/start",
    "container.start",
    "CONTAINERS",
    { action: "ALLOW_START", body: "json" },
  ),
  route("POST", "/containers/{name:.*}/stop", "container.stop", "CONTAINERS", {
    action: "ALLOW_STOP",
  }),
  route("POST", "/containers/{name:.*}/wait", "container.wait", "CONTAINERS", {
    streaming: true,
  }),
  route(
    "POST",
    "/containers/{name:.*}/resize",
    "container.resize",
    "CONTAINERS",
  ),
  route(
    "POST",
    "/containers/{name:.*}/attach",
    "container.attach",
    "CONTAINERS",
    { action: "ALLOW_ATTACH", hijack: "tcp", streaming: true },
  ),
  // Exec create: Tecnativa files it under CONTAINERS; it prepares a process
  // inside the container, so it belongs with the other exec routes.
  route("POST", "/containers/{name:.*}/exec", "exec.create", "EXEC", {
    body: "json",
  }),
  route("POST", "/exec/{id:.*}/start", "exec.start", "EXEC", {
    body: "json",
    hijack: "tcp",
    streaming: true,
  }),
  route("POST", "/exec/{id:.*}/resize", "exec.resize", "EXEC"),
  route(
    "POST",
    "/containers/{name:.*}/rename",
    "container.rename",
    "CONTAINERS",
  ),
  route(
    "POST",
    "/containers/{name:.*}/update",
    "container.update",
    "CONTAINERS",
    { body: "json" },
  ),
  route("POST", "/containers/prune", "container.prune", "CONTAINERS"),
  route("POST", "/commit", "container.commit", "COMMIT", { body: "json" }),
  route(
    "PUT",
    "/containers/{name:.*}/archive",
    "container.archive.put",
    "CONTAINERS",
    { action: "ALLOW_ARCHIVE", body: "stream" },
  ),
  route("DELETE", "/containers/{name:.*}", "container.delete", "CONTAINERS"),
];

/** Checkpoint and container routes in engine registration order. */
export const CONTAINER_ROUTES: readonly RouteSpec[] = [
  ...CHECKPOINT_ROUTES,
  ...CONTAINER_ROUTER_ROUTES,
];
