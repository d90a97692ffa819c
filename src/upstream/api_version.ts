/**
 * Asks the engine which API version it speaks (`GET /version`).
 */
import { exchangeWithEngine } from "./engine_exchange.ts";
import type { EnginePool } from "./engine_pool.ts";

const MAX_VERSION_BODY = 64 * 1024;

/** The engine's `ApiVersion`, e.g. "1.41". */
export async function detectApiVersion(pool: EnginePool): Promise<string> {
  const response = await exchangeWithEngine(pool, {
    method: "GET",
    target: "/version",
    headers: [],
    body: { kind: "none" },
  });
  let text = "";
  const decoder = new TextDecoder();
  for await (const piece of response.body()) {
    text += decoder.decode(piece, { stream: true });
    if (text.length > MAX_VERSION_BODY) {
      throw new RangeError("version answer from the engine is too large");
    }
  }
  if (response.head.status !== 200) {
    throw new Error(`engine answered ${response.head.status} to GET /version`);
  }
  const version = (JSON.parse(text) as { ApiVersion?: unknown }).ApiVersion;
  if (typeof version !== "string") {
    throw new TypeError("engine's /version has no ApiVersion");
  }
  return version;
}
