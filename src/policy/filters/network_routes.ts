/**
 * Network rules: names and drivers on create, names on connect,
 * disconnect and remove, and the proxy network's protection.
 *
 * Network name rules also apply wherever a container, build or service
 * joins a network (`NetworkMode`, `EndpointsConfig` keys and the
 * `NetworkID` the engine prefers over them, build `networkmode`, service
 * `Networks`), with the default network read as `bridge` (so an
 * `allowed_names` list that omits `bridge` refuses plain `docker run`) and
 * `none` exempt. Requests may name a network by name, ID or ID prefix; the
 * caller resolves each through the engine and the rules read the real
 * name. A reference the engine does not know is judged as written (an ID
 * then matches no name pattern).
 *
 * The proxy network cannot be removed, joined, or connected to or
 * disconnected from anything. Whether a disconnect targets the proxy
 * itself cannot be told from a name alone, so every disconnect from the
 * proxy network is denied.
 *
 * @module
 */

import { checkProxyContainerRef } from "./container_refs.ts";
import {
  allowedBy,
  asRecord,
  checkName,
  deny,
  invalid,
  listField,
  quote,
  recordField,
  stringField,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

const DEFAULT_DRIVER = "bridge";

/** Network modes the engine knows by name and never looks up. */
const BUILT_IN_NETWORK_MODES: ReadonlySet<string> = new Set([
  "",
  "default",
  "bridge",
  "host",
  "none",
]);

/**
 * The network a container joins for a `NetworkMode` or `EndpointsConfig`
 * key, or null when it joins none (`none`, `container:<ref>`).
 */
export function joinedNetwork(mode: string): string | null {
  if (mode === "none" || mode.startsWith("container:")) return null;
  return mode === "" || mode === "default" ? "bridge" : mode;
}

/**
 * Whether the engine looks `mode` up as a network (ID, name or ID prefix)
 * rather than reading it as a built-in mode. The engine also prefers an
 * endpoint's `NetworkID` over the name for such networks.
 */
export function isLookedUpNetwork(mode: string): boolean {
  return !BUILT_IN_NETWORK_MODES.has(mode) && !mode.startsWith("container:");
}

/**
 * The name of the network `ref` names: resolved through the engine when
 * the caller could, as written otherwise (an ID then matches no name).
 */
export function networkNameOf(ctx: FilterContext, ref: string): string {
  if (!isLookedUpNetwork(ref)) return ref;
  return ctx.resolveNetwork?.(ref)?.name ?? ref;
}

/**
 * Every network reference in a request that the engine will look up, so
 * the caller can resolve them before the (synchronous) filters run:
 * `NetworkMode`, `EndpointsConfig` keys and `NetworkID`s of a create (or
 * the `NetworkMode` of a legacy start), `networkmode` of a build, the
 * `EndpointConfig.NetworkID` of a connect, and the `Target`s of a service.
 */
export function collectNetworkRefs(ctx: FilterContext): string[] {
  const refs = new Set<string>();
  const body = asRecord(ctx.body);
  if (ctx.routeId === "container.create" || ctx.routeId === "container.start") {
    const hostConfig = ctx.routeId === "container.create"
      ? recordField(body, "HostConfig")
      : body;
    refs.add(stringField(hostConfig, "NetworkMode"));
    const endpoints = recordField(
      recordField(body, "NetworkingConfig"),
      "EndpointsConfig",
    );
    for (const [key, settings] of Object.entries(endpoints ?? {})) {
      refs.add(key);
      refs.add(stringField(asRecord(settings), "NetworkID"));
    }
  } else if (ctx.routeId === "build") {
    refs.add(ctx.query.get("networkmode") ?? "");
  } else if (ctx.routeId === "network.connect") {
    refs.add(stringField(recordField(body, "EndpointConfig"), "NetworkID"));
  } else if (
    ctx.routeId === "service.create" || ctx.routeId === "service.update"
  ) {
    for (const target of serviceNetworkTargets(body)) refs.add(target);
  }
  return [...refs].filter(isLookedUpNetwork);
}

/** `Target`s of a service spec's task and legacy top-level networks. */
export function serviceNetworkTargets(
  spec: Record<string, unknown> | undefined,
): string[] {
  const lists = [
    listField(recordField(spec, "TaskTemplate"), "Networks"),
    listField(spec, "Networks"),
  ];
  return lists.flat()
    .map((attachment) => stringField(asRecord(attachment), "Target"))
    .filter((target) => target !== "");
}

/** Checks a network that a request joins, connects, removes or creates. */
export function checkNetworkName(
  policy: Policy,
  field: string,
  name: string,
  action = "joins",
): FilterDenial | undefined {
  if (policy.defaults && name !== "" && name === policy.proxyNetwork) {
    return deny(
      "defaults.proxy_network",
      `${field} ${quote(name)} ${action} the proxy network`,
    );
  }
  const networks = policy.options.networks;
  return checkName(
    {
      area: "networks",
      allowed: networks.allowed_names,
      denied: networks.denied_names,
    },
    field,
    name,
  );
}

/** `POST /networks/create`. */
export function checkNetworkCreate(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const body = asRecord(ctx.body);
  if (body === undefined) return invalid("network create needs a JSON body");
  const name = stringField(body, "Name");
  const denial = checkNetworkName(policy, "Name", name, "reuses the name of");
  if (denial !== undefined) return denial;
  const driver = stringField(body, "Driver") || DEFAULT_DRIVER;
  if (!allowedBy(policy.options.networks.allowed_drivers, driver)) {
    return deny(
      "networks.allowed_drivers",
      `Driver ${quote(driver)} matches no allowed pattern`,
    );
  }
  return undefined;
}

/**
 * `POST /networks/{id}/connect`, `/disconnect` and `DELETE /networks/{id}`:
 * the network by its route variable, and for connect and disconnect the
 * container in the body.
 */
export function checkNetworkRoute(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const network = ctx.params["id"] ?? ctx.params["name"] ?? "";
  const action = ctx.routeId === "network.delete"
    ? "removes"
    : ctx.routeId === "network.connect"
    ? "connects to"
    : "disconnects from";
  const denial = checkNetworkName(policy, "network", network, action);
  if (denial !== undefined || ctx.routeId === "network.delete") return denial;
  const body = asRecord(ctx.body);
  const networkId = stringField(
    recordField(body, "EndpointConfig"),
    "NetworkID",
  );
  if (ctx.routeId === "network.connect" && networkId !== "") {
    // The engine joins this network instead of the one in the path.
    const chosen = checkNetworkName(
      policy,
      "EndpointConfig.NetworkID",
      networkNameOf(ctx, networkId),
      action,
    );
    if (chosen !== undefined) return chosen;
  }
  const container = stringField(body, "Container");
  return checkProxyContainerRef(policy, ctx, "Container", container);
}
