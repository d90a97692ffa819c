/**
 * Host filesystem access, whatever the spelling: bind sources, volume
 * names and drivers, local-driver options that mount a host path, and the
 * `Mounts` list shared by containers and services.
 *
 * A host path is denied when it exposes a protected engine socket (it is
 * the socket or one of its ancestors), when it matches a `denied_paths`
 * pattern (also tried with a trailing "/", so `^/etc/.*` covers `/etc`),
 * when it is an ancestor of the literal directory a denied pattern starts
 * with (so `^/etc/.*` covers `/`), or when `allowed_paths` is set and no
 * pattern matches the whole cleaned path. Symlinks on the host are not
 * resolved: a link inside an allowed directory can point anywhere.
 *
 * @module
 */

import { cleanPath, isAbsolutePath, pathExposes } from "./host_path.ts";
import type { ImageCheck } from "./image_policy.ts";
import {
  allowedBy,
  asRecord,
  checkName,
  deny,
  invalid,
  quote,
  recordField,
  stringField,
} from "./policy.ts";
import type { Policy } from "./policy.ts";
import type { FilterDenial } from "./types.ts";

const LOCAL_DRIVER = "local";
const BIND_WORD_REGEXP = /^r?bind$/i;
/** Filesystems on a block device or image file named by `device`. */
const BLOCK_FS_TYPES: ReadonlySet<string> = new Set([
  "ext2",
  "ext3",
  "ext4",
  "xfs",
  "btrfs",
  "vfat",
  "msdos",
  "exfat",
  "ntfs",
  "ntfs3",
  "iso9660",
  "udf",
  "squashfs",
  "erofs",
  "f2fs",
]);
/** Network filesystems: `device` names a remote share. */
const NETWORK_FS_TYPES: ReadonlySet<string> = new Set([
  "nfs",
  "nfs4",
  "cifs",
  "smb3",
]);
/**
 * Filesystems with no host data of their own: `device` is only a label;
 * overlay's host directories come from `o` and are checked there.
 */
const DEVICELESS_FS_TYPES: ReadonlySet<string> = new Set(["tmpfs", "overlay"]);
/** Overlay options whose values are host directories (`+=` appends one). */
const OVERLAY_DIR_KEY_REGEXP = /^(?:lowerdir|upperdir|workdir|datadir)\+?$/;

/**
 * Checks a host path that a request mounts into a container. `field`
 * names where it came from, e.g. `HostConfig.Binds[0]`.
 */
export function checkHostPath(
  policy: Policy,
  field: string,
  raw: string,
): FilterDenial | undefined {
  if (!isAbsolutePath(raw)) {
    return invalid(`${field} host path ${quote(raw)} is not absolute`);
  }
  // The engine's absolute-path test turns "\" into "/" but the mount
  // keeps it; refuse rather than guess which one the kernel will see.
  if (raw.includes("\\") || raw.includes("\0")) {
    return invalid(`${field} host path ${quote(raw)} contains "\\" or NUL`);
  }
  const path = cleanPath(raw);
  const shown = path === raw ? quote(path) : `${quote(raw)} (${quote(path)})`;
  for (const socket of policy.protectedSockets) {
    if (pathExposes(path, socket)) {
      return deny(
        "defaults.engine_socket",
        `${field} mounts ${shown} which exposes the engine socket ${socket}`,
      );
    }
  }
  const volumes = policy.options.volumes;
  for (const rule of policy.deniedPaths) {
    const probe = path === "/" ? path : `${path}/`;
    if (rule.pattern.regexp.test(path) || rule.pattern.regexp.test(probe)) {
      return deny(
        "volumes.denied_paths",
        `${field} mounts ${shown} which matches denied pattern ${
          quote(rule.pattern.source)
        }`,
      );
    }
    const dir = rule.dirs.find((d) => pathExposes(path, d));
    if (dir !== undefined) {
      return deny(
        "volumes.denied_paths",
        `${field} mounts ${shown} which contains ${dir}, covered by denied ` +
          `pattern ${quote(rule.pattern.source)}`,
      );
    }
  }
  if (!allowedBy(volumes.allowed_paths, path)) {
    return deny(
      "volumes.allowed_paths",
      `${field} mounts ${shown} which matches no allowed pattern`,
    );
  }
  return undefined;
}

/** Checks a volume driver; "" is the engine's default, `local`. */
export function checkVolumeDriver(
  policy: Policy,
  field: string,
  driver: string,
): FilterDenial | undefined {
  const name = driver === "" ? LOCAL_DRIVER : driver;
  if (allowedBy(policy.options.volumes.allowed_drivers, name)) return undefined;
  return deny(
    "volumes.allowed_drivers",
    `${field} uses volume driver ${quote(name)} which matches no allowed ` +
      "pattern",
  );
}

