/**
 * The engine calls owner isolation makes before deciding: who owns the
 * object a request names. Names are not identities, so every reference is
 * resolved by the engine itself (full ID, unique prefix or name).
 *
 * @module
 */

import { exchangeWithEngine } from "../../upstream/engine_exchange.ts";
import { readAnswerBody } from "../../upstream/engine_lookup.ts";
import type { EnginePool } from "../../upstream/engine_pool.ts";

/** An engine object as owner isolation sees it. */
export interface OwnedObject {
  /** ID (containers, networks, images, execs) or name (volumes). */
  readonly id: string;
  /** The object's labels; empty when it has none. */
  readonly labels: Readonly<Record<string, string>>;
}

/** A volume to create ahead of a container that names it. */
export interface VolumeSpec {
  readonly name: string;
  readonly driver: string | null;
  readonly driverOpts: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** The lookups the ownership guard needs; tests pass a fake. */
export interface OwnerLookup {
  container(ref: string): Promise<OwnedObject | null>;
  /** The exec, with the labels of the container it runs in. */
  exec(id: string): Promise<OwnedObject | null>;
  volume(name: string): Promise<OwnedObject | null>;
  network(ref: string): Promise<(OwnedObject & { name: string }) | null>;
  image(ref: string): Promise<OwnedObject | null>;
  /** Creates a volume, or returns the one that already has this name. */
  createVolume(spec: VolumeSpec): Promise<OwnedObject>;
}

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const ENCODER = new TextEncoder();

async function callEngine(
  pool: EnginePool,
  method: "GET" | "POST",
  path: string,
  body?: unknown,
): Promise<Record<string, unknown> | null> {
  const sent = body === undefined ? null : ENCODER.encode(JSON.stringify(body));
  const response = await exchangeWithEngine(pool, {
    method,
    target: path,
    headers: sent === null ? [] : [["Content-Type", "application/json"]],
    body: sent === null ? { kind: "none" } : { kind: "bytes", bytes: sent },
  });
  const bytes = await readAnswerBody(response, MAX_ANSWER_BYTES);
  if (bytes === undefined) {
    throw new RangeError(`engine's answer to ${path} is too large`);
  }
  const status = response.head.status;
  if (status === 404) return null;
  if (status < 200 || status > 299) {
    throw new Error(`engine answered ${status} to ${method} ${path}`);
  }
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (parsed === null || typeof parsed !== "object") {
    throw new Error(`engine's answer to ${path} is not an object`);
  }
  return parsed as Record<string, unknown>;
}

function stringAt(body: Record<string, unknown>, key: string): string {
  const value = body[key];
  if (typeof value !== "string") {
    throw new Error(`engine's answer has no ${key}`);
  }
  return value;
}

function labelsOf(value: unknown): Record<string, string> {
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new Error("engine's answer has labels that are not a map");
  }
  const labels: Record<string, string> = {};
  for (const [key, label] of Object.entries(value)) {
    if (typeof label === "string") {
      Object.defineProperty(labels, key, { value: label, enumerable: true });
    }
  }
  return labels;
}

function configLabels(body: Record<string, unknown>): Record<string, string> {
  const config = body["Config"];
  return config !== null && typeof config === "object"
    ? labelsOf((config as Record<string, unknown>)["Labels"])
    : {};
}

const ref = encodeURIComponent;

/**
 * Lookups through `pool`. Paths carry no version prefix: the engine's
 * newest API answers, and the fields read here exist in all of them.
 */
export function engineOwnerLookup(pool: EnginePool): OwnerLookup {
  async function container(name: string) {
    const body = await callEngine(pool, "GET", `/containers/${ref(name)}/json`);
    if (body === null) return null;
    return { id: stringAt(body, "Id"), labels: configLabels(body) };
  }
  return {
    container,
    async exec(id) {
      const body = await callEngine(pool, "GET", `/exec/${ref(id)}/json`);
      if (body === null) return null;
      const owner = await container(stringAt(body, "ContainerID"));
      return owner === null
        ? null
        : { id: stringAt(body, "ID"), labels: owner.labels };
    },
    async volume(name) {
      const body = await callEngine(pool, "GET", `/volumes/${ref(name)}`);
      if (body === null) return null;
      return { id: stringAt(body, "Name"), labels: labelsOf(body["Labels"]) };
    },
    async network(name) {
      const body = await callEngine(pool, "GET", `/networks/${ref(name)}`);
      if (body === null) return null;
      return {
        id: stringAt(body, "Id"),
        name: stringAt(body, "Name"),
        labels: labelsOf(body["Labels"]),
      };
    },
    async image(name) {
      const body = await callEngine(pool, "GET", `/images/${ref(name)}/json`);
      if (body === null) return null;
      return { id: stringAt(body, "Id"), labels: configLabels(body) };
    },
    async createVolume(spec) {
      const body = await callEngine(pool, "POST", "/volumes/create", {
        Name: spec.name,
        ...(spec.driver === null ? {} : { Driver: spec.driver }),
        DriverOpts: spec.driverOpts,
        Labels: spec.labels,
      });
      if (body === null) {
        throw new Error(`engine answered 404 to creating volume ${spec.name}`);
      }
      return { id: stringAt(body, "Name"), labels: labelsOf(body["Labels"]) };
    },
  };
}
