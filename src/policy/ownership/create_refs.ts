/**
 * What a container create body refers to, for owner isolation: other
 * containers (namespaces, `VolumesFrom`, links), networks and named
 * volumes; and the stamping of the owner's label into the body.
 *
 * The body is the canonical one (`canonicalizeKeys` ran), so struct keys
 * have their Go spelling and type checks already passed.
 *
 * @module
 */

import type { OwnerLabel } from "../../config/profile_values.ts";
import { collectContainerRefs } from "../filters/container_refs.ts";
import { BodyError, defineEntry } from "../filters/go_json.ts";
import {
  asRecord,
  listField,
  recordField,
  stringField,
} from "../filters/policy.ts";
import type { FilterContext } from "../filters/types.ts";
import type { VolumeSpec } from "./owner_lookup.ts";

/** Networks every container may join: they belong to the engine. */
export const SHARED_NETWORK_MODES: ReadonlySet<string> = new Set([
  "",
  "default",
  "bridge",
  "host",
  "none",
]);

/** The references of a create body. */
export interface CreateRefs {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  /** Named volumes, with what to create them with if they are missing. */
  readonly volumes: readonly Omit<VolumeSpec, "labels">[];
}

function stringMap(value: unknown): Record<string, string> {
  const record = asRecord(value);
  const output: Record<string, string> = {};
  for (const [key, item] of Object.entries(record ?? {})) {
    if (typeof item === "string") {
      defineEntry(output, key, item);
    }
  }
  return output;
}

/** The container a legacy link `name:alias` points at. */
function linkedContainer(link: string): string {
  const colon = link.indexOf(":");
  const name = colon < 0 ? link : link.slice(0, colon);
  return name.replace(/^\//, "");
}

/**
 * The host configurations the engine may apply from a create (or legacy
 * start) body: the nested `HostConfig`, and the body itself, since engines
 * before 27.0 also read HostConfig fields written at the top level.
 */
export function hostConfigsOf(
  body: Record<string, unknown> | undefined,
): Record<string, unknown>[] {
  const nested = recordField(body, "HostConfig");
  return [...(nested === undefined ? [] : [nested]), ...(body ? [body] : [])];
}

function addVolumeRefs(
  hostConfig: Record<string, unknown>,
  volumes: Map<string, Omit<VolumeSpec, "labels">>,
): void {
  const volumeDriver = stringField(hostConfig, "VolumeDriver") || null;
  for (const bind of listField(hostConfig, "Binds")) {
    if (typeof bind !== "string") continue;
    const parts = bind.split(":");
    const source = parts[0] ?? "";
    // One part is an anonymous volume at that path; an absolute source is
    // a bind mount of a host path, which the volume filters judge.
    if (parts.length < 2 || source === "" || source.startsWith("/")) {
      continue;
    }
    volumes.set(source, { name: source, driver: volumeDriver, driverOpts: {} });
  }
  for (const mount of listField(hostConfig, "Mounts")) {
    const record = asRecord(mount);
    if (stringField(record, "Type") !== "volume") continue;
    const source = stringField(record, "Source");
    if (source === "") continue;
    const driverConfig = recordField(
      recordField(record, "VolumeOptions"),
      "DriverConfig",
    );
    volumes.set(source, {
      name: source,
      driver: stringField(driverConfig, "Name") || volumeDriver,
      driverOpts: stringMap(driverConfig?.["Options"]),
    });
  }
}

/** Everything `ctx.body` (a container create or legacy start) refers to. */
export function collectCreateRefs(ctx: FilterContext): CreateRefs {
  const body = asRecord(ctx.body);
  const containers = new Set<string>();
  const networks = new Set<string>();
  const volumes = new Map<string, Omit<VolumeSpec, "labels">>();
  for (const hostConfig of hostConfigsOf(body)) {
    const refs = collectContainerRefs({
      ...ctx,
      routeId: "container.create",
      body: { HostConfig: hostConfig },
    });
    for (const ref of refs) containers.add(ref);
    for (const link of listField(hostConfig, "Links")) {
      if (typeof link === "string" && link !== "") {
        containers.add(linkedContainer(link));
      }
    }
    const mode = stringField(hostConfig, "NetworkMode");
    if (!SHARED_NETWORK_MODES.has(mode) && !mode.startsWith("container:")) {
      networks.add(mode);
    }
    addVolumeRefs(hostConfig, volumes);
  }
  const endpoints = recordField(
    recordField(body, "NetworkingConfig"),
    "EndpointsConfig",
  );
  for (const [key, settings] of Object.entries(endpoints ?? {})) {
    // The engine joins the endpoint's NetworkID, when set, rather than the
    // network its key names; built-in modes ignore it.
    if (key !== "" && SHARED_NETWORK_MODES.has(key)) continue;
    const ref = stringField(asRecord(settings), "NetworkID") || key;
    if (ref !== "") networks.add(ref);
  }
  return {
    containers: [...containers],
    networks: [...networks],
    volumes: [...volumes.values()],
  };
}

/**
 * Sets the owner's label in `record[key]` (a label map), replacing what
 * the client gave for that label.
 *
 * @throws {BodyError} when the field holds something other than a map
 */
export function stampLabels(
  record: Record<string, unknown>,
  key: string,
  owner: OwnerLabel,
): void {
  const current = record[key];
  if (current !== undefined && current !== null && !asRecord(current)) {
    throw new BodyError(`${key} is not a map of labels`);
  }
  const labels = stringMap(current);
  defineEntry(labels, owner.name, owner.value);
  record[key] = labels;
}

/**
 * Stamps a container create body: its `Labels`, and the `VolumeOptions`
 * of anonymous volume mounts, which the engine creates with those labels.
 */
export function stampContainerCreate(
  body: Record<string, unknown>,
  owner: OwnerLabel,
): void {
  stampLabels(body, "Labels", owner);
  for (const hostConfig of hostConfigsOf(body)) {
    for (const mount of listField(hostConfig, "Mounts")) {
      const record = asRecord(mount);
      if (record === undefined || stringField(record, "Type") !== "volume") {
        continue;
      }
      if (stringField(record, "Source") !== "") continue;
      const options = asRecord(record["VolumeOptions"]) ?? {};
      stampLabels(options, "Labels", owner);
      record["VolumeOptions"] = options;
    }
  }
}
