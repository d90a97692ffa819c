/**
 * `POST /services/create` and `/services/{id}/update`: a swarm service runs
 * its containers on every node it is placed on, so its spec gets the
 * container checks that apply to it.
 *
 * - `TaskTemplate.ContainerSpec.Image`: container image patterns and image
 *   rules (services pull by name, so hex is not read as an image ID).
 * - `ContainerSpec.Mounts`: host paths, volume names, drivers and options.
 * - `ContainerSpec.Labels`: `require_labels`, as for containers.
 * - With `deny_privileged`: `CapabilityAdd`, `Privileges` that unconfine
 *   seccomp, AppArmor or SELinux, and plugin tasks (`Runtime` other than
 *   `container`, or a `PluginSpec`).
 * - Networks, in `TaskTemplate.Networks` and the legacy top-level
 *   `Networks`: the proxy network, network name rules, and the `host`
 *   network under `deny_host_network`. Targets are resolved through the
 *   engine, so an ID or ID prefix is judged by the network's name.
 *
 * @module
 */

import { checkRequiredLabels } from "./container_create.ts";
import { checkMounts } from "./host_access.ts";
import { checkRunImage } from "./image_policy.ts";
import { checkNetworkName, networkNameOf } from "./network_routes.ts";
import {
  asRecord,
  deny,
  field,
  invalid,
  listField,
  quote,
  recordField,
  stringField,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import { checkCapabilities } from "./privilege.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

const SPEC = "TaskTemplate.ContainerSpec";
const CONFINED_MODES = new Set(["", "default"]);
const CONTAINER_RUNTIMES = new Set(["", "container"]);

/** `POST /services/create` and `POST /services/{id}/update`. */
export function checkServiceSpec(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const spec = asRecord(ctx.body);
  if (spec === undefined) return invalid("service spec must be an object");
  const task = recordField(spec, "TaskTemplate");
  const container = recordField(task, "ContainerSpec");
  return checkServiceNetworks(policy, ctx, spec, task) ??
    checkMounts(
      policy,
      `${SPEC}.Mounts`,
      listField(container, "Mounts"),
      (where, input) => checkRunImage(policy, where, input, false),
    ) ??
    (policy.options.containers.deny_privileged
      ? checkServicePrivileges(policy, task, container)
      : undefined) ??
    checkRunImage(
      policy,
      `${SPEC}.Image`,
      stringField(container, "Image"),
      false,
    ) ??
    checkRequiredLabels(
      policy,
      `${SPEC}.Labels`,
      recordField(container, "Labels"),
    );
}

function checkServiceNetworks(
  policy: Policy,
  ctx: FilterContext,
  spec: Record<string, unknown>,
  task: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const attachments: [string, unknown][] = [
    ...listField(task, "Networks").map((n, i): [string, unknown] => [
      `TaskTemplate.Networks[${i}].Target`,
      n,
    ]),
    ...listField(spec, "Networks").map((n, i): [string, unknown] => [
      `Networks[${i}].Target`,
      n,
    ]),
  ];
  for (const [where, attachment] of attachments) {
    const target = stringField(asRecord(attachment), "Target");
    if (target === "") continue;
    // The engine maps an ID or ID prefix of a predefined network (host)
    // to that network, so the resolved name is what the rules read.
    const name = networkNameOf(ctx, target);
    if (policy.options.containers.deny_host_network && name === "host") {
      return deny(
        "containers.deny_host_network",
        `${where} ${quote(target)} is the host network`,
      );
    }
    const denial = checkNetworkName(policy, where, name);
    if (denial !== undefined) return denial;
  }
  return undefined;
}

function checkServicePrivileges(
  policy: Policy,
  task: Record<string, unknown> | undefined,
  container: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const rule = "containers.deny_privileged";
  const runtime = stringField(task, "Runtime");
  if (!CONTAINER_RUNTIMES.has(runtime)) {
    return deny(rule, `TaskTemplate.Runtime is ${quote(runtime)}`);
  }
  const pluginSpec = field(task, "PluginSpec");
  if (pluginSpec !== undefined && pluginSpec !== null) {
    return deny(rule, "TaskTemplate.PluginSpec installs a plugin");
  }
  const denial = checkCapabilities(
    policy,
    `${SPEC}.CapabilityAdd`,
    listField(container, "CapabilityAdd"),
  );
  if (denial !== undefined) return denial;
  const privileges = recordField(container, "Privileges");
  const at = `${SPEC}.Privileges`;
  for (const key of ["Seccomp", "AppArmor"]) {
    const mode = stringField(recordField(privileges, key), "Mode");
    if (!CONFINED_MODES.has(mode)) {
      return deny(rule, `${at}.${key}.Mode is ${quote(mode)}`);
    }
  }
  const selinux = recordField(privileges, "SELinuxContext");
  if (field(selinux, "Disable") === true) {
    return deny(rule, `${at}.SELinuxContext.Disable is true`);
  }
  const type = stringField(selinux, "Type");
  if (type !== "") {
    return deny(rule, `${at}.SELinuxContext.Type is ${quote(type)}`);
  }
  return undefined;
}
