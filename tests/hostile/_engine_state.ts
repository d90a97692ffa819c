/**
 * What the test engine holds, read straight from its own socket (never
 * through dockgate), so an attack test can prove the engine did nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import { rawExchange, request } from "./_raw_http.ts";

/** The objects a smuggled request could have created or removed. */
export interface EngineState {
  containers: string[];
  volumes: string[];
  networks: string[];
}

async function getJson(engineSocket: string, target: string) {
  const answer = await rawExchange(
    engineSocket,
    request("GET", target, [["Connection", "close"]]),
    { responses: 1, timeoutMs: 10_000 },
  );
  const response = answer.responses[0];
  assert.equal(response?.status, 200, `engine ${target}: ${answer.text}`);
  return JSON.parse(response.body) as unknown;
}

/** Reads the engine's containers (all), volumes and networks, sorted. */
export async function engineState(engineSocket: string): Promise<EngineState> {
  const containers = await getJson(
    engineSocket,
    "/containers/json?all=1",
  ) as Array<{ Id: string }>;
  const volumes = await getJson(engineSocket, "/volumes") as {
    Volumes: Array<{ Name: string }> | null;
  };
  const networks = await getJson(engineSocket, "/networks") as Array<
    { Id: string }
  >;
  return {
    containers: containers.map((c) => c.Id).sort(),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name).sort(),
    networks: networks.map((n) => n.Id).sort(),
  };
}

/** Runs `fn` and fails if the engine's state differs afterwards. */
export async function assertEngineUnchanged<T>(
  engineSocket: string,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  const before = await engineState(engineSocket);
  const result = await fn();
  const after = await engineState(engineSocket);
  assert.deepEqual(after, before, `${what} changed the engine's state`);
  return result;
}
