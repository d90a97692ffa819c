/**
 * Rewrites an allowed request so that every container and network it
 * names goes upstream as the full ID dockgate resolved and checked.
 *
 * Names and ID prefixes are looked up again by the engine, and sometimes
 * much later (a network named at create is looked up at start). Between
 * our lookup and the engine's, a rename or a removed network can make the
 * same string name the proxy container or the proxy network. A full ID is
 * matched first and never changes, so pinning closes that gap.
 *
 * @module
 */

import {
  JOIN_MODE_FIELDS,
  joinedContainer,
  volumesFromContainer,
} from "./container_refs.ts";
import { defineEntry } from "./go_json.ts";
import { isLookedUpNetwork, serviceNetworkTargets } from "./network_routes.ts";
import { asRecord, listField, recordField, stringField } from "./policy.ts";
import { percentDecode } from "../percent_decode.ts";
import type { ResolvedContainer, ResolvedNetwork } from "./types.ts";

/** The lookups the caller made before the filters ran. */
export interface PinResolvers {
  container(ref: string): ResolvedContainer | undefined;
  network(ref: string): ResolvedNetwork | undefined;
}

/** What changed; an absent part is forwarded as it was. */
export interface PinnedParts {
  /** The new JSON body (a copy; the input is not modified). */
  body?: unknown;
  /** The new raw query string. */
  rawQuery?: string;
}

const CONTAINER_JOIN_PREFIX = "container:";

/**
 * Returns the parts of an allowed request to forward instead, with every
 * resolved reference replaced by its full ID: `?container=` of commit,
 * `?networkmode=` of a build, the `Container` of a network connect or
 * disconnect, the network a connect joins (as `EndpointConfig.NetworkID`),
 * `container:<ref>` modes and `VolumesFrom` of a create or legacy start,
 * the networks a create joins (pinned through each endpoint's
 * `NetworkID`, which the engine prefers over the name), and the network
 * `Target`s of a service. Unresolved references stay as sent. `params`
 * are the route's, with the route's network as the caller resolved it.
 *
 * @example
 * ```ts
 * pinReferences("container.commit", {}, undefined, "container=web&repo=x", {
 *   container: () => ({ id: "3f57…", name: "/web" }),
 *   network: () => undefined,
 * });
 * // { rawQuery: "container=3f57…&repo=x" }
 * ```
 */
export function pinReferences(
  routeId: string,
  params: Readonly<Record<string, string>>,
  body: unknown,
  rawQuery: string,
  resolve: PinResolvers,
): PinnedParts {
  switch (routeId) {
    case "container.commit":
      return pinQueryValue(
        rawQuery,
        "container",
        (ref) => resolve.container(ref)?.id,
      );
    case "build":
      return pinBuildNetworkMode(rawQuery, resolve);
    case "network.connect":
    case "network.disconnect":
      return pinConnectBody(routeId, params["id"] ?? "", body, resolve);
    case "container.create":
      return pinCreateBody(body, resolve);
    case "container.start":
      return pinLegacyStartBody(body, resolve);
    case "service.create":
    case "service.update":
      return pinServiceBody(body, resolve);
    default:
      return {};
  }
}

/**
 * `rawQuery` with the first value of `key` replaced by `pinned(value)`
 * and later values of `key` dropped (the engine reads the first only).
 */
function pinQueryValue(
  rawQuery: string,
  key: string,
  pinned: (value: string) => string | undefined,
): PinnedParts {
  const pairs = rawQuery.split("&").filter((pair) => pair !== "");
  const at = pairs.findIndex((pair) => queryKey(pair) === key);
  const pair = pairs[at];
  if (pair === undefined) return {};
  const equals = pair.indexOf("=");
  const value = equals < 0
    ? ""
    : percentDecode(pair.slice(equals + 1), { plusAsSpace: true });
  const replacement = pinned(value);
  if (replacement === undefined) return {};
  const kept = pairs.flatMap((item, index) => {
    if (index === at) {
      return [`${encodeURIComponent(key)}=${encodeURIComponent(replacement)}`];
    }
    return queryKey(item) === key ? [] : [item];
  });
  return { rawQuery: kept.join("&") };
}

function pinBuildNetworkMode(
  rawQuery: string,
  resolve: PinResolvers,
): PinnedParts {
  return pinQueryValue(rawQuery, "networkmode", (mode) => {
    const ref = joinedContainer(mode);
    if (ref !== null) {
      const container = resolve.container(ref);
      return container && CONTAINER_JOIN_PREFIX + container.id;
    }
    return isLookedUpNetwork(mode) ? resolve.network(mode)?.id : undefined;
  });
}

function queryKey(pair: string): string {
  const equals = pair.indexOf("=");
  const rawKey = equals < 0 ? pair : pair.slice(0, equals);
  return percentDecode(rawKey, { plusAsSpace: true });
}

