/**
 * Containers of the bench, made and removed through the engine's own TCP
 * listener so that no proxy is involved.
 *
 * @module
 */

import { TINY_IMAGE } from "../tests/support/engine.ts";

const API = "/v1.41";

/**
 * Creates `count` stopped containers (for the list) and one running
 * container that sleeps (for archives and exec), through the engine.
 */
export async function createContainers(
  addr: string,
  count: number,
): Promise<{ runnerId: string; idleId: string }> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    ids.push(await createContainer(addr, `bench-idle-${index}`, ["true"]));
  }
  const runnerId = await createContainer(addr, "bench-runner", [
    "sleep",
    "86400",
  ]);
  const started = await fetch(
    `http://${addr}${API}/containers/${runnerId}/start`,
    {
      method: "POST",
      signal: AbortSignal.timeout(30_000),
    },
  );
  await started.body?.cancel();
  if (started.status !== 204) {
    throw new Error(`Cannot start the runner container: ${started.status}`);
  }
  return { runnerId, idleId: ids[0] ?? runnerId };
}

/** Creates a container that runs `cmd`, without starting it. */
export async function createContainer(
  addr: string,
  name: string,
  cmd: string[],
): Promise<string> {
  const response = await fetch(
    `http://${addr}${API}/containers/create?name=${name}`,
    {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        Image: TINY_IMAGE,
        Cmd: cmd,
        HostConfig: { NetworkMode: "none" },
      }),
      signal: AbortSignal.timeout(30_000),
    },
  );
  const answer = await response.text();
  if (response.status !== 201) {
    throw new Error(`Cannot create container "${name}": ${answer}`);
  }
  return (JSON.parse(answer) as { Id: string }).Id;
}

/** Removes a container, running or not; errors are ignored. */
export async function removeContainer(addr: string, id: string): Promise<void> {
  const response = await fetch(
    `http://${addr}${API}/containers/${id}?force=1`,
    { method: "DELETE", signal: AbortSignal.timeout(30_000) },
  );
  await response.body?.cancel();
}
