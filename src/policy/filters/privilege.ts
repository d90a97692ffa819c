/**
 * What `containers.deny_privileged` covers: `Privileged` and every field
 * that grants the same in effect. The four `allowed_*` escape lists name
 * the only exceptions.
 *
 * Not covered, by choice: `Sysctls` (the runtime accepts only namespaced
 * keys, and `net.*` only with a private network namespace), `GroupAdd`,
 * `User` (root inside the container is not root on the host by itself),
 * resource limits and `LogConfig`.
 *
 * @module
 */

import { cleanPath, isAbsolutePath } from "./host_path.ts";
import {
  asRecord,
  deny,
  field,
  firstMatch,
  invalid,
  listField,
  quote,
  recordField,
  stringField,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterDenial } from "./types.ts";

const RULE = "containers.deny_privileged";

/** The engine's default capability set: adding one of these changes nothing. */
const DEFAULT_CAPABILITIES: ReadonlySet<string> = new Set([
  "CHOWN",
  "DAC_OVERRIDE",
  "FSETID",
  "FOWNER",
  "MKNOD",
  "NET_RAW",
  "SETGID",
  "SETUID",
  "SETFCAP",
  "SETPCAP",
  "NET_BIND_SERVICE",
  "SYS_CHROOT",
  "KILL",
  "AUDIT_WRITE",
]);

/**
 * Namespace modes that keep the container in its own namespace. Anything
 * else (`host`, `container:<ref>`, or a value the engine would refuse) is
 * denied.
 */
const PRIVATE_NAMESPACE_MODES: Readonly<Record<string, readonly string[]>> = {
  PidMode: ["", "private"],
  IpcMode: ["", "none", "private", "shareable"],
  UTSMode: ["", "private"],
  UsernsMode: ["", "private"],
  CgroupnsMode: ["", "private"],
};

/** Runtimes that are always allowed: the daemon default and stock runc. */
const DEFAULT_RUNTIMES: ReadonlySet<string> = new Set(["", "runc"]);

const NON_ASCII_REGEXP = /[\u0080-\uffff]/;
const CAP_PREFIX = "CAP_";
const NO_NEW_PRIVILEGES = "no-new-privileges";

/**
 * Checks capabilities a request adds. The engine upper-cases each entry
 * and adds `CAP_`; Go's upper-casing maps `ſ` to `S` and `ı` to `I`, so
 * non-ASCII entries are refused rather than folded. Entries in the
 * engine's default set pass; `ALL` and every other capability must match
 * `allowed_capabilities` (with or without `CAP_`).
 */
export function checkCapabilities(
  policy: Policy,
  at: string,
  entries: readonly unknown[],
): FilterDenial | undefined {
  const allowed = policy.options.containers.allowed_capabilities;
  for (const [index, entry] of entries.entries()) {
    const where = `${at}[${index}]`;
    if (typeof entry !== "string") return invalid(`${where} is not a string`);
    if (NON_ASCII_REGEXP.test(entry)) {
      return invalid(`${where} ${quote(entry)} is not ASCII`);
    }
    const upper = entry.toUpperCase();
    const name = upper.startsWith(CAP_PREFIX)
      ? upper.slice(CAP_PREFIX.length)
      : upper;
    if (DEFAULT_CAPABILITIES.has(name)) continue;
    const granted = firstMatch(allowed, name) ??
      firstMatch(allowed, CAP_PREFIX + name);
    if (granted === undefined) {
      return deny(
        RULE,
        `${where} adds capability ${quote(entry)} (${
          name === "ALL" ? "every capability" : CAP_PREFIX + name
        }) which allowed_capabilities does not list`,
      );
    }
  }
  return undefined;
}

/**
 * Reads a security option the way the engine does: the exact words
 * `no-new-privileges` and `disable`, otherwise `key=value`, or the
 * deprecated `key:value` when there is no "=". Returns the `key=value`
 * form (or the word).
 */
export function normalizeSecurityOpt(opt: string): string {
  if (opt.includes("=")) return opt;
  const colon = opt.indexOf(":");
  if (colon === -1) return opt;
  return `${opt.slice(0, colon)}=${opt.slice(colon + 1)}`;
}

