/**
 * Image rules, applied to every reference a request names.
 *
 * - `images.allowed_repos` / `denied_repos` match the normalised repository
 *   `domain/path` only (`ubuntu` is `docker.io/library/ubuntu`), never the
 *   familiar form, so `^docker\.io/library/.*` works as written.
 * - `images.allowed_tags` / `denied_tags` match the tag, including the
 *   implicit `latest` the engine adds when there is neither tag nor digest.
 *   A reference pinned by digest alone has no tag and skips tag rules; a
 *   pull or push with no tag and no digest acts on every tag of the
 *   repository, so any tag rule denies it.
 * - `containers.allowed_images` / `denied_images` (images a container or
 *   service runs) match `domain/path:tag`, and when the reference carries
 *   a digest also `domain/path:tag@digest` (or `domain/path@digest` when it
 *   has no tag): an allow pattern may match either form, a deny pattern
 *   denies on either.
 *
 * Where the engine looks the image up locally (container create, `image`
 * mounts), a string of hex digits may be an image ID or ID prefix rather
 * than a name. Names cannot be checked for it, so it passes only an
 * allowed_images pattern that matches it as written, and is denied by any
 * repository rule or deny pattern. The engine reads such a string as a
 * name first (`beef` is `beef:latest` when that exists), so short hex must
 * also pass the name rules: with a tag rule that refuses `latest`, run an
 * image by ID as `sha256:<id>`.
 *
 * @module
 */

import {
  formatReference,
  type ImageReference,
  parseImageReference,
  withDefaultTag,
  withTag,
} from "./image_reference.ts";
import { allowedBy, deny, firstMatch, invalid, quote } from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterDenial } from "./types.ts";

/** Checks an image reference found at `field`. */
export type ImageCheck = (
  field: string,
  input: string,
) => FilterDenial | undefined;

/** `sha256:` plus hex, or hex alone: what the engine may read as an ID. */
const POSSIBLE_IMAGE_ID_REGEXP = /^(?:sha256:)?[a-f0-9]{1,64}$/;

/**
 * Hex that is also a valid image name: shorter than a full ID (64 hex
 * digits are never a name) and without `sha256:` (the engine refuses to
 * tag the repository `sha256`).
 */
const HEX_NAME_REGEXP = /^[a-f0-9]{1,63}$/;

/** Whether any images.* repository or tag rule is set. */
function hasRepoTagRules(policy: Policy): boolean {
  return imageNameRuleInForce(policy) !== null;
}

/**
 * Checks a reference against `images.*` rules. Pass the reference as the
 * engine will use it: with the default tag added where the engine adds one,
 * without it where no tag means every tag.
 */
export function checkImageRules(
  policy: Policy,
  field: string,
  ref: ImageReference,
): FilterDenial | undefined {
  const images = policy.options.images;
  const shown = quote(formatReference(ref));
  const deniedRepo = firstMatch(images.denied_repos, ref.name);
  if (deniedRepo !== undefined) {
    return deny(
      "images.denied_repos",
      `${field} names ${shown} whose repository matches denied pattern ${
        quote(deniedRepo.source)
      }`,
    );
  }
  if (!allowedBy(images.allowed_repos, ref.name)) {
    return deny(
      "images.allowed_repos",
      `${field} names ${shown} whose repository ${
        quote(ref.name)
      } matches no allowed pattern`,
    );
  }
  if (ref.tag === null) {
    if (ref.digest !== null) return undefined;
    const rule = images.allowed_tags.length > 0
      ? "images.allowed_tags"
      : images.denied_tags.length > 0
      ? "images.denied_tags"
      : null;
    if (rule === null) return undefined;
    return deny(
      rule,
      `${field} names ${shown} with no tag or digest, which acts on every ` +
        "tag of the repository",
    );
  }
  const deniedTag = firstMatch(images.denied_tags, ref.tag);
  if (deniedTag !== undefined) {
    return deny(
      "images.denied_tags",
      `${field} names ${shown} whose tag ${
        quote(ref.tag)
      } matches denied pattern ${quote(deniedTag.source)}`,
    );
  }
  if (!allowedBy(images.allowed_tags, ref.tag)) {
    return deny(
      "images.allowed_tags",
      `${field} names ${shown} whose tag ${
        quote(ref.tag)
      } matches no allowed pattern`,
    );
  }
  return undefined;
}

