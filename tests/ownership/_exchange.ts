/**
 * Exchanges and engine lookups made up for unit tests of the ownership
 * guard and the policy middleware: no listener, no engine.
 *
 * @module
 */

import type { Exchange } from "../../src/app/exchange.ts";
import { canonicalizeTarget } from "../../src/policy/canonical_target.ts";
import { canonicalizeKeys } from "../../src/policy/filters/go_json.ts";
import { bodySchemaFor } from "../../src/policy/filters/schemas.ts";
import type {
  OwnedObject,
  OwnerLookup,
  VolumeSpec,
} from "../../src/policy/ownership/owner_lookup.ts";
import { matchRoute } from "../../src/policy/routes.ts";

/**
 * An exchange for `method target` whose JSON body (if any) is already
 * read and canonicalised, as the inspection step leaves it.
 */
export function fakeExchange(
  method: string,
  target: string,
  body?: unknown,
  headers: [string, string][] = [],
): Exchange {
  const canonical = canonicalizeTarget(target);
  const route = matchRoute(method, canonical.routePath);
  const schema = route === null ? undefined : bodySchemaFor(route.route.id);
  const json = body === undefined
    ? undefined
    : schema === undefined
    ? body
    : canonicalizeKeys(body, schema);
  return {
    id: "test-1",
    client: "unix:/test.sock",
    startedAt: performance.now(),
    head: { method, target, version: "HTTP/1.1", headers },
    target: canonical,
    requestFraming: json === undefined
      ? { kind: "none" }
      : { kind: "length", length: 1 },
    body: json === undefined ? { kind: "none" } : {
      kind: "bytes",
      bytes: new TextEncoder().encode(JSON.stringify(json)),
    },
    readBody: () => Promise.reject(new Error("body already read")),
    verdict: { decision: "deny", rule: "none", reason: "", section: null },
    route,
    relay: null,
    hijack: false,
    bytesIn: 0,
    bytesOut: 0,
  };
}

/** The body the exchange would forward, parsed. */
export function forwardedBody(exchange: Exchange): unknown {
  if (exchange.body.kind !== "bytes") return undefined;
  return JSON.parse(new TextDecoder().decode(exchange.body.bytes));
}

/** What a fake engine holds, by reference (name, ID or prefix). */
export interface FakeObjects {
  containers?: Record<string, OwnedObject>;
  execs?: Record<string, OwnedObject>;
  volumes?: Record<string, OwnedObject>;
  networks?: Record<string, OwnedObject & { name: string }>;
  images?: Record<string, OwnedObject>;
}

/** A lookup over `objects`; records the volumes it was asked to create. */
export function fakeLookup(
  objects: FakeObjects,
): OwnerLookup & { created: VolumeSpec[]; asked: string[] } {
  const created: VolumeSpec[] = [];
  const asked: string[] = [];
  const find =
    <T>(kind: string, table: Record<string, T> | undefined) =>
    (ref: string): Promise<T | null> => {
      asked.push(`${kind}:${ref}`);
      return Promise.resolve(
        table !== undefined && Object.hasOwn(table, ref) ? table[ref]! : null,
      );
    };
  return {
    created,
    asked,
    container: find("container", objects.containers),
    exec: find("exec", objects.execs),
    volume: find("volume", objects.volumes),
    network: find("network", objects.networks),
    image: find("image", objects.images),
    createVolume(spec) {
      created.push(spec);
      return Promise.resolve({ id: spec.name, labels: spec.labels });
    },
  };
}
