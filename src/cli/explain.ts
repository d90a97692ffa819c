/**
 * `dockgate explain [--config FILE] [--profile NAME] METHOD PATH [BODY]`:
 * prints what a profile decides for one request and the rule that made the
 * decision, using the same route table, ACL, body decoding and filters as
 * the proxy, without contacting the engine.
 *
 * Some checks need the engine when serving: container references are
 * resolved to IDs (here they are judged by name), and owner isolation asks
 * who owns the object named. Those are printed as notes, and a decision
 * that depends on them says so.
 *
 * BODY is JSON text, `@FILE` to read a file, or `-` for stdin.
 * Exit codes: 0 allowed (or audit-deny), 1 bad usage or configuration,
 * 3 denied.
 *
 * @module
 */

import { ConfigError } from "../config/config_error.ts";
import { loadConfig } from "../config/load_config.ts";
import { DEFAULT_PROFILE } from "../config/schema.ts";
import { canonicalizeTarget, TargetError } from "../policy/canonical_target.ts";
import { collectContainerRefs } from "../policy/filters/container_refs.ts";
import {
  BodyError,
  canonicalizeKeys,
  decodeEngineJson,
} from "../policy/filters/go_json.ts";
import { createRequestFilters } from "../policy/filters/request_filters.ts";
import { bodySchemaFor } from "../policy/filters/schemas.ts";
import type { FilterContext } from "../policy/filters/types.ts";
import { createEndpointAcl } from "../policy/endpoint_acl.ts";
import { parseGoQuery } from "../policy/go_query.ts";
import { ownershipKind } from "../policy/ownership/owner_routes.ts";
import { ownerFilterValue } from "../policy/ownership/query_rewrite.ts";
import { type ProfileSpec, profileSpecs } from "../profiles/profile_specs.ts";

/** Options of {@linkcode runExplain}. */
export interface ExplainOptions {
  args: readonly string[];
  env: Record<string, string>;
  write(text: string): void;
  /** Reads stdin for a BODY of "-". */
  readStdin?(): Uint8Array;
}

/** What the profile would do with the request. */
export interface Explanation {
  profile: string;
  route: string | null;
  section: string | null;
  decision: "allow" | "deny" | "audit-deny";
  rule: string;
  reason: string;
  /** What the proxy would do that needs the engine, or rewrites. */
  notes: string[];
}

/** The request to explain. */
export interface ExplainRequest {
  method: string;
  target: string;
  /** The JSON body as bytes, or null for none. */
  body: Uint8Array | null;
}

const EXIT_DENIED = 3;

const OWNERSHIP_NOTES: Readonly<Record<string, string>> = {
  "list": "the engine lists only objects labelled {label}",
  "container": "allowed only if the container carries {label}",
  "exec": "allowed only if the exec's container carries {label}",
  "volume": "allowed only if the volume carries {label}",
  "network": "allowed only if the network carries {label}",
  "network.attach":
    "allowed only if the network and the container carry {label}",
  "image.read": "allowed only if the image carries {label} or no owner label",
  "image.write": "allowed only if the image carries {label}",
  "image.tag":
    "the source must be readable and the new tag must not name another's image",
  "image.export": "every image must carry {label} or no owner label",
  "image.create":
    "a pull may not replace another owner's tag; an import is stamped with {label}",
  "container.create":
    "stamped with {label}; referenced containers, networks and volumes must carry it",
  "container.commit":
    "the container must carry {label}; the image is stamped with it",
  "volume.create": "stamped with {label}",
  "network.create": "stamped with {label}",
  "build": "the image is stamped with {label}; tags may not replace another's",
};

