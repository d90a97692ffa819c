/**
 * Helpers for config tests: temporary files and issue capture.
 *
 * @module
 */

import { fail } from "node:assert/strict";
import {
  ConfigError,
  type ConfigIssue,
} from "../../src/config/config_error.ts";
import {
  loadConfig,
  type LoadConfigOptions,
} from "../../src/config/load_config.ts";

/** Runs `body` with `files` written to a fresh temp dir, then removes it. */
export function withFiles<T>(
  files: Record<string, string>,
  body: (paths: Record<string, string>) => T,
): T {
  const dir = Deno.makeTempDirSync({ prefix: "dockgate-config-" });
  try {
    const paths: Record<string, string> = {};
    for (const [name, text] of Object.entries(files)) {
      paths[name] = `${dir}/${name}`;
      Deno.writeTextFileSync(`${dir}/${name}`, text);
    }
    return body(paths);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

/** The ConfigError that `loadConfig(options)` throws; fails if it loads. */
export function loadError(options: LoadConfigOptions): ConfigError {
  try {
    loadConfig(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  return fail(`loadConfig() accepted ${JSON.stringify(options)}`);
}

/** The issues of `loadError(options)`. */
export function loadIssues(options: LoadConfigOptions): ConfigIssue[] {
  return loadError(options).issues;
}

/** The only issue of `loadError(options)`; fails when there are others. */
export function loadIssue(options: LoadConfigOptions): ConfigIssue {
  const issues = loadIssues(options);
  if (issues.length !== 1 || issues[0] === undefined) {
    fail(`expected one issue, got ${JSON.stringify(issues, null, 2)}`);
  }
  return issues[0];
}
