/**
 * `POST /containers/create`, and the `HostConfig` that API < 1.24 still
 * reads from a start body.
 *
 * `VolumesFrom` copies every mount of another container, bind mounts
 * included, and the filters cannot see those mounts. So while the default
 * protections are on, any `VolumesFrom` is denied (it could inherit the
 * engine socket), and with defaults off it is denied whenever a host-path
 * rule is set. Naming the proxy container is always reported as such.
 *
 * The engine's decoder (before Engine 27.0) also reads HostConfig fields at
 * the top level of a create body, and a HostConfig object nested in a
 * legacy start body; both spellings are refused, so the one HostConfig
 * checked is the one applied.
 *
 * `Labels` are checked as sent: the engine later fills in image labels for
 * keys the request leaves out, so an image cannot satisfy
 * `require_labels`, but neither can the request rely on the image.
 *
 * @module
 */

import {
  checkProxyContainerRef,
  JOIN_MODE_FIELDS,
  joinedContainer,
  volumesFromContainer,
} from "./container_refs.ts";
import {
  checkHostPath,
  checkMounts,
  checkVolumeDriver,
  checkVolumeName,
  hasPathRules,
} from "./host_access.ts";
import { parseBindSpec } from "./host_path.ts";
import { checkRunImage, type ImageCheck } from "./image_policy.ts";
import {
  checkNetworkName,
  isLookedUpNetwork,
  joinedNetwork,
  networkNameOf,
} from "./network_routes.ts";
import {
  asRecord,
  checkName,
  deny,
  field,
  invalid,
  listField,
  quote,
  recordField,
  stringField,
  stripSlash,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import { checkHostConfigPrivileges } from "./privilege.ts";
import { HOST_CONFIG_FIELDS } from "./schemas.ts";
import type { FilterContext, FilterDenial } from "./types.ts";

/** `POST /containers/create`. */
export function checkContainerCreate(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  const body = asRecord(ctx.body);
  if (body === undefined) return invalid("container create needs a JSON body");
  const misplaced = HOST_CONFIG_FIELDS.find((key) => Object.hasOwn(body, key));
  if (misplaced !== undefined) {
    // Engines before 27.0 read these as the container's HostConfig when the
    // body has no HostConfig object, and merge some of them into it when
    // it has one; no client sends them there.
    return invalid(
      `${misplaced} is a HostConfig field at the top level of the body, ` +
        "which some engines apply; put it inside HostConfig",
    );
  }
  const endpoints = recordField(
    recordField(body, "NetworkingConfig"),
    "EndpointsConfig",
  );
  return checkHostConfig(
    policy,
    ctx,
    "HostConfig",
    recordField(body, "HostConfig"),
    endpoints,
  ) ??
    checkRunImage(policy, "Image", stringField(body, "Image"), true) ??
    checkContainerName(policy, ctx.query.get("name") ?? "") ??
    checkRequiredLabels(policy, "Labels", recordField(body, "Labels"));
}

/**
 * `POST /containers/{name}/start`: below API 1.24 a JSON body is a
 * `HostConfig` applied at start, so it gets the create checks. Newer
 * engines refuse such a body; checking it anyway costs nothing.
 */
export function checkLegacyStart(
  policy: Policy,
  ctx: FilterContext,
): FilterDenial | undefined {
  if (ctx.body === undefined || ctx.body === null) return undefined;
  const hostConfig = asRecord(ctx.body);
  if (hostConfig === undefined) {
    return invalid("start body must be a HostConfig object");
  }
  const nested = field(hostConfig, "HostConfig");
  if (nested !== undefined && nested !== null) {
    // The engine decodes a start body like a create body: a HostConfig
    // object inside it is applied when the top level has no HostConfig
    // field, and partly merged when it has.
    return invalid(
      "start body carries a HostConfig object; below API 1.24 the " +
        "HostConfig fields go at the top level",
    );
  }
  return checkHostConfig(policy, ctx, "HostConfig", hostConfig, undefined);
}

/** Every check on a `HostConfig` and the networks a container joins. */
function checkHostConfig(
  policy: Policy,
  ctx: FilterContext,
  at: string,
  hostConfig: Record<string, unknown> | undefined,
  endpoints: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const containers = policy.options.containers;
  return checkProxyJoins(policy, ctx, at, hostConfig) ??
    checkHostMounts(policy, at, hostConfig) ??
    (containers.deny_privileged
      ? checkHostConfigPrivileges(policy, at, hostConfig)
      : undefined) ??
    checkNetworks(policy, ctx, at, hostConfig, endpoints);
}

function checkProxyJoins(
  policy: Policy,
  ctx: FilterContext,
  at: string,
  hostConfig: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  for (const key of JOIN_MODE_FIELDS) {
    const joined = joinedContainer(stringField(hostConfig, key));
    const denial = joined === null
      ? undefined
      : checkProxyContainerRef(policy, ctx, `${at}.${key} joins`, joined);
    if (denial !== undefined) return denial;
  }
  for (const [index, entry] of listField(hostConfig, "VolumesFrom").entries()) {
    if (typeof entry !== "string") continue;
    const denial = checkProxyContainerRef(
      policy,
      ctx,
      `${at}.VolumesFrom[${index}]`,
      volumesFromContainer(entry),
    );
    if (denial !== undefined) return denial;
  }
  return undefined;
}

function checkHostMounts(
  policy: Policy,
  at: string,
  hostConfig: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  for (const [index, entry] of listField(hostConfig, "Binds").entries()) {
    const where = `${at}.Binds[${index}]`;
    if (typeof entry !== "string") return invalid(`${where} is not a string`);
    let denial: FilterDenial | undefined;
    try {
      const spec = parseBindSpec(entry);
      if (spec.kind === "bind") {
        denial = checkHostPath(policy, where, spec.source);
      } else if (spec.kind === "volume") {
        denial = checkVolumeName(policy, where, spec.name);
      }
    } catch (error) {
      return invalid(`${where}: ${(error as Error).message}`);
    }
    if (denial !== undefined) return denial;
  }
  const volumeDriver = stringField(hostConfig, "VolumeDriver");
  const denial =
    (volumeDriver === ""
      ? undefined
      : checkVolumeDriver(policy, `${at}.VolumeDriver`, volumeDriver)) ??
      checkMounts(
        policy,
        `${at}.Mounts`,
        listField(hostConfig, "Mounts"),
        localImageCheck(policy),
      );
  if (denial !== undefined) return denial;
  const volumesFrom = listField(hostConfig, "VolumesFrom");
  if (volumesFrom.length === 0) return undefined;
  const source = quote(volumesFrom[0]);
  if (policy.defaults) {
    return deny(
      "defaults.engine_socket",
      `${at}.VolumesFrom[0] inherits every mount of ${source}, which ` +
        "could include the engine socket",
    );
  }
  if (hasPathRules(policy)) {
    const rule = policy.options.volumes.allowed_paths.length > 0
      ? "volumes.allowed_paths"
      : "volumes.denied_paths";
    return deny(
      rule,
      `${at}.VolumesFrom[0] inherits every mount of ${source}, which ` +
        "host-path rules cannot check",
    );
  }
  return undefined;
}

/** Image mounts are resolved locally, like `Image`. */
function localImageCheck(policy: Policy): ImageCheck {
  return (where, input) => checkRunImage(policy, where, input, true);
}

function checkNetworks(
  policy: Policy,
  ctx: FilterContext,
  at: string,
  hostConfig: Record<string, unknown> | undefined,
  endpoints: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const mode = stringField(hostConfig, "NetworkMode");
  const denyHost = policy.options.containers.deny_host_network;
  if (denyHost && (mode === "host" || joinedContainer(mode) !== null)) {
    return deny(
      "containers.deny_host_network",
      `${at}.NetworkMode is ${quote(mode)}`,
    );
  }
  const joined: [string, string][] = [[`${at}.NetworkMode`, mode]];
  for (const [key, settings] of Object.entries(endpoints ?? {})) {
    const where = `NetworkingConfig.EndpointsConfig[${quote(key)}]`;
    joined.push([where, key]);
    // For a network the engine looks up, NetworkID wins over the key.
    const networkId = stringField(asRecord(settings), "NetworkID");
    if (networkId !== "") joined.push([`${where}.NetworkID`, networkId]);
  }
  for (const [where, ref] of joined) {
    const network = joinedNetwork(ref);
    if (network === null) continue;
    // An ID or ID prefix names the network as well as its name does.
    const name = isLookedUpNetwork(ref) ? networkNameOf(ctx, ref) : network;
    if (denyHost && name === "host") {
      return deny(
        "containers.deny_host_network",
        `${where} joins the host network`,
      );
    }
    const denial = checkNetworkName(policy, where, name);
    if (denial !== undefined) return denial;
  }
  return undefined;
}

/**
 * Checks the `name` query of create or rename. Without a name the engine
 * generates one, which no allowed pattern can have been written for.
 */
export function checkContainerName(
  policy: Policy,
  raw: string,
): FilterDenial | undefined {
  const containers = policy.options.containers;
  const name = stripSlash(raw);
  if (name === "") {
    if (containers.allowed_names.length === 0) return undefined;
    return deny(
      "containers.allowed_names",
      'query "name" is missing, so the engine would generate a name that ' +
        "no allowed pattern was written for",
    );
  }
  return checkName(
    {
      area: "containers",
      allowed: containers.allowed_names,
      denied: containers.denied_names,
    },
    'query "name"',
    name,
  );
}

/** Checks `require_labels` against the labels a request sends. */
export function checkRequiredLabels(
  policy: Policy,
  at: string,
  labels: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const required = policy.options.containers.require_labels;
  for (const [key, value] of Object.entries(required)) {
    const actual = field(labels, key);
    if (actual === value) continue;
    return deny(
      "containers.require_labels",
      actual === undefined
        ? `${at} lacks required label ${quote(key)}=${quote(value)}`
        : `${at}[${quote(key)}] is ${quote(actual)}, required ${quote(value)}`,
    );
  }
  return undefined;
}
