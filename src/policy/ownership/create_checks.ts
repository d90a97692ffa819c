/**
 * Owner isolation for creations: containers, volumes and networks are
 * stamped with the owner's label, and a container may only use the
 * owner's containers, networks and volumes (a missing named volume is
 * created first, labelled).
 *
 * @module
 */

import { deny } from "../deny.ts";
import { stringField } from "../filters/policy.ts";
import {
  collectCreateRefs,
  stampContainerCreate,
  stampLabels,
} from "./create_refs.ts";
import {
  needsBody,
  ownedContainer,
  ownerLabels,
  owns,
  readableImage,
  readBody,
  refuseUnowned,
  type Step,
  writeBody,
} from "./guard_step.ts";
import type { VolumeSpec } from "./owner_lookup.ts";

/**
 * `POST /containers/create`: the image must be readable, every container,
 * network and named volume the body names must be the owner's, and the
 * container and its anonymous volume mounts are stamped.
 */
export async function checkContainerCreate(
  step: Step,
): Promise<Response | null> {
  const body = readBody(step);
  if (body === null) return needsBody(step);
  const image = stringField(body, "Image");
  if (image !== "") {
    const found = await readableImage(step, image);
    if (found instanceof Response) return found;
  }
  const refs = collectCreateRefs({
    routeId: "container.create",
    params: {},
    query: step.query,
    body,
    apiVersion: step.exchange.target.apiVersion,
  });
  for (const ref of refs.containers) {
    const found = await ownedContainer(step, ref, true);
    if (found instanceof Response) return found;
  }
  for (const ref of refs.networks) {
    const network = await step.lookup.network(ref);
    if (!owns(network, step.owner)) {
      return refuseUnowned(step, "network", ref, network, true);
    }
  }
  const missing: VolumeSpec[] = [];
  for (const volume of refs.volumes) {
    const existing = await step.lookup.volume(volume.name);
    if (existing === null) {
      missing.push({ ...volume, labels: ownerLabels(step.owner) });
    } else if (!owns(existing, step.owner)) {
      return volumeTaken(step, volume.name);
    }
  }
  stampContainerCreate(body, step.owner);
  writeBody(step, body);
  // The engine would create a missing named volume without any label;
  // creating it first, labelled, keeps it the owner's. Another client may
  // win the race for the name: then the volume is not ours, and we stop.
  for (const spec of missing) {
    const created = await step.lookup.createVolume(spec);
    if (!owns(created, step.owner)) return volumeTaken(step, spec.name);
  }
  return null;
}

function volumeTaken(step: Step, name: string): Response {
  return deny(
    step.exchange,
    403,
    "ownership.volume",
    `volume name ${JSON.stringify(name)} is taken by another owner`,
  );
}

/** `POST /volumes/create`: stamped; a name another owner holds is refused. */
export async function checkVolumeCreate(step: Step): Promise<Response | null> {
  const body = readBody(step);
  if (body === null) return needsBody(step);
  const name = stringField(body, "Name");
  if (name !== "") {
    const existing = await step.lookup.volume(name);
    if (existing !== null && !owns(existing, step.owner)) {
      return volumeTaken(step, name);
    }
  }
  stampLabels(body, "Labels", step.owner);
  writeBody(step, body);
  return null;
}

/** `POST /networks/create`: stamped. */
export function checkNetworkCreate(step: Step): Promise<Response | null> {
  const body = readBody(step);
  if (body === null) return Promise.resolve(needsBody(step));
  stampLabels(body, "Labels", step.owner);
  writeBody(step, body);
  return Promise.resolve(null);
}
