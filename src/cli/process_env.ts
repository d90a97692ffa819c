/**
 * Reading dockgate's settings from the process environment.
 *
 * @module
 */

import { ConfigError } from "../config/config_error.ts";

/**
 * The whole process environment.
 *
 * All of it, not just the names dockgate knows: the loader refuses an
 * unknown `DKRPRX__` name, and it can only see one in a full listing.
 * `permissions.ts` grants an unscoped `--allow-env` for this.
 *
 * @throws {ConfigError} when the environment may not be listed, since a
 *   misspelled filter variable would then go unnoticed and its protection
 *   would be dropped
 */
export function readProcessEnv(): Record<string, string> {
  if (Deno.permissions.querySync({ name: "env" }).state !== "granted") {
    throw new ConfigError([{
      key: "",
      source: "env",
      message: "cannot list the environment: grant it with an unscoped " +
        "--allow-env, without which a misspelled DKRPRX__ variable " +
        "would go unnoticed",
    }]);
  }
  return Deno.env.toObject();
}