/** Judges `request` under `spec` without an engine. */
export function explainRequest(
  spec: ProfileSpec,
  request: ExplainRequest,
): Explanation {
  const result: Explanation = {
    profile: spec.name,
    route: null,
    section: null,
    decision: "allow",
    rule: "",
    reason: "",
    notes: [],
  };
  const refuse = (rule: string, reason: string) => {
    result.decision = spec.auditOnly ? "audit-deny" : "deny";
    result.rule = rule;
    result.reason = reason;
    return result;
  };
  let target;
  try {
    target = canonicalizeTarget(request.target);
  } catch (error) {
    if (!(error instanceof TargetError)) throw error;
    // Refused before any profile applies: audit-only does not help.
    return {
      ...result,
      decision: "deny",
      rule: "target:invalid",
      reason: error.message,
    };
  }
  const acl = createEndpointAcl(spec)(request.method, target.routePath);
  result.route = acl.match?.route.id ?? null;
  result.section = acl.section;
  result.rule = acl.rule;
  result.reason = acl.reason;
  if (!acl.allowed) return refuse(acl.rule, acl.reason);
  const match = acl.match!;
  let body: unknown = undefined;
  let query;
  try {
    query = parseGoQuery(target.rawQuery);
    if (request.body !== null && match.route.body === "json") {
      body = decodeEngineJson(request.body);
      const schema = bodySchemaFor(match.route.id);
      if (schema !== undefined) body = canonicalizeKeys(body, schema);
    }
  } catch (error) {
    if (!(error instanceof BodyError) && !(error instanceof URIError)) {
      throw error;
    }
    return {
      ...result,
      decision: "deny",
      rule: "request.invalid",
      reason: error.message,
    };
  }
  const context: FilterContext = {
    routeId: match.route.id,
    params: match.params,
    query,
    body,
    apiVersion: target.apiVersion,
  };
  const refs = collectContainerRefs(context);
  if (refs.length > 0) {
    result.notes.push(
      `container references are resolved through the engine when serving; ` +
        `judged here by name only: ${refs.join(", ")}`,
    );
  }
  const verdict = createRequestFilters({
    ...spec.filters,
    engine_socket_paths: [],
  })(context);
  if (!verdict.allowed) {
    if (verdict.status !== 403) {
      return {
        ...result,
        decision: "deny",
        rule: verdict.rule,
        reason: verdict.reason,
      };
    }
    return refuse(verdict.rule, verdict.reason);
  }
  if (spec.ownerLabel !== null) {
    const kind = ownershipKind(match.route.id);
    const label = ownerFilterValue(spec.ownerLabel);
    if (kind === "deny") {
      return refuse(
        "ownership.engine_wide",
        `${match.route.id} acts on the whole engine, not on one owner's objects`,
      );
    }
    const note = OWNERSHIP_NOTES[kind];
    if (note !== undefined) {
      result.notes.push(`owner isolation: ${note.replace("{label}", label)}`);
    }
  }
  return result;
}

function formatExplanation(explanation: Explanation): string {
  const lines = [
    `profile:  ${explanation.profile}`,
    `route:    ${explanation.route ?? "(none)"}${
      explanation.section === null ? "" : ` (section ${explanation.section})`
    }`,
    `decision: ${explanation.decision}`,
    `rule:     ${explanation.rule}`,
    `reason:   ${explanation.reason}`,
    ...explanation.notes.map((note) => `note:     ${note}`),
  ];
  return lines.join("\n") + "\n";
}

interface ExplainArguments {
  configFile: string | undefined;
  profile: string;
  positional: string[];
}

function parseExplainArguments(args: readonly string[]): ExplainArguments {
  let configFile: string | undefined;
  let profile = DEFAULT_PROFILE;
  const positional: string[] = [];
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const next = () => {
      const value = args[++index];
      if (value === undefined) throw new TypeError(`${arg} needs a value`);
      return value;
    };
    if (arg === "--config" || arg === "-c") configFile = next();
    else if (arg.startsWith("--config=")) configFile = arg.slice(9);
    else if (arg === "--profile" || arg === "-p") profile = next();
    else if (arg.startsWith("--profile=")) profile = arg.slice(10);
    else positional.push(arg);
  }
  if (positional.length < 2 || positional.length > 3) {
    throw new TypeError(
      "usage: dockgate explain [--config FILE] [--profile NAME] METHOD PATH [BODY]",
    );
  }
  return { configFile, profile, positional };
}

function readBodyArgument(
  text: string | undefined,
  readStdin: (() => Uint8Array) | undefined,
): Uint8Array | null {
  if (text === undefined) return null;
  if (text === "-") {
    if (readStdin === undefined) throw new TypeError("no stdin to read");
    return readStdin();
  }
  if (text.startsWith("@")) return Deno.readFileSync(text.slice(1));
  return new TextEncoder().encode(text);
}

/** Runs `dockgate explain`; returns the exit code. */
export function runExplain(options: ExplainOptions): number {
  let parsed: ExplainArguments;
  let body: Uint8Array | null;
  try {
    parsed = parseExplainArguments(options.args);
    body = readBodyArgument(parsed.positional[2], options.readStdin);
  } catch (error) {
    options.write(`dockgate: ${(error as Error).message}\n`);
    return 1;
  }
  let specs: ProfileSpec[];
  try {
    specs = profileSpecs(
      loadConfig({ env: options.env, configFile: parsed.configFile }),
    );
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    options.write(`dockgate: ${error.message}\n`);
    return 1;
  }
  const spec = specs.find((candidate) => candidate.name === parsed.profile);
  if (spec === undefined) {
    options.write(
      `dockgate: unknown profile: ${JSON.stringify(parsed.profile)} (known: ${
        specs.map((candidate) => candidate.name).join(", ")
      })\n`,
    );
    return 1;
  }
  const explanation = explainRequest(spec, {
    method: parsed.positional[0]!.toUpperCase(),
    target: parsed.positional[1]!,
    body,
  });
  options.write(formatExplanation(explanation));
  return explanation.decision === "deny" ? EXIT_DENIED : 0;
}
