/**
 * One request under owner isolation, and the helpers every check shares:
 * who owns an object, refusals, and the rewrites of path, query and body
 * that go upstream.
 *
 * @module
 */

import type { Exchange } from "../../app/exchange.ts";
import type { OwnerLabel } from "../../config/profile_values.ts";
import { deny } from "../deny.ts";
import { BodyError } from "../filters/go_json.ts";
import { asRecord } from "../filters/policy.ts";
import type { GoQuery } from "../go_query.ts";
import type { RouteMatch } from "../routes.ts";
import type { OwnedObject, OwnerLookup } from "./owner_lookup.ts";
import { replaceQueryKeys } from "./query_rewrite.ts";

/** A request being checked, with what the checks need. */
export interface Step {
  readonly exchange: Exchange;
  readonly match: RouteMatch;
  readonly query: GoQuery;
  readonly owner: OwnerLabel;
  readonly lookup: OwnerLookup;
}

const ENCODER = new TextEncoder();

const DECODER = new TextDecoder();

const TEMPLATE_VARIABLE_REGEXP = /\{([A-Za-z]+)(?::[^{}]+)?\}/g;

/** Dockerfile syntax that could join or re-read our appended LABEL line. */
const UNSAFE_CHANGE_REGEXP = /[\r\n]|^\s*#|[\\`]\s*$/;

function ownerOf(labels: Readonly<Record<string, string>>, owner: OwnerLabel) {
  return Object.hasOwn(labels, owner.name) ? labels[owner.name] : undefined;
}

/** True when `object` exists and carries the owner's label. */
export function owns(object: OwnedObject | null, owner: OwnerLabel): boolean {
  return object !== null && ownerOf(object.labels, owner) === owner.value;
}

/** Unowned objects (the engine's own store) are not another's either. */
export function isOthers(object: OwnedObject, owner: OwnerLabel): boolean {
  const value = ownerOf(object.labels, owner);
  return value !== undefined && value !== owner.value;
}

/**
 * Refuses a request naming `ref`, which is missing or not the owner's.
 * The client gets the same answer either way, so it cannot probe for the
 * names of others; the audit record keeps which one it was. Single-object
 * routes answer 404, like the engine for a missing object; an object named
 * in a create body gets 403, since the docker CLI reads any 404 to a
 * create as a missing image and would start pulling.
 */
export function refuseUnowned(
  step: Step,
  what: string,
  ref: string,
  object: OwnedObject | null,
  inBody = false,
): Response {
  const quoted = JSON.stringify(ref);
  const response = inBody
    ? deny(
      step.exchange,
      403,
      `ownership.${what}`,
      `${what} ${quoted} does not exist or belongs to another owner`,
    )
    : deny(
      step.exchange,
      404,
      `ownership.${what}`,
      `no such ${what}: ${quoted}`,
    );
  step.exchange.verdict.reason = object === null
    ? `no such ${what}: ${quoted}`
    : `${what} ${quoted} is not labelled ${step.owner.name}=${step.owner.value}`;
  return response;
}

/** Points the forwarded path at the resolved ID instead of the name. */
export function rewriteParam(step: Step, param: string, value: string): void {
  const params = { ...step.match.params, [param]: value };
  const routePath = step.match.route.template.replace(
    TEMPLATE_VARIABLE_REGEXP,
    (_, name: string) => params[name] ?? "",
  );
  const version = step.exchange.target.apiVersion;
  step.exchange.target = {
    ...step.exchange.target,
    path: version === null ? routePath : `/v${version}${routePath}`,
  };
}

/** Replaces query keys in what goes upstream; see `replaceQueryKeys`. */
export function rewriteQuery(step: Step, replace: Map<string, string[]>): void {
  step.exchange.target = {
    ...step.exchange.target,
    rawQuery: replaceQueryKeys(step.exchange.target.rawQuery, replace),
  };
}

/** The JSON body inspection read and re-encoded, or null when none. */
export function readBody(step: Step): Record<string, unknown> | null {
  const body = step.exchange.body;
  if (body.kind !== "bytes") return null;
  const parsed = asRecord(JSON.parse(DECODER.decode(body.bytes)));
  if (parsed === undefined) throw new BodyError("the body is not an object");
  return parsed;
}

/** Sets the JSON body that goes upstream. */
export function writeBody(step: Step, body: Record<string, unknown>): void {
  step.exchange.body = {
    kind: "bytes",
    bytes: ENCODER.encode(JSON.stringify(body)),
  };
}

/** Refuses a create that has no body to stamp. */
export function needsBody(step: Step): Response {
  return deny(
    step.exchange,
    400,
    "ownership.body",
    "a create without a JSON body cannot carry the owner label",
  );
}

/**
 * The container `ref` resolves to when it is the owner's, else the
 * refusal (403 when named in a create body, 404 otherwise).
 */
export async function ownedContainer(
  step: Step,
  ref: string,
  inBody = false,
): Promise<OwnedObject | Response> {
  const object = await step.lookup.container(ref);
  if (!owns(object, step.owner)) {
    return refuseUnowned(step, "container", ref, object, inBody);
  }
  return object!;
}

/** An image the owner may read: its own or one of the engine's store. */
export async function readableImage(
  step: Step,
  ref: string,
): Promise<OwnedObject | Response> {
  const object = await step.lookup.image(ref);
  if (object === null || isOthers(object, step.owner)) {
    return refuseUnowned(step, "image", ref, object);
  }
  return object;
}

/** Refuses to point `ref` at another image: it names one not ours. */
export function refuseTag(step: Step, ref: string): Response {
  return deny(
    step.exchange,
    403,
    "ownership.image_tag",
    `${
      JSON.stringify(ref)
    } names an image this client does not own; it cannot be replaced`,
  );
}

/** A tag may be (re)written only where it names nothing or the owner's. */
export async function checkTagTarget(
  step: Step,
  ref: string,
): Promise<Response | null> {
  const existing = await step.lookup.image(ref);
  if (existing === null || owns(existing, step.owner)) return null;
  return refuseTag(step, ref);
}

/** `repo:tag` as the engine composes it from two query values. */
export function joinReference(repo: string, tag: string): string {
  if (tag === "") return repo;
  return tag.startsWith("sha256:") ? `${repo}@${tag}` : `${repo}:${tag}`;
}

/**
 * Dockerfile `changes` (commit, import) followed by a LABEL line of our
 * own, which being last wins over the client's LABEL lines and body.
 */
export function stampChanges(step: Step): Response | null {
  const changes = step.query.getAll("changes");
  const unsafe = changes.find((change) => UNSAFE_CHANGE_REGEXP.test(change));
  if (unsafe !== undefined) {
    return deny(
      step.exchange,
      403,
      "ownership.changes",
      `changes must be single instructions without continuation or ` +
        `directives: ${JSON.stringify(unsafe)}`,
    );
  }
  const { name, value } = step.owner;
  rewriteQuery(
    step,
    new Map([["changes", [...changes, `LABEL ${name}=${value}`]]]),
  );
  return null;
}

/** The owner's label alone, as a label map. */
export function ownerLabels(owner: OwnerLabel): Record<string, string> {
  const labels: Record<string, string> = {};
  Object.defineProperty(labels, owner.name, {
    value: owner.value,
    enumerable: true,
  });
  return labels;
}