function pinConnectBody(
  routeId: string,
  route: string,
  body: unknown,
  resolve: PinResolvers,
): PinnedParts {
  const copy = cloneRecord(body);
  if (copy === undefined) return {};
  const container = resolve.container(stringField(copy, "Container"));
  if (container !== undefined) copy["Container"] = container.id;
  if (routeId === "network.connect") {
    // A stopped container keeps the network's name and looks it up again
    // at start unless the endpoint carries the ID; a NetworkID the client
    // sent is the network the engine joins instead of the route's.
    const endpoint = cloneRecord(recordField(copy, "EndpointConfig")) ?? {};
    const network = resolve.network(
      stringField(endpoint, "NetworkID") || route,
    );
    if (network !== undefined) {
      endpoint["NetworkID"] = network.id;
      copy["EndpointConfig"] = endpoint;
    }
  }
  return { body: copy };
}

function pinCreateBody(body: unknown, resolve: PinResolvers): PinnedParts {
  const copy = cloneRecord(body);
  if (copy === undefined) return {};
  const hostConfig = cloneRecord(recordField(copy, "HostConfig"));
  if (hostConfig !== undefined) {
    pinContainerJoins(hostConfig, resolve);
    copy["HostConfig"] = hostConfig;
  }
  const networking = cloneRecord(recordField(copy, "NetworkingConfig")) ??
    {};
  const endpoints = cloneRecord(recordField(networking, "EndpointsConfig")) ??
    {};
  const mode = stringField(hostConfig, "NetworkMode");
  if (
    Object.keys(endpoints).length === 0 && isLookedUpNetwork(mode) &&
    resolve.network(mode) !== undefined
  ) {
    // The engine keeps the name and looks it up again at every start; an
    // endpoint with the network's ID makes it use the ID instead.
    defineEntry(endpoints, mode, {});
  }
  for (const [key, settings] of Object.entries(endpoints)) {
    // The engine prefers NetworkID for any key that is not a built-in
    // mode, and "" is not one to it.
    if (key !== "" && !isLookedUpNetwork(key)) continue;
    const endpoint = cloneRecord(settings) ?? {};
    const ref = stringField(endpoint, "NetworkID") || key;
    const network = resolve.network(ref);
    if (network === undefined) continue;
    endpoint["NetworkID"] = network.id;
    defineEntry(endpoints, key, endpoint);
  }
  if (Object.keys(endpoints).length > 0) {
    networking["EndpointsConfig"] = endpoints;
    copy["NetworkingConfig"] = networking;
  }
  return { body: copy };
}

function pinLegacyStartBody(
  body: unknown,
  resolve: PinResolvers,
): PinnedParts {
  const copy = cloneRecord(body);
  if (copy === undefined) return {};
  pinContainerJoins(copy, resolve);
  const mode = stringField(copy, "NetworkMode");
  const network = isLookedUpNetwork(mode) ? resolve.network(mode) : undefined;
  if (network !== undefined) copy["NetworkMode"] = network.id;
  return { body: copy };
}

function pinServiceBody(body: unknown, resolve: PinResolvers): PinnedParts {
  const copy = cloneRecord(body);
  if (copy === undefined || serviceNetworkTargets(copy).length === 0) {
    return {};
  }
  const task = cloneRecord(recordField(copy, "TaskTemplate"));
  if (task !== undefined) {
    task["Networks"] = pinTargets(listField(task, "Networks"), resolve);
    copy["TaskTemplate"] = task;
  }
  if (listField(copy, "Networks").length > 0) {
    copy["Networks"] = pinTargets(listField(copy, "Networks"), resolve);
  }
  return { body: copy };
}

function pinTargets(
  attachments: readonly unknown[],
  resolve: PinResolvers,
): unknown[] {
  return attachments.map((item) => {
    const attachment = cloneRecord(item);
    if (attachment === undefined) return item;
    const network = resolve.network(stringField(attachment, "Target"));
    if (network !== undefined) attachment["Target"] = network.id;
    return attachment;
  });
}

/** Pins `container:<ref>` modes and `VolumesFrom` of a HostConfig in place. */
function pinContainerJoins(
  hostConfig: Record<string, unknown>,
  resolve: PinResolvers,
): void {
  for (const key of JOIN_MODE_FIELDS) {
    const ref = joinedContainer(stringField(hostConfig, key));
    const resolved = ref === null ? undefined : resolve.container(ref);
    if (resolved !== undefined) {
      hostConfig[key] = CONTAINER_JOIN_PREFIX + resolved.id;
    }
  }
  const volumesFrom = listField(hostConfig, "VolumesFrom");
  if (volumesFrom.length === 0) return;
  hostConfig["VolumesFrom"] = volumesFrom.map((entry) => {
    if (typeof entry !== "string") return entry;
    const ref = volumesFromContainer(entry);
    const resolved = resolve.container(ref);
    return resolved === undefined
      ? entry
      : resolved.id + entry.slice(ref.length);
  });
}

/** A shallow copy of a JSON object, or undefined for anything else. */
function cloneRecord(value: unknown): Record<string, unknown> | undefined {
  const record = asRecord(value);
  if (record === undefined) return undefined;
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(record)) {
    defineEntry(copy, key, item);
  }
  return copy;
}
