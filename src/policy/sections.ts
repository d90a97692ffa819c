/**
 * Endpoint sections, method switches and per-action switches.
 *
 * The names are the environment variables that users of Tecnativa's and
 * hypolas' proxies already know, so a migration needs no renaming.
 */

/** Sections that are open unless the user closes them. */
export const SECTIONS_ALLOWED_BY_DEFAULT = [
  "EVENTS",
  "PING",
  "VERSION",
] as const;

/** Sections that are closed unless the user opens them. */
export const SECTIONS_DENIED_BY_DEFAULT = [
  "AUTH",
  "BUILD",
  "COMMIT",
  "CONFIGS",
  "CONTAINERS",
  "DISTRIBUTION",
  "EXEC",
  "GRPC",
  "IMAGES",
  "INFO",
  "NETWORKS",
  "NODES",
  "PLUGINS",
  "SECRETS",
  "SERVICES",
  "SESSION",
  "SWARM",
  "SYSTEM",
  "TASKS",
  "VOLUMES",
] as const;

export const SECTIONS = [
  ...SECTIONS_ALLOWED_BY_DEFAULT,
  ...SECTIONS_DENIED_BY_DEFAULT,
] as const;

export type Section = typeof SECTIONS[number];

/**
 * Methods that change state. Each one is off until switched on; GET and HEAD
 * follow the section alone. `PUT=1` also opens PATCH, as in the seed project.
 */
export const WRITE_METHODS = ["POST", "DELETE", "PUT", "PATCH"] as const;

export type WriteMethod = typeof WRITE_METHODS[number];

/**
 * Per-action switches.
 *
 * The first group grants one container action even when `CONTAINERS` or
 * `POST` is off, as Tecnativa's proxy does, so a dashboard can restart
 * containers without getting the rest of the API. The second group closes
 * routes that `CONTAINERS=1` would otherwise open and that read or write far
 * more than their name suggests.
 */
export const ACTION_SWITCHES = {
  ALLOW_START: { default: false, grants: true },
  ALLOW_STOP: { default: false, grants: true },
  ALLOW_RESTARTS: { default: false, grants: true },
  ALLOW_KILL: { default: false, grants: true },
  ALLOW_PAUSE: { default: false, grants: true },
  ALLOW_UNPAUSE: { default: false, grants: true },
  ALLOW_ATTACH: { default: true, grants: false },
  ALLOW_LOGS: { default: true, grants: false },
  ALLOW_ARCHIVE: { default: false, grants: false },
  ALLOW_EXPORT: { default: false, grants: false },
} as const;

export type ActionSwitch = keyof typeof ACTION_SWITCHES;

export const ACTION_SWITCH_NAMES = Object.keys(
  ACTION_SWITCHES,
) as ActionSwitch[];