/**
 * Checks an image that a container or service will run: `containers.*`
 * image patterns, then `images.*` rules. `resolvesLocally` is true where
 * the engine may read hex as an image ID.
 */
export function checkRunImage(
  policy: Policy,
  field: string,
  input: string,
  resolvesLocally: boolean,
): FilterDenial | undefined {
  const containers = policy.options.containers;
  if (
    containers.allowed_images.length === 0 &&
    containers.denied_images.length === 0 && !hasRepoTagRules(policy)
  ) {
    return undefined;
  }
  if (input === "") {
    return invalid(`${field} is empty, so image rules cannot be checked`);
  }
  if (resolvesLocally && POSSIBLE_IMAGE_ID_REGEXP.test(input)) {
    const denial = checkImageId(policy, field, input);
    // The engine tries hex as a name (`beef` is `beef:latest`) before it
    // tries it as an ID, so where it can be a name, name rules apply too.
    if (denial !== undefined || !HEX_NAME_REGEXP.test(input)) return denial;
  }
  let ref: ImageReference;
  try {
    ref = withDefaultTag(parseImageReference(input));
  } catch (error) {
    return invalid(`${field} ${quote(input)}: ${(error as Error).message}`);
  }
  const forms = [formatReference(ref)];
  if (ref.digest !== null && ref.tag !== null) {
    forms.push(formatReference({ ...ref, digest: null }));
  }
  for (const form of forms) {
    const hit = firstMatch(containers.denied_images, form);
    if (hit !== undefined) {
      return deny(
        "containers.denied_images",
        `${field} ${quote(input)} is ${quote(form)} which matches denied ` +
          `pattern ${quote(hit.source)}`,
      );
    }
  }
  if (
    containers.allowed_images.length > 0 &&
    !forms.some((form) => firstMatch(containers.allowed_images, form))
  ) {
    return deny(
      "containers.allowed_images",
      `${field} ${quote(input)} is ${quote(forms[0])} which matches no ` +
        "allowed pattern",
    );
  }
  return checkImageRules(policy, field, ref);
}

function checkImageId(
  policy: Policy,
  field: string,
  input: string,
): FilterDenial | undefined {
  const containers = policy.options.containers;
  const images = policy.options.images;
  const what = `${field} ${quote(input)} may be an image ID, which`;
  if (!allowedBy(containers.allowed_images, input)) {
    return deny(
      "containers.allowed_images",
      `${what} no allowed pattern matches`,
    );
  }
  if (containers.denied_images.length > 0) {
    return deny(
      "containers.denied_images",
      `${what} cannot be checked against denied patterns by name`,
    );
  }
  for (const key of ["denied_repos", "allowed_repos"] as const) {
    if (images[key].length > 0) {
      return deny(`images.${key}`, `${what} has no repository to check`);
    }
  }
  return undefined;
}

/**
 * The reference a `repo` + `tag` pair names, the way the engine reads
 * it for commit, import, tag and build: normalised, digests refused, the
 * tag replaced when given and `latest` when neither is.
 *
 * @throws {RangeError} when the engine would refuse the pair
 */
export function parseRepoTag(repo: string, tag: string): ImageReference {
  const ref = parseImageReference(repo);
  if (ref.digest !== null) {
    throw new RangeError(
      `Invalid image reference ${quote(repo)}: cannot contain a digest`,
    );
  }
  return tag === "" ? withDefaultTag(ref) : withTag(ref, tag);
}

/**
 * Checks a `repo` + `tag` pair that names an image a request writes
 * (commit, import, tag, build). An empty repo names nothing.
 */
export function checkRepoTag(
  policy: Policy,
  field: string,
  repo: string,
  tag: string,
): FilterDenial | undefined {
  if (repo === "" || !hasRepoTagRules(policy)) return undefined;
  let ref: ImageReference;
  try {
    ref = parseRepoTag(repo, tag);
  } catch (error) {
    return invalid(`${field} ${quote(repo)}: ${(error as Error).message}`);
  }
  return checkImageRules(policy, field, ref);
}

/**
 * The first `images.*` repository or tag rule that is set, to blame for a
 * denial of names the filters cannot read; null when none is set.
 */
export function imageNameRuleInForce(policy: Policy): string | null {
  const images = policy.options.images;
  for (
    const key of [
      "allowed_repos",
      "denied_repos",
      "allowed_tags",
      "denied_tags",
    ] as const
  ) {
    if (images[key].length > 0) return `images.${key}`;
  }
  return null;
}
