/**
 * Image routes that name images in their query or path: pull and import
 * (`POST /images/create`), tag, push, and load. See `image_policy.ts` for
 * how names are matched.
 *
 * `POST /images/load` sets whatever tags the tarball's manifest lists, with
 * no name in the request, so it is allowed or denied as a whole by
 * `images.allow_load`.
 *
 * @module
 */

import {
  checkImageRules,
  checkRepoTag,
  imageNameRuleInForce,
} from "./image_policy.ts";
import {
  type ImageReference,
  parseDigest,
  parseImageReference,
  withDigestOnly,
  withTag,
} from "./image_reference.ts";
import { deny, invalid, quote } from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/**
 * `POST /images/create`: a pull when `fromImage` is set, otherwise an
 * import named by `repo` + `tag`. A pull strips one trailing ":" from
 * `fromImage`; a `tag` that is a digest replaces tag and digest, any other
 * `tag` replaces the tag; with neither, the engine pulls every tag.
 */
export function checkImageCreate(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const fromImage = ctx.query.get("fromImage") ?? "";
  const tag = ctx.query.get("tag") ?? "";
  if (fromImage === "") {
    return checkRepoTag(
      policy,
      'query "repo"',
      ctx.query.get("repo") ?? "",
      tag,
    );
  }
  const name = fromImage.endsWith(":") ? fromImage.slice(0, -1) : fromImage;
  let ref: ImageReference;
  try {
    ref = parseImageReference(name);
    if (tag !== "") {
      const digest = parseDigest(tag);
      ref = digest === null ? withTag(ref, tag) : withDigestOnly(ref, digest);
    }
  } catch (error) {
    return invalid(
      `query "fromImage" ${quote(fromImage)}: ${(error as Error).message}`,
    );
  }
  return checkImageRules(policy, 'query "fromImage"', ref);
}

/** `POST /images/{name}/tag`: the new name is `repo` + `tag`. */
export function checkImageTag(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  return checkRepoTag(
    policy,
    'query "repo"',
    ctx.query.get("repo") ?? "",
    ctx.query.get("tag") ?? "",
  );
}

/**
 * `POST /images/{name}/push`: the pushed name is `{name}` with `tag`
 * replacing its tag; with no tag at all, every tag of the repository is
 * pushed.
 */
export function checkImagePush(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const name = ctx.params["name"] ?? "";
  const tag = ctx.query.get("tag") ?? "";
  let ref: ImageReference;
  try {
    ref = parseImageReference(name);
    if (tag !== "") ref = withTag(ref, tag);
  } catch (error) {
    return invalid(`image ${quote(name)}: ${(error as Error).message}`);
  }
  return checkImageRules(policy, "image", ref);
}

/** `POST /images/load`. */
export function checkImageLoad(
  policy: Policy,
  _ctx: FilterContext,
): FilterDenial | undefined {
  const allowLoad = policy.options.images.allow_load;
  const containers = policy.options.containers;
  const nameRule = imageNameRuleInForce(policy) ??
    (containers.allowed_images.length > 0
      ? "containers.allowed_images"
      : containers.denied_images.length > 0
      ? "containers.denied_images"
      : null);
  if (allowLoad === true || (allowLoad === null && nameRule === null)) {
    return undefined;
  }
  return deny(
    "images.allow_load",
    allowLoad === false
      ? "loading image tarballs is turned off"
      : `loading a tarball sets tags that ${nameRule} cannot check (set images.allow_load to allow it)`,
  );
}
