/**
 * `POST /build`: options are all in the query string (form bodies are
 * refused before the filters run).
 *
 * - Every `t` names an image the build writes; image rules check each one.
 * - `outputs` (BuildKit exporters) can also name images; with image rules
 *   set, any non-empty `outputs` is denied, as its names are not read here.
 * - `networkmode=host` or `container:<ref>` runs build steps in that
 *   network namespace: denied by `deny_host_network`, and a join of the
 *   proxy container always. A network name (or ID, resolved through the
 *   engine) gets the network rules, the proxy network's included.
 * - `cgroupparent` places build containers in any cgroup: denied by
 *   `deny_privileged`.
 *
 * - `version=2` asks for BuildKit, whose Dockerfile syntax can request
 *   host networking and devices per step (`RUN --network=host`), which the
 *   engine grants by default and the proxy cannot see: denied by
 *   `deny_host_network` and by `deny_privileged`. The classic builder
 *   (`DOCKER_BUILDKIT=0`) is filtered.
 *
 * `FROM` lines and `remote=` contexts are not visible to the filters.
 *
 * @module
 */

import { checkProxyContainerRef, joinedContainer } from "./container_refs.ts";
import { checkRepoTag, imageNameRuleInForce } from "./image_policy.ts";
import {
  checkNetworkName,
  isLookedUpNetwork,
  networkNameOf,
} from "./network_routes.ts";
import { deny, quote } from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

const EMPTY_OUTPUTS = new Set(["", "[]", "null"]);

/** `POST /build`. */
export function checkBuild(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const containers = policy.options.containers;
  if ((ctx.query.get("version") ?? "").trim() === "2") {
    const rule = containers.deny_host_network
      ? "containers.deny_host_network"
      : containers.deny_privileged
      ? "containers.deny_privileged"
      : null;
    if (rule !== null) {
      return deny(
        rule,
        "BuildKit builds (version=2) can ask for host networking and " +
          "devices from inside the Dockerfile, which dockgate cannot " +
          "inspect; build with DOCKER_BUILDKIT=0",
      );
    }
  }
  const networkMode = ctx.query.get("networkmode") ?? "";
  const where = 'query "networkmode"';
  const joined = joinedContainer(networkMode);
  const network = isLookedUpNetwork(networkMode)
    ? networkNameOf(ctx, networkMode)
    : networkMode;
  if (
    containers.deny_host_network && (network === "host" || joined !== null)
  ) {
    return deny(
      "containers.deny_host_network",
      `${where} is ${quote(networkMode)}`,
    );
  }
  // Build steps run in containers that join this network or container
  // namespace, so the rules for joining them apply.
  const joins = joined !== null
    ? checkProxyContainerRef(policy, ctx, `${where} joins`, joined)
    : isLookedUpNetwork(networkMode)
    ? checkNetworkName(policy, where, network)
    : undefined;
  if (joins !== undefined) return joins;
  const cgroupParent = ctx.query.get("cgroupparent") ?? "";
  if (containers.deny_privileged && cgroupParent !== "") {
    return deny(
      "containers.deny_privileged",
      `query "cgroupparent" is ${quote(cgroupParent)}`,
    );
  }
  for (const [index, name] of ctx.query.getAll("t").entries()) {
    const denial = checkRepoTag(policy, `query "t" #${index + 1}`, name, "");
    if (denial !== undefined) return denial;
  }
  const outputs = (ctx.query.get("outputs") ?? "").trim();
  const rule = imageNameRuleInForce(policy);
  if (rule !== null && !EMPTY_OUTPUTS.has(outputs)) {
    return deny(
      rule,
      `query "outputs" ${quote(outputs)} may name images, which image ` +
        "rules cannot check",
    );
  }
  return undefined;
}
