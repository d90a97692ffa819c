/**
 * The deep request filters: one entry point that reads what a request
 * would make the engine do and answers allow, or deny with the rule and
 * reason. Filters only narrow what the endpoint ACL allows.
 *
 * @module
 */

import { checkBuild } from "./build.ts";
import { checkCommit } from "./commit.ts";
import {
  checkContainerCreate,
  checkContainerName,
  checkLegacyStart,
} from "./container_create.ts";
import { checkContainerRoute } from "./container_refs.ts";
import { checkExecCreate } from "./exec_create.ts";
import { BodyError } from "./go_json.ts";
import {
  checkImageCreate,
  checkImageLoad,
  checkImagePush,
  checkImageTag,
} from "./image_routes.ts";
import { checkNetworkCreate, checkNetworkRoute } from "./network_routes.ts";
import { compilePolicy, invalid } from "./policy.ts";
import type { Policy } from "./policy.ts";
import { checkServiceSpec } from "./service_spec.ts";
import type {
  FilterContext,
  FilterDenial,
  FilterOptions,
  FilterVerdict,
  RequestFilter,
} from "./types.ts";
import { checkVolumeCreate, checkVolumeRoute } from "./volume_routes.ts";

type RouteCheck = (
  policy: Policy,
  ctx: FilterContext,
) => FilterDenial | undefined;

function checkRename(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  return checkContainerRoute(policy, ctx) ??
    checkContainerName(policy, ctx.query.get("name") ?? "");
}

function checkStart(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  return checkContainerRoute(policy, ctx) ?? checkLegacyStart(policy, ctx);
}

/** Route id to its checks; routes not listed pass the filters untouched. */
const ROUTE_CHECKS: ReadonlyMap<string, RouteCheck> = new Map([
  ["container.create", checkContainerCreate],
  ["container.start", checkStart],
  ["container.rename", checkRename],
  ["container.stop", checkContainerRoute],
  ["container.kill", checkContainerRoute],
  ["container.restart", checkContainerRoute],
  ["container.pause", checkContainerRoute],
  ["container.unpause", checkContainerRoute],
  ["container.update", checkContainerRoute],
  ["container.delete", checkContainerRoute],
  ["container.attach", checkContainerRoute],
  ["container.attach.ws", checkContainerRoute],
  ["container.archive.get", checkContainerRoute],
  ["container.archive.head", checkContainerRoute],
  ["container.archive.put", checkContainerRoute],
  ["container.export", checkContainerRoute],
  ["checkpoint.create", checkContainerRoute],
  ["checkpoint.delete", checkContainerRoute],
  ["container.commit", checkCommit],
  ["exec.create", checkExecCreate],
  ["image.create", checkImageCreate],
  ["image.tag", checkImageTag],
  ["image.push", checkImagePush],
  ["image.load", checkImageLoad],
  ["build", checkBuild],
  ["volume.create", checkVolumeCreate],
  ["volume.update", checkVolumeRoute],
  ["volume.delete", checkVolumeRoute],
  ["network.create", checkNetworkCreate],
  ["network.connect", checkNetworkRoute],
  ["network.disconnect", checkNetworkRoute],
  ["network.delete", checkNetworkRoute],
  ["service.create", checkServiceSpec],
  ["service.update", checkServiceSpec],
]);

/**
 * Route ids the filters act on. Each must exist in the route table, or
 * its checks silently never run; a test should compare the two.
 */
export const FILTERED_ROUTE_IDS: readonly string[] = [...ROUTE_CHECKS.keys()];

const ALLOWED: FilterVerdict = { allowed: true };

/**
 * Compiles the filter options once and returns the per-request check.
 * Every denial names its rule (`"containers.deny_privileged"`) and a
 * reason that quotes the field and value.
 *
 * @throws {TypeError} when the options cannot be used (see `compilePolicy`)
 *
 * @example
 * ```ts
 * const inspectRequest = createRequestFilters(options);
 * const verdict = inspectRequest({
 *   routeId: "container.create",
 *   params: {},
 *   query: parseGoQuery(""),
 *   body: { Image: "tiny:1", HostConfig: { Privileged: true } },
 *   apiVersion: "1.41",
 * });
 * // { allowed: false, status: 403, rule: "containers.deny_privileged", ... }
 * ```
 */
export function createRequestFilters(options: FilterOptions): RequestFilter {
  const policy = compilePolicy(options);
  return function inspectRequest(ctx: FilterContext): FilterVerdict {
    const check = ROUTE_CHECKS.get(ctx.routeId);
    if (check === undefined) return ALLOWED;
    try {
      return check(policy, ctx) ?? ALLOWED;
    } catch (error) {
      // A body the lead did not canonicalise can still trip a type check.
      if (error instanceof BodyError || error instanceof RangeError) {
        return invalid(error.message);
      }
      throw error;
    }
  };
}
