/**
 * `dockgate check [--config FILE]`: validates the configuration the way
 * the proxy would load it, compiles every profile, and prints the
 * effective policy of each profile with the listeners that lead to it.
 * Token values are never printed, only how many there are.
 *
 * Exit codes: 0 valid, 1 invalid.
 *
 * @module
 */

import { ConfigError } from "../config/config_error.ts";
import { loadConfig } from "../config/load_config.ts";
import type { DockgateConfig } from "../config/schema.ts";
import { createEndpointAcl } from "../policy/endpoint_acl.ts";
import { createRequestFilters } from "../policy/filters/request_filters.ts";
import {
  type ListenerSpec,
  listenerSpecs,
  type ProfileSpec,
  profileSpecs,
} from "../profiles/profile_specs.ts";

/** Options of {@linkcode runCheck}. */
export interface CheckOptions {
  env: Record<string, string>;
  configFile: string | undefined;
  /** Where the report goes. */
  write(text: string): void;
  /** See `LoadConfigOptions.readProblem`. Default: none. */
  readProblem?: ((purpose: string, path: string) => string | null) | undefined;
}

/** Patterns print as the text the user wrote. */
function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, item) => {
    if (
      item !== null && typeof item === "object" && "regexp" in item &&
      "source" in item
    ) {
      return item.source;
    }
    return item;
  }));
}

/** `path: value` for every leaf of `value` that differs from `base`. */
function differences(
  value: unknown,
  base: unknown,
  path: string,
  out: string[],
): void {
  const isMap = (item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item);
  if (isMap(value) && isMap(base)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      differences(
        record[key],
        (base as Record<string, unknown>)[key],
        `${path}.${key}`,
        out,
      );
    }
    return;
  }
  if (JSON.stringify(value) !== JSON.stringify(base)) {
    out.push(`${path}: ${JSON.stringify(value)}`);
  }
}

function switchesOn(switches: Readonly<Record<string, boolean>>): string {
  const on = Object.entries(switches).filter(([, value]) => value)
    .map(([name]) => name);
  return on.length === 0 ? "(none)" : on.join(" ");
}

function describeRules(listener: ListenerSpec, profile: string): string[] {
  const endpoint = "addr" in listener && listener.tls !== null
    ? `${listener.endpoint} (TLS)`
    : listener.endpoint;
  return listener.rules.filter((rule) => rule.profile === profile)
    .map((rule) =>
      rule.cidrs === null
        ? endpoint
        : `${endpoint} from ${rule.cidrs.map((cidr) => cidr.source).join(", ")}`
    );
}

/** The effective policy of one profile, as indented lines. */
export function describeProfile(
  spec: ProfileSpec,
  listeners: readonly ListenerSpec[],
  defaultFilters: unknown,
): string[] {
  const reached = listeners.flatMap((listener) =>
    describeRules(listener, spec.name)
  );
  const filters: string[] = [];
  differences(
    plain(spec.filters),
    plain(defaultFilters),
    "filters",
    filters,
  );
  return [
    `profile ${JSON.stringify(spec.name)}`,
    `  listeners:   ${reached.length === 0 ? "(none)" : reached.join("; ")}`,
    `  sections:    ${switchesOn(spec.sections)}`,
    `  methods:     ${switchesOn(spec.methods)}`,
    `  actions:     ${switchesOn(spec.actions)}`,
    `  owner label: ${
      spec.ownerLabel === null
        ? "(none)"
        : `${spec.ownerLabel.name}=${spec.ownerLabel.value}`
    }`,
    `  audit only:  ${spec.auditOnly ? "yes: nothing is denied" : "no"}`,
    `  tokens:      ${
      spec.tokens.length === 0
        ? "none needed"
        : `${spec.tokens.length} (values not shown)`
    }`,
    `  filters:     ${filters.length === 0 ? "defaults" : "defaults, except:"}`,
    ...filters.map((line) => `    ${line}`),
  ];
}

/**
 * Compiles every profile as the proxy would.
 *
 * @throws {TypeError} when one cannot be compiled
 */
export function compileForCheck(config: DockgateConfig): void {
  for (const spec of profileSpecs(config)) {
    createEndpointAcl(spec);
    createRequestFilters({ ...spec.filters, engine_socket_paths: [] });
  }
}

/** The whole report for a valid configuration. */
export function describeConfig(config: DockgateConfig): string {
  const listeners = listenerSpecs(config);
  const defaults = loadConfig({ env: {} }).filters;
  const lines = [
    `engine: ${
      config.docker.socket.kind === "unix"
        ? `unix://${config.docker.socket.path}`
        : `tcp://${config.docker.socket.host}:${config.docker.socket.port}`
    }`,
    `admin:  ${config.admin.enabled ? config.admin.addr : "(off)"}`,
  ];
  for (const spec of profileSpecs(config)) {
    lines.push("", ...describeProfile(spec, listeners, defaults));
  }
  return lines.join("\n") + "\n";
}

/** Runs `dockgate check`; returns the exit code. */
export function runCheck(options: CheckOptions): number {
  let config: DockgateConfig;
  try {
    config = loadConfig({
      env: options.env,
      configFile: options.configFile,
      readProblem: options.readProblem,
    });
    compileForCheck(config);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof TypeError)) {
      throw error;
    }
    options.write(`dockgate: ${error.message}\n`);
    return 1;
  }
  options.write(`Configuration is valid.\n${describeConfig(config)}`);
  return 0;
}
