/**
 * Volume routes: create (name, driver, and `local` driver options that
 * mount a host path), and remove or update by name.
 *
 * A create without a name gets a random one from the engine, which no
 * `allowed_names` pattern was written for, so it is denied when that list
 * is set. Anonymous volumes made by a container create (image `VOLUME`s,
 * `Config.Volumes`) are not named in the request and are not checked.
 *
 * @module
 */

import {
  checkLocalDriverOptions,
  checkVolumeDriver,
  checkVolumeName,
} from "./host_access.ts";
import { asRecord, deny, invalid, recordField, stringField } from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/** `POST /volumes/create`; an absent body means all defaults. */
export function checkVolumeCreate(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const body = ctx.body === undefined || ctx.body === null
    ? {}
    : asRecord(ctx.body);
  if (body === undefined) {
    return invalid("volume create body must be an object");
  }
  const name = stringField(body, "Name");
  let denial: FilterDenial | undefined;
  if (name !== "") {
    denial = checkVolumeName(policy, "Name", name);
  } else if (policy.options.volumes.allowed_names.length > 0) {
    denial = deny(
      "volumes.allowed_names",
      "Name is empty, so the engine would generate a name that no allowed " +
        "pattern was written for",
    );
  }
  const driver = stringField(body, "Driver");
  return denial ?? checkVolumeDriver(policy, "Driver", driver) ??
    (driver === "" || driver === "local"
      ? checkLocalDriverOptions(
        policy,
        "DriverOpts",
        recordField(body, "DriverOpts"),
      )
      : undefined);
}

/** `DELETE /volumes/{name}` and `PUT /volumes/{name}`. */
export function checkVolumeRoute(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  return checkVolumeName(policy, "volume", ctx.params["name"] ?? "");
}
