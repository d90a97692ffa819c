/**
 * Small inspect calls that policy makes before deciding: names are not
 * identities, so a container or network reference is resolved to the ID and
 * name the engine would act on.
 */
import { type EngineResponse, exchangeWithEngine } from "./engine_exchange.ts";
import type { EnginePool } from "./engine_pool.ts";

/** What a reference resolved to. */
export interface ResolvedObject {
  id: string;
  /** Containers: with the leading "/", as the engine stores it. */
  name: string;
}

const MAX_INSPECT_BYTES = 4 * 1024 * 1024;

/**
 * The whole body of `response`, or undefined as soon as it passes `limit`
 * bytes; the connection is then dropped without reading the rest.
 */
export async function readAnswerBody(
  response: EngineResponse,
  limit: number,
): Promise<Uint8Array | undefined> {
  const pieces: Uint8Array[] = [];
  let total = 0;
  for await (const piece of response.body()) {
    total += piece.length;
    if (total > limit) {
      response.abort();
      return undefined;
    }
    pieces.push(piece);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    bytes.set(piece, offset);
    offset += piece.length;
  }
  return bytes;
}

/** GETs an inspect path; the parsed object, or null on 404. */
export async function inspectObject(
  pool: EnginePool,
  path: string,
): Promise<Record<string, unknown> | null> {
  const response = await exchangeWithEngine(pool, {
    method: "GET",
    target: path,
    headers: [],
    body: { kind: "none" },
  });
  const bytes = await readAnswerBody(response, MAX_INSPECT_BYTES);
  if (bytes === undefined) {
    throw new RangeError(`inspect answer for ${path} is too large`);
  }
  if (response.head.status === 404) return null;
  if (response.head.status !== 200) {
    throw new Error(`engine answered ${response.head.status} to ${path}`);
  }
  const parsed: unknown = JSON.parse(new TextDecoder().decode(bytes));
  if (typeof parsed !== "object" || parsed === null) {
    throw new TypeError(`engine's answer to ${path} is not an object`);
  }
  return parsed as Record<string, unknown>;
}

function resolved(
  body: Record<string, unknown> | null,
): ResolvedObject | null {
  if (body === null) return null;
  const { Id: id, Name: name } = body;
  if (typeof id !== "string" || typeof name !== "string") {
    throw new TypeError("engine's inspect answer has no Id or Name");
  }
  return { id, name };
}

/**
 * Resolves a container reference (full ID, name with or without "/", unique
 * ID prefix) the way the engine does, by asking it. Null when none matches.
 */
export async function resolveContainer(
  pool: EnginePool,
  reference: string,
): Promise<ResolvedObject | null> {
  // No version prefix: the engine's newest API, whatever its minimum is.
  const path = `/containers/${encodeURIComponent(reference)}/json`;
  return resolved(await inspectObject(pool, path));
}

/** Resolves a network reference (ID, name, ID prefix) by asking the engine. */
export async function resolveNetwork(
  pool: EnginePool,
  reference: string,
): Promise<ResolvedObject | null> {
  const path = `/networks/${encodeURIComponent(reference)}`;
  return resolved(await inspectObject(pool, path));
}