/** Checks the name of a volume a request creates or uses. */
export function checkVolumeName(
  policy: Policy,
  field: string,
  name: string,
): FilterDenial | undefined {
  const volumes = policy.options.volumes;
  return checkName(
    {
      area: "volumes",
      allowed: volumes.allowed_names,
      denied: volumes.denied_names,
    },
    field,
    name,
  );
}

/**
 * Checks the options of a `local` driver volume, which are arguments to
 * mount(2): `device` is a host path when it is absolute (`type=none,
 * o=bind,device=/` mounts the host root), and every absolute path in an
 * `o` value is one too (overlay `lowerdir=/a:/b`, cifs `credentials=`). A
 * relative bind or block device or overlay directory would be resolved
 * against the engine's working directory, so it is refused.
 *
 * The engine mounts the volume in its own namespaces, so a kernel
 * filesystem (`type=proc`, `sysfs`, `cgroup2`, …) would hand the container
 * the host's, writable and unmasked: with `deny_privileged`, only the
 * filesystem types listed here are accepted.
 */
export function checkLocalDriverOptions(
  policy: Policy,
  field: string,
  options: Record<string, unknown> | undefined,
): FilterDenial | undefined {
  const type = stringField(options, "type");
  const device = stringField(options, "device");
  const words = stringField(options, "o").split(",");
  const binds = words.some((word) => BIND_WORD_REGEXP.test(word.trim())) ||
    type === "" || type === "none" || type === "bind";
  const known = NETWORK_FS_TYPES.has(type) || DEVICELESS_FS_TYPES.has(type);
  if (!binds && !known && !BLOCK_FS_TYPES.has(type)) {
    if (policy.options.containers.deny_privileged) {
      return deny(
        "containers.deny_privileged",
        `${field}["type"] ${quote(type)} is not a filesystem dockgate can ` +
          "check; kernel filesystems would expose the host's",
      );
    }
  }
  if (device !== "") {
    const deviceField = `${field}["device"]`;
    if (isAbsolutePath(device)) {
      const denial = checkHostPath(policy, deviceField, device);
      if (denial !== undefined) return denial;
    } else if (!known) {
      return invalid(`${deviceField} ${quote(device)} is not absolute`);
    }
  }
  for (const word of words) {
    const [key = "", value] = splitOnce(word.trim(), "=");
    if (value === undefined) continue;
    const dirs = OVERLAY_DIR_KEY_REGEXP.test(key);
    for (const piece of value.split(":")) {
      if (!isAbsolutePath(piece) && !dirs) continue;
      const denial = checkHostPath(policy, `${field}["o"] ${key}`, piece);
      if (denial !== undefined) return denial;
    }
  }
  return undefined;
}

function splitOnce(text: string, separator: string): [string, string?] {
  const at = text.indexOf(separator);
  return at === -1 ? [text] : [text.slice(0, at), text.slice(at + 1)];
}

/**
 * Checks a `Mounts` list (containers and services): bind sources, volume
 * names, drivers and driver options, and image sources through
 * `checkImage` (the `image` type takes an image reference).
 */
export function checkMounts(
  policy: Policy,
  field: string,
  mounts: readonly unknown[],
  checkImage: ImageCheck,
): FilterDenial | undefined {
  for (const [index, item] of mounts.entries()) {
    const mount = asRecord(item);
    const at = `${field}[${index}]`;
    const type = stringField(mount, "Type");
    const source = stringField(mount, "Source");
    let denial: FilterDenial | undefined;
    if (type === "bind") {
      denial = checkHostPath(policy, `${at}.Source`, source);
    } else if (type === "volume") {
      const driverConfig = recordField(
        recordField(mount, "VolumeOptions"),
        "DriverConfig",
      );
      denial = (source === ""
        ? undefined
        : checkVolumeName(policy, `${at}.Source`, source)) ??
        checkVolumeDriver(
          policy,
          `${at}.VolumeOptions.DriverConfig.Name`,
          stringField(driverConfig, "Name"),
        );
      const driver = stringField(driverConfig, "Name");
      if (denial === undefined && (driver === "" || driver === LOCAL_DRIVER)) {
        denial = checkLocalDriverOptions(
          policy,
          `${at}.VolumeOptions.DriverConfig.Options`,
          recordField(driverConfig, "Options"),
        );
      }
    } else if (type === "image") {
      denial = checkImage(`${at}.Source`, source);
    }
    if (denial !== undefined) return denial;
  }
  return undefined;
}

/** Whether any host-path rule is configured (besides the defaults). */
export function hasPathRules(policy: Policy): boolean {
  const volumes = policy.options.volumes;
  return volumes.allowed_paths.length > 0 || volumes.denied_paths.length > 0;
}
