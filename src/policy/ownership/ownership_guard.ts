/**
 * Owner isolation: a profile with an owner label sees and touches only the
 * objects that carry it.
 *
 * It runs after the ACL and the request filters allowed a request, and
 * before forwarding. Creations are stamped with the label (the client's
 * value for that key is overwritten), lists get the label added to the
 * filters the engine applies, and a request on one object goes through
 * only when the engine says the object carries the label. An object that
 * is missing and one that is another owner's get the same 404, so a tenant
 * cannot probe for the names of others.
 *
 * @module
 */

import type { Exchange } from "../../app/exchange.ts";
import type { OwnerLabel } from "../../config/profile_values.ts";
import { deny, fail } from "../deny.ts";
import { BodyError } from "../filters/go_json.ts";
import { asRecord, stringField } from "../filters/policy.ts";
import { type GoQuery, parseGoQuery } from "../go_query.ts";
import {
  checkContainerCreate,
  checkNetworkCreate,
  checkVolumeCreate,
} from "./create_checks.ts";
import { collectCreateRefs } from "./create_refs.ts";
import {
  ownedContainer,
  owns,
  readBody,
  refuseUnowned,
  rewriteParam,
  rewriteQuery,
  type Step,
  writeBody,
} from "./guard_step.ts";
import {
  checkBuild,
  checkCommit,
  checkImageCreate,
  checkImageExport,
  checkImageRead,
  checkImageTag,
  checkImageWrite,
} from "./image_checks.ts";
import type { OwnerLookup } from "./owner_lookup.ts";
import { type OwnershipKind, ownershipKind } from "./owner_routes.ts";
import { addOwnerFilter } from "./query_rewrite.ts";

/** Options of {@linkcode createOwnershipGuard}. */
export interface OwnershipOptions {
  owner: OwnerLabel;
  lookup: OwnerLookup;
}

/** A refusal, or null to let the request go on (possibly rewritten). */
export type OwnershipGuard = (exchange: Exchange) => Promise<Response | null>;

type Handler = (step: Step) => Promise<Response | null>;

async function checkContainer(step: Step): Promise<Response | null> {
  const ref = step.match.params["name"] ?? "";
  const object = await ownedContainer(step, ref);
  if (object instanceof Response) return object;
  if (step.match.route.id === "container.start") {
    // API < 1.24 reads a HostConfig from the start body.
    const body = readBody(step);
    if (body !== null) {
      const refs = collectCreateRefs({
        routeId: "container.start",
        params: {},
        query: step.query,
        body,
        apiVersion: step.exchange.target.apiVersion,
      });
      for (const other of refs.containers) {
        const found = await ownedContainer(step, other, true);
        if (found instanceof Response) return found;
      }
    }
  }
  rewriteParam(step, "name", object.id);
  return null;
}

async function checkExec(step: Step): Promise<Response | null> {
  const id = step.match.params["id"] ?? "";
  const exec = await step.lookup.exec(id);
  if (!owns(exec, step.owner)) return refuseUnowned(step, "exec", id, exec);
  rewriteParam(step, "id", exec!.id);
  return null;
}

async function checkVolume(step: Step): Promise<Response | null> {
  const name = step.match.params["name"] ?? "";
  const volume = await step.lookup.volume(name);
  if (!owns(volume, step.owner)) {
    return refuseUnowned(step, "volume", name, volume);
  }
  return null;
}

async function checkNetwork(step: Step): Promise<Response | null> {
  const ref = step.match.params["id"] ?? "";
  const network = await step.lookup.network(ref);
  if (!owns(network, step.owner)) {
    return refuseUnowned(step, "network", ref, network);
  }
  rewriteParam(step, "id", network!.id);
  if (step.match.route.id === "network.inspect") return null;
  const body = readBody(step);
  if (body === null) return null;
  // A connect joins the endpoint's NetworkID, when set, not the route's.
  const joined = stringField(
    asRecord(body["EndpointConfig"]),
    "NetworkID",
  );
  if (joined !== "") {
    const other = await step.lookup.network(joined);
    if (!owns(other, step.owner)) {
      return refuseUnowned(step, "network", joined, other);
    }
  }
  const container = stringField(body, "Container");
  if (container === "") return null;
  const object = await ownedContainer(step, container);
  if (object instanceof Response) return object;
  body["Container"] = object.id;
  writeBody(step, body);
  return null;
}

function checkList(step: Step): Promise<Response | null> {
  const filters = addOwnerFilter(step.query.get("filters"), step.owner);
  rewriteQuery(step, new Map([["filters", [filters]]]));
  return Promise.resolve(null);
}

function refuseEngineWide(step: Step): Promise<Response | null> {
  return Promise.resolve(deny(
    step.exchange,
    403,
    "ownership.engine_wide",
    `${step.match.route.id} acts on the whole engine, not on one owner's ` +
      `objects`,
  ));
}

const HANDLERS: Readonly<Record<OwnershipKind, Handler>> = {
  "open": () => Promise.resolve(null),
  "deny": refuseEngineWide,
  "list": checkList,
  "container": checkContainer,
  "exec": checkExec,
  "volume": checkVolume,
  "network": checkNetwork,
  "network.attach": checkNetwork,
  "image.read": checkImageRead,
  "image.write": checkImageWrite,
  "image.tag": checkImageTag,
  "image.export": checkImageExport,
  "image.create": checkImageCreate,
  "container.create": checkContainerCreate,
  "container.commit": checkCommit,
  "volume.create": checkVolumeCreate,
  "network.create": checkNetworkCreate,
  "build": checkBuild,
};

/**
 * Builds the guard for one owner label. Lookups that fail (engine down,
 * odd answers) fail the request closed with 502; nothing is forwarded.
 */
export function createOwnershipGuard(
  options: OwnershipOptions,
): OwnershipGuard {
  const { owner, lookup } = options;
  return async (exchange) => {
    const match = exchange.route;
    if (match === null) {
      return deny(
        exchange,
        403,
        "ownership.route",
        "an unknown endpoint cannot be confined to one owner",
      );
    }
    let query: GoQuery;
    try {
      query = parseGoQuery(exchange.target.rawQuery);
    } catch (error) {
      return deny(exchange, 400, "request.query", (error as Error).message);
    }
    const step: Step = { exchange, match, query, owner, lookup };
    try {
      return await HANDLERS[ownershipKind(match.route.id)](step);
    } catch (error) {
      if (error instanceof BodyError) {
        return deny(exchange, 400, "request.invalid", error.message);
      }
      return fail(
        exchange,
        502,
        "engine:lookup",
        `cannot check who owns the objects this request names: ${
          (error as Error).message
        }`,
      );
    }
  };
}
