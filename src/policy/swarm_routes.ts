/**
 * Routes of the engine's swarm router, in registration order. Swarm object
 * ids are `{id}`, one path segment, unlike the `{name:.*}` of containers.
 */

import { defineRoute as route, type RouteSpec } from "./route_spec.ts";

/** Swarm, service, node, task, secret and config routes. */
export const SWARM_ROUTES: readonly RouteSpec[] = [
  route("POST", "/swarm/init", "swarm.init", "SWARM", { body: "json" }),
  route("POST", "/swarm/join", "swarm.join", "SWARM", { body: "json" }),
  route("POST", "/swarm/leave", "swarm.leave", "SWARM"),
  // The answer holds the worker and manager join tokens.
  route("GET", "/swarm", "swarm.inspect", "SWARM"),
  route("GET", "/swarm/unlockkey", "swarm.unlockkey", "SWARM"),
  route("POST", "/swarm/update", "swarm.update", "SWARM", { body: "json" }),
  route("POST", "/swarm/unlock", "swarm.unlock", "SWARM", { body: "json" }),

  route("GET", "/services", "service.list", "SERVICES"),
  route("GET", "/services/{id}", "service.inspect", "SERVICES"),
  route("POST", "/services/create", "service.create", "SERVICES", {
    body: "json",
  }),
  route("POST", "/services/{id}/update", "service.update", "SERVICES", {
    body: "json",
  }),
  route("DELETE", "/services/{id}", "service.delete", "SERVICES"),
  route("GET", "/services/{id}/logs", "service.logs", "SERVICES", {
    streaming: true,
  }),

  route("GET", "/nodes", "node.list", "NODES"),
  route("GET", "/nodes/{id}", "node.inspect", "NODES"),
  route("DELETE", "/nodes/{id}", "node.delete", "NODES"),
  route("POST", "/nodes/{id}/update", "node.update", "NODES", {
    body: "json",
  }),

  route("GET", "/tasks", "task.list", "TASKS"),
  route("GET", "/tasks/{id}", "task.inspect", "TASKS"),
  route("GET", "/tasks/{id}/logs", "task.logs", "TASKS", { streaming: true }),

  route("GET", "/secrets", "secret.list", "SECRETS"),
  route("POST", "/secrets/create", "secret.create", "SECRETS", {
    body: "json",
  }),
  route("DELETE", "/secrets/{id}", "secret.delete", "SECRETS"),
  route("GET", "/secrets/{id}", "secret.inspect", "SECRETS"),
  route("POST", "/secrets/{id}/update", "secret.update", "SECRETS", {
    body: "json",
  }),

  route("GET", "/configs", "config.list", "CONFIGS"),
  route("POST", "/configs/create", "config.create", "CONFIGS", {
    body: "json",
  }),
  route("DELETE", "/configs/{id}", "config.delete", "CONFIGS"),
  route("GET", "/configs/{id}", "config.inspect", "CONFIGS"),
  route("POST", "/configs/{id}/update", "config.update", "CONFIGS", {
    body: "json",
  }),
];
