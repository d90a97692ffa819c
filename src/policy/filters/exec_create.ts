/**
 * `POST /containers/{name}/exec`: never into the proxy container, and with
 * `deny_privileged` never with `Privileged`, which gives the process every
 * capability inside the container's namespaces.
 *
 * @module
 */

import { checkProxyContainerRef, containerParam } from "./container_refs.ts";
import { asRecord, deny, field } from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/** `POST /containers/{name}/exec`. */
export function checkExecCreate(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const denial = checkProxyContainerRef(
    policy,
    ctx,
    "container",
    containerParam(ctx),
  );
  if (denial !== undefined) return denial;
  const privileged = field(asRecord(ctx.body), "Privileged") === true;
  if (privileged && policy.options.containers.deny_privileged) {
    return deny("containers.deny_privileged", "Privileged is true");
  }
  return undefined;
}
