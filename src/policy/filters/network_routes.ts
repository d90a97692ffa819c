/**
 * Network rules: names and drivers on create, names on connect,
 * disconnect and remove, and the proxy network's protection.
 *
 * Network name rules also apply wherever a container or service joins a
 * network (`NetworkMode`, `EndpointsConfig` keys, service `Networks`), with
 * the default network read as `bridge` (so an `allowed_names` list that
 * omits `bridge` refuses plain `docker run`) and `none` exempt. Routes
 * name networks by name or ID; an ID matches no name pattern, so with
 * `allowed_names` set, networks must be named.
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
  quote,
  stringField,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

const DEFAULT_DRIVER = "bridge";

/**
 * The network a container joins for a `NetworkMode` or `EndpointsConfig`
 * key, or null when it joins none (`none`, `container:<ref>`).
 */
export function joinedNetwork(mode: string): string | null {
  if (mode === "none" || mode.startsWith("container:")) return null;
  return mode === "" || mode === "default" ? "bridge" : mode;
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
  const container = stringField(asRecord(ctx.body), "Container");
  return checkProxyContainerRef(policy, ctx, "Container", container);
}
