/**
 * The endpoint ACL: which routes a client may call at all, from the
 * section, method and per-action switches. Body and query checks come
 * after this and never widen what it allows.
 */

import { matchRoute, type RouteMatch, ROUTES } from "./routes.ts";
import type { RouteSpec } from "./route_spec.ts";
import {
  ACTION_SWITCH_NAMES,
  ACTION_SWITCHES,
  type ActionSwitch,
  type Section,
  SECTIONS,
  WRITE_METHODS,
  type WriteMethod,
} from "./sections.ts";

/** The switches the ACL reads, all resolved to booleans by the config. */
export interface AclPolicy {
  sections: Readonly<Record<Section, boolean>>;
  methods: Readonly<Record<WriteMethod, boolean>>;
  actions: Readonly<Record<ActionSwitch, boolean>>;
}

/** The ACL's answer for one request. */
export interface AclDecision {
  allowed: boolean;
  /** Which rule decided, e.g. `"section:CONTAINERS"`, `"route:unknown"`. */
  rule: string;
  /** A sentence for the 403 message that names the switch to set. */
  reason: string;
  section: Section | "DEBUG" | null;
  match: RouteMatch | null;
}

/** An ACL bound to one policy. */
export type EndpointAcl = (method: string, routePath: string) => AclDecision;

type RouteVerdict = Omit<AclDecision, "match">;

/**
 * Granting switches that also open routes carrying another switch:
 * `ALLOW_RESTARTS` covers stop and kill as well as restart, as in
 * Tecnativa's proxy.
 */
const ALSO_GRANTED_BY: Readonly<Partial<Record<ActionSwitch, ActionSwitch>>> = {
  ALLOW_STOP: "ALLOW_RESTARTS",
  ALLOW_KILL: "ALLOW_RESTARTS",
};

const DENIED = "endpoint denied";

/**
 * Builds the ACL for a policy. Every route's verdict is computed here, so a
 * request costs one route match and one map lookup.
 *
 * Rules, in order: an unknown route (including OPTIONS and HEAD outside the
 * two HEAD routes) is denied; DEBUG is always denied; a granting action
 * switch that is on allows its route whatever the section and methods say;
 * otherwise the section must be on, a write method needs its own switch
 * (`PUT` does not open `PATCH` here; the config does that), a GET that
 * writes needs `POST`, and a closing action switch must be on.
 *
 * @throws {TypeError} when a switch in the policy is not a boolean
 */
export function createEndpointAcl(policy: AclPolicy): EndpointAcl {
  assertComplete(policy);
  const verdicts = new Map<RouteSpec, RouteVerdict>();
  for (const route of ROUTES) verdicts.set(route, judgeRoute(route, policy));
  return (method, routePath) => {
    const match = matchRoute(method, routePath);
    const verdict = match === null ? undefined : verdicts.get(match.route);
    if (match === null || verdict === undefined) {
      return {
        allowed: false,
        rule: "route:unknown",
        reason: `${DENIED}: ${
          JSON.stringify(`${method} ${routePath}`)
        } is not a known Docker API endpoint`,
        section: null,
        match: null,
      };
    }
    return { ...verdict, match };
  };
}

function judgeRoute(route: RouteSpec, policy: AclPolicy): RouteVerdict {
  const { section, action, method } = route;
  if (section === "DEBUG") {
    return deny("section:DEBUG", "debug endpoints are always denied", section);
  }
  if (action !== undefined && ACTION_SWITCHES[action].grants) {
    const also = ALSO_GRANTED_BY[action];
    const granting = [action, ...(also === undefined ? [] : [also])];
    const on = granting.find((name) => policy.actions[name]);
    if (on !== undefined) {
      return allow(`action:${on}`, `action ${on} is enabled`, section);
    }
  }
  if (!policy.sections[section]) {
    return deny(`section:${section}`, disabled("section", section), section);
  }
  if (isWriteMethod(method) && !policy.methods[method]) {
    return deny(`method:${method}`, disabled("method", method), section);
  }
  if (route.writes && !policy.methods.POST) {
    return deny(
      "method:POST",
      `${method} ${route.template} changes state, which needs method POST ` +
        "(set POST=1)",
      section,
    );
  }
  if (action !== undefined && !ACTION_SWITCHES[action].grants) {
    if (!policy.actions[action]) {
      return deny(`action:${action}`, disabled("action", action), section);
    }
  }
  return allow(`section:${section}`, `section ${section} is enabled`, section);
}

function isWriteMethod(method: string): method is WriteMethod {
  return (WRITE_METHODS as readonly string[]).includes(method);
}

function disabled(kind: string, name: string): string {
  return `${kind} ${name} is disabled (set ${name}=1)`;
}

function deny(
  rule: string,
  why: string,
  section: Section | "DEBUG",
): RouteVerdict {
  return { allowed: false, rule, reason: `${DENIED}: ${why}`, section };
}

function allow(rule: string, why: string, section: Section): RouteVerdict {
  return {
    allowed: true,
    rule,
    reason: `endpoint allowed: ${why}`,
    section,
  };
}

function assertComplete(policy: AclPolicy): void {
  const groups: [
    string,
    Readonly<Record<string, boolean>>,
    readonly string[],
  ][] = [
    ["sections", policy.sections, SECTIONS],
    ["methods", policy.methods, WRITE_METHODS],
    ["actions", policy.actions, ACTION_SWITCH_NAMES],
  ];
  for (const [group, values, names] of groups) {
    for (const name of names) {
      if (typeof values[name] !== "boolean") {
        throw new TypeError(
          `Cannot build endpoint ACL: ${group}.${name} must be a boolean, got ${
            JSON.stringify(values[name])
          }`,
        );
      }
    }
  }
}
