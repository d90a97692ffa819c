/**
 * Prune endpoints delete whatever is idle, by state rather than by name:
 * a stopped protected container or an unused proxy network would go with
 * the rest. While they are in that state, such a prune is refused.
 */
import type { EnginePool } from "../upstream/engine_pool.ts";
import { inspectObject } from "../upstream/engine_lookup.ts";

export interface PruneGuardOptions {
  pool: EnginePool;
  /** Names or IDs of protected containers (proxy name, own ID). */
  containers: readonly string[];
  /** Name of the protected network, or null. */
  network: string | null;
}

/** A reason to refuse the prune, or null when nothing protected is idle. */
export type PruneGuard = (routeId: string) => Promise<string | null>;

function isRunning(container: Record<string, unknown>): boolean {
  const state = container["State"];
  return typeof state === "object" && state !== null &&
    (state as Record<string, unknown>)["Running"] === true;
}

function hasContainers(network: Record<string, unknown>): boolean {
  const containers = network["Containers"];
  return typeof containers === "object" && containers !== null &&
    Object.keys(containers).length > 0;
}

/** Builds the guard; returns null checks when nothing is protected. */
export function createPruneGuard(options: PruneGuardOptions): PruneGuard {
  const { pool, containers, network } = options;
  return async (routeId) => {
    if (routeId === "container.prune") {
      for (const reference of containers) {
        const path = `/containers/${encodeURIComponent(reference)}/json`;
        const container = await inspectObject(pool, path);
        if (container !== null && !isRunning(container)) {
          return `prune would remove the stopped proxy container ${
            JSON.stringify(reference)
          }`;
        }
      }
    }
    if (routeId === "network.prune" && network !== null) {
      const path = `/networks/${encodeURIComponent(network)}`;
      const found = await inspectObject(pool, path);
      if (found !== null && !hasContainers(found)) {
        return `prune would remove the unused proxy network ${
          JSON.stringify(network)
        }`;
      }
    }
    return null;
  };
}
