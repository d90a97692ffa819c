/**
 * `POST /commit`: the container comes from `?container=` and may not be
 * the proxy; `repo` and `tag` name the image it writes, which image rules
 * check like any tag (`latest` when `tag` is empty, a digest refused).
 *
 * @module
 */

import { checkProxyContainerRef } from "./container_refs.ts";
import { checkRepoTag } from "./image_policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/** `POST /commit`. */
export function checkCommit(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const container = ctx.query.get("container") ?? "";
  return checkProxyContainerRef(
    policy,
    ctx,
    'query "container"',
    container,
  ) ??
    checkRepoTag(
      policy,
      'query "repo"',
      ctx.query.get("repo") ?? "",
      ctx.query.get("tag") ?? "",
    );
}
