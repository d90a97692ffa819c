/**
 * Owner isolation for images: reads allowed on the owner's images and on
 * the engine's own (unlabelled) store, changes on the owner's only, and no
 * tag (tag, pull, build, commit, import) that replaces an image the owner
 * does not own. Builds, commits and imports are stamped with the label.
 *
 * @module
 */

import { deny } from "../deny.ts";
import { SHARED_NETWORK_MODES, stampLabels } from "./create_refs.ts";
import {
  checkTagTarget,
  isOthers,
  joinReference,
  ownedContainer,
  owns,
  readableImage,
  readBody,
  refuseTag,
  refuseUnowned,
  rewriteQuery,
  stampChanges,
  type Step,
  writeBody,
} from "./guard_step.ts";
import { addOwnerLabel } from "./query_rewrite.ts";

/**
 * Inspect, history, save and push of one image: it must be the owner's or
 * unowned. A push must name its tag: without one it pushes every tag.
 */
export async function checkImageRead(step: Step): Promise<Response | null> {
  const name = step.match.params["name"] ?? "";
  if (step.match.route.id === "image.push") {
    const tag = step.query.get("tag") ?? "";
    if (tag === "") {
      return deny(
        step.exchange,
        403,
        "ownership.image_push",
        "pushing every tag of a repository is refused: name one tag",
      );
    }
    const found = await readableImage(step, joinReference(name, tag));
    return found instanceof Response ? found : null;
  }
  const found = await readableImage(step, name);
  return found instanceof Response ? found : null;
}

/** `DELETE /images/{name}`: the owner's images only. */
export async function checkImageWrite(step: Step): Promise<Response | null> {
  const name = step.match.params["name"] ?? "";
  const image = await step.lookup.image(name);
  if (image === null || isOthers(image, step.owner)) {
    return refuseUnowned(step, "image", name, image);
  }
  if (!owns(image, step.owner)) {
    return deny(
      step.exchange,
      403,
      "ownership.image_shared",
      `image ${
        JSON.stringify(name)
      } belongs to the engine's store and is read-only`,
    );
  }
  return null;
}

/** Tag: a readable source, and a target that names nothing else's. */
export async function checkImageTag(step: Step): Promise<Response | null> {
  const source = await readableImage(step, step.match.params["name"] ?? "");
  if (source instanceof Response) return source;
  const repo = step.query.get("repo") ?? "";
  if (repo === "") return null;
  return await checkTagTarget(
    step,
    joinReference(repo, step.query.get("tag") || "latest"),
  );
}

/** `GET /images/get`: every named image must be readable. */
export async function checkImageExport(step: Step): Promise<Response | null> {
  for (const name of step.query.getAll("names")) {
    const found = await readableImage(step, name);
    if (found instanceof Response) return found;
  }
  return null;
}

/**
 * Pull and import. A pull adds to the shared store but may not take over
 * a tag of another owner's image; an import is stamped through `changes`.
 */
export async function checkImageCreate(step: Step): Promise<Response | null> {
  const fromImage = step.query.get("fromImage") ?? "";
  const tag = step.query.get("tag") ?? "";
  if (fromImage !== "") {
    // A pull adds to the shared store; it must not take over a tag that
    // names another owner's image.
    const ref = joinReference(fromImage, tag);
    const existing = await step.lookup.image(ref);
    if (existing !== null && isOthers(existing, step.owner)) {
      return refuseTag(step, ref);
    }
    return null;
  }
  const repo = step.query.get("repo") ?? "";
  if (repo !== "") {
    const refused = await checkTagTarget(
      step,
      joinReference(repo, tag || "latest"),
    );
    if (refused !== null) return refused;
  }
  return stampChanges(step);
}

/** Build: stamped through `labels`; its tags may not replace others'. */
export async function checkBuild(step: Step): Promise<Response | null> {
  for (const tag of step.query.getAll("t")) {
    const refused = await checkTagTarget(step, tag);
    if (refused !== null) return refused;
  }
  // RUN steps join the network (or container namespace) the build names.
  const mode = step.query.get("networkmode") ?? "";
  const joined = mode.startsWith("container:")
    ? mode.slice("container:".length)
    : null;
  if (joined !== null) {
    const found = await ownedContainer(step, joined, true);
    if (found instanceof Response) return found;
  } else if (!SHARED_NETWORK_MODES.has(mode)) {
    const network = await step.lookup.network(mode);
    if (!owns(network, step.owner)) {
      return refuseUnowned(step, "network", mode, network, true);
    }
  }
  // Intermediate containers would carry the labels of the base image, not
  // ours; removing them always leaves none behind.
  rewriteQuery(
    step,
    new Map([
      ["labels", [addOwnerLabel(step.query.get("labels"), step.owner)]],
      ["rm", ["1"]],
      ["forcerm", ["1"]],
    ]),
  );
  return null;
}

/**
 * Commit: the container must be the owner's; the image is stamped through
 * `changes` (and the body's labels, when there is a body).
 */
export async function checkCommit(step: Step): Promise<Response | null> {
  const ref = step.query.get("container") ?? "";
  const container = await ownedContainer(step, ref);
  if (container instanceof Response) return container;
  const repo = step.query.get("repo") ?? "";
  if (repo !== "") {
    const refused = await checkTagTarget(
      step,
      joinReference(repo, step.query.get("tag") || "latest"),
    );
    if (refused !== null) return refused;
  }
  const body = readBody(step);
  if (body !== null) {
    stampLabels(body, "Labels", step.owner);
    writeBody(step, body);
  }
  rewriteQuery(step, new Map([["container", [container.id]]]));
  return stampChanges(step);
}
