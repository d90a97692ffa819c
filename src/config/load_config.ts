/**
 * Build dockgate's configuration from the environment and optional files.
 *
 * Layers, later ones winning key by key (never section by section):
 *
 * 1. defaults, from `schema.ts`;
 * 2. the file named by FILTERS_CONFIG, which holds only the `filters:`
 *    section (the seed project's JSON filters file);
 * 3. the main YAML or JSON file (`configFile`, else DOCKGATE_CONFIG);
 * 4. environment variables (see `env_source.ts`).
 *
 * @module
 */

import * as v from "valibot";
import { ConfigError, type ConfigIssue } from "./config_error.ts";
import { pathKey, readEnvLayer } from "./env_source.ts";
import { type FileRef, readFileLayer } from "./file_source.ts";
import { checkProfiles } from "./profile_checks.ts";
import {
  emptyInput,
  findOrigin,
  type MergedInput,
  overlay,
} from "./layer_merge.ts";
import { CONFIG_SCHEMA, type DockgateConfig } from "./schema.ts";
import { quote } from "./value_parsers.ts";

/** What `loadConfig` reads. */
export interface LoadConfigOptions {
  /** The process environment, e.g. `Deno.env.toObject()`. */
  env: Record<string, string>;
  /** Main config file; when undefined, env DOCKGATE_CONFIG names it. */
  configFile?: string | undefined;
  /**
   * Says why a file the configuration names may not be read under the
   * process's permissions, or null when it may. Asked before each token
   * file is read, so that a file outside the sandbox is reported with the
   * setting to widen rather than with Deno's advice to rerun with a flag.
   * Default: none (a read error is reported as it comes).
   */
  readProblem?: ((purpose: string, path: string) => string | null) | undefined;
}

type IssuePath = readonly (string | number)[];

function formatPath(path: IssuePath): string {
  let text = "";
  for (const segment of path) {
    text += typeof segment === "number" ? `[${segment}]` : `.${segment}`;
  }
  return text.replace(/^\./, "");
}

/** Turn a problem at a config path into an issue against its source. */
function issueAt(
  merged: MergedInput,
  path: IssuePath,
  atKey: boolean,
  message: string,
): ConfigIssue {
  const found = findOrigin(merged, path);
  if (found?.origin.source === "env") {
    return { key: found.origin.name, source: "env", message };
  }
  if (found?.origin.source === "file") {
    const { layer, prefix } = found.origin;
    const filePath = path.slice(prefix.length);
    const position = layer.locate(filePath, atKey);
    return {
      key: formatPath(filePath),
      source: "file",
      file: layer.file,
      ...position,
      message,
    };
  }
  // Defaults are valid by construction, so this only happens for checks
  // that combine values where none was set explicitly.
  return { key: formatPath(path), source: "file", message };
}

function schemaIssues(
  merged: MergedInput,
  issues: readonly v.BaseIssue<unknown>[],
): ConfigIssue[] {
  return issues.map((issue) => {
    const items = issue.path ?? [];
    const path = items.map((item) => item.key as string | number);
    const last = items[items.length - 1] as { origin?: string } | undefined;
    return issueAt(merged, path, last?.origin === "key", issue.message);
  });
}

/** Checks that span several keys, run once every key is valid. */
function crossChecks(
  merged: MergedInput,
  config: v.InferOutput<typeof CONFIG_SCHEMA>,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const { listen, docker } = config;
  if (
    listen.addr === null && listen.socket === null &&
    config.listeners.length === 0
  ) {
    issues.push(
      issueAt(
        merged,
        ["listen", "addr"],
        false,
        "nothing to listen on: no TCP address and no Unix socket",
      ),
    );
  }
  if (docker.socket.kind === "unix" && listen.socket === docker.socket.path) {
    issues.push(
      issueAt(
        merged,
        ["listen", "socket"],
        false,
        `is the engine socket itself: ${quote(listen.socket)}`,
      ),
    );
  }
  return issues;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

function mainFileRef(options: LoadConfigOptions): FileRef | undefined {
  if (options.configFile !== undefined) {
    return { file: options.configFile, key: "", source: "file" };
  }
  const fromEnv = options.env["DOCKGATE_CONFIG"];
  if (fromEnv === undefined || fromEnv.trim() === "") return undefined;
  return { file: fromEnv, key: "DOCKGATE_CONFIG", source: "env" };
}

/**
 * Load, merge and validate the configuration.
 *
 * @returns a deeply frozen configuration object
 * @throws {ConfigError} listing every problem found, with the variable name
 *   or the file, line and column of each
 *
 * @example
 * ```ts
 * const config = loadConfig({ env: Deno.env.toObject() });
 * if (config.sections.CONTAINERS) console.log("containers are open");
 * ```
 */
export function loadConfig(options: LoadConfigOptions): DockgateConfig {
  const issues: ConfigIssue[] = [];
  const merged = emptyInput();

  const filtersFile = options.env["FILTERS_CONFIG"];
  if (filtersFile !== undefined && filtersFile.trim() !== "") {
    const layer = readFileLayer({
      file: filtersFile,
      key: "FILTERS_CONFIG",
      source: "env",
    });
    issues.push(...layer.issues);
    if (layer.value !== undefined) {
      const origin = { source: "file", layer, prefix: ["filters"] } as const;
      overlay(merged, layer.value, ["filters"], () => origin);
    }
  }

  const mainRef = mainFileRef(options);
  if (mainRef !== undefined) {
    const layer = readFileLayer(mainRef);
    issues.push(...layer.issues);
    if (layer.value !== undefined) {
      const origin = { source: "file", layer, prefix: [] } as const;
      overlay(merged, layer.value, [], () => origin);
    }
  }

  const env = readEnvLayer(options.env);
  issues.push(...env.issues);
  overlay(merged, env.value, [], (path) => {
    const name = env.names.get(pathKey(path));
    return name === undefined ? undefined : { source: "env", name };
  });

  const result = v.safeParse(CONFIG_SCHEMA, merged.value);
  if (result.success) {
    issues.push(...checkProfiles(result.output, {
      env: options.env,
      issueAt: (path, atKey, message) => issueAt(merged, path, atKey, message),
      isSet: (path) => findOrigin(merged, path)?.depth === path.length,
      readProblem: options.readProblem,
    }));
    issues.push(...crossChecks(merged, result.output));
  } else {
    issues.push(...schemaIssues(merged, result.issues));
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues);
  return deepFreeze(result.output) as DockgateConfig;
}