/**
 * Checks `SecurityOpt`: `no-new-privileges` (in any form) passes; every
 * other option (seccomp or AppArmor profiles, `unconfined`, SELinux
 * `label=disable` or `label=type:…`, `writable-cgroups`) must match
 * `allowed_security_opts` in its `key=value` form or as written.
 */
export function checkSecurityOpts(
  policy: Policy,
  at: string,
  entries: readonly unknown[],
): FilterDenial | undefined {
  const allowed = policy.options.containers.allowed_security_opts;
  for (const [index, entry] of entries.entries()) {
    const where = `${at}[${index}]`;
    if (typeof entry !== "string") return invalid(`${where} is not a string`);
    const normalized = normalizeSecurityOpt(entry);
    if (
      normalized === NO_NEW_PRIVILEGES ||
      normalized.startsWith(`${NO_NEW_PRIVILEGES}=`)
    ) {
      continue;
    }
    if (
      firstMatch(allowed, normalized) === undefined &&
      firstMatch(allowed, entry) === undefined
    ) {
      return deny(
        RULE,
        `${where} sets security option ${
          quote(entry)
        } which allowed_security_opts does not list`,
      );
    }
  }
  return undefined;
}

/** Checks the privilege-bearing fields of a `HostConfig`. */
export function checkHostConfigPrivileges(
  policy: Policy,
  at: string,
  hostConfig: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  if (hostConfig === undefined) return undefined;
  const containers = policy.options.containers;
  if (field(hostConfig, "Privileged") === true) {
    return deny(RULE, `${at}.Privileged is true`);
  }
  const denial = checkCapabilities(
    policy,
    `${at}.CapAdd`,
    listField(hostConfig, "CapAdd"),
  ) ??
    checkSecurityOpts(
      policy,
      `${at}.SecurityOpt`,
      listField(hostConfig, "SecurityOpt"),
    ) ??
    checkDevices(policy, at, hostConfig);
  if (denial !== undefined) return denial;
  for (const [key, safe] of Object.entries(PRIVATE_NAMESPACE_MODES)) {
    const mode = stringField(hostConfig, key);
    if (!safe.includes(mode)) {
      return deny(
        RULE,
        `${at}.${key} is ${quote(mode)}, which leaves the container's own ` +
          "namespace",
      );
    }
  }
  for (const key of ["Cgroup", "CgroupParent"]) {
    const value = stringField(hostConfig, key);
    if (value !== "") return deny(RULE, `${at}.${key} is ${quote(value)}`);
  }
  const runtime = stringField(hostConfig, "Runtime");
  if (
    !DEFAULT_RUNTIMES.has(runtime) &&
    firstMatch(containers.allowed_runtimes, runtime) === undefined
  ) {
    return deny(
      RULE,
      `${at}.Runtime ${quote(runtime)} is not listed in allowed_runtimes`,
    );
  }
  // An empty list, unlike null, removes the default masking of /proc and
  // /sys; a shorter one removes part of it.
  for (const key of ["MaskedPaths", "ReadonlyPaths"]) {
    if (Array.isArray(field(hostConfig, key))) {
      return deny(
        RULE,
        `${at}.${key} is set, which replaces the engine's default list`,
      );
    }
  }
  if (listField(hostConfig, "Capabilities").length > 0) {
    return deny(RULE, `${at}.Capabilities replaces the capability set`);
  }
  const annotations = recordField(hostConfig, "Annotations");
  if (annotations !== undefined && Object.keys(annotations).length > 0) {
    return deny(
      RULE,
      `${at}.Annotations is set, which the OCI runtime may act on`,
    );
  }
  return undefined;
}

function checkDevices(
  policy: Policy,
  at: string,
  hostConfig: Record<string, unknown>,
): FilterDenial | undefined {
  const allowed = policy.options.containers.allowed_devices;
  for (const [index, item] of listField(hostConfig, "Devices").entries()) {
    const raw = stringField(asRecord(item), "PathOnHost");
    const path = isAbsolutePath(raw) ? cleanPath(raw) : raw;
    if (firstMatch(allowed, path) === undefined) {
      return deny(
        RULE,
        `${at}.Devices[${index}] passes host device ${
          quote(raw)
        } which allowed_devices does not list`,
      );
    }
  }
  for (const key of ["DeviceCgroupRules", "DeviceRequests"]) {
    if (listField(hostConfig, key).length > 0) {
      return deny(RULE, `${at}.${key} is not empty`);
    }
  }
  return undefined;
}
