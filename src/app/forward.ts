/**
 * The last step of the Hono app: send the approved request to the engine
 * and hand the engine's answer to the listener, which relays it as it is.
 */
import type { Handler } from "hono";
import {
  type HeaderList,
  headerTokens,
  headerValues,
  HOP_BY_HOP_HEADERS,
  HttpError,
} from "../http/message.ts";
import { deny, fail } from "../policy/deny.ts";
import { exchangeWithEngine } from "../upstream/engine_exchange.ts";
import {
  type EnginePool,
  EngineUnreachableError,
} from "../upstream/engine_pool.ts";
import { TOKEN_HEADER } from "../profiles/token_set.ts";
import type { Exchange } from "./exchange.ts";

// Headers the proxy sets itself or that only describe the client's hop,
// and dockgate's own credentials, which are for the proxy alone.
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP_HEADERS,
  "host",
  "content-length",
  "expect",
  "authorization",
  TOKEN_HEADER,
]);

/**
 * End-to-end headers for the engine. Upgrade survives only on hijack routes:
 * elsewhere it could make the engine switch protocols on a connection the
 * proxy treats as plain HTTP.
 */
function engineHeaders(exchange: Exchange): HeaderList {
  const headers = exchange.head.headers;
  const named = new Set(headerTokens(headers, "connection"));
  const forwarded = headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return !NOT_FORWARDED.has(lower) && !named.has(lower);
  });
  const upgrade = headerValues(headers, "upgrade")[0];
  if (exchange.route?.route.hijack && upgrade !== undefined) {
    forwarded.push(["Connection", "Upgrade"], ["Upgrade", upgrade]);
  }
  return forwarded;
}

/**
 * Builds the forwarding handler bound to one engine. With `apiVersion`,
 * requests that name no version go upstream with that version's prefix,
 * so the engine applies the semantics the policy was written for.
 */
export function forwardHandler(
  pool: EnginePool,
  apiVersion: string | null = null,
): Handler<{ Bindings: Exchange }> {
  const pinned = apiVersion === null ? "" : `/v${apiVersion}`;
  return async (c) => {
    const exchange = c.env;
    const route = exchange.route?.route;
    exchange.hijack = route?.hijack !== undefined;
    const { rawQuery, apiVersion: requested } = exchange.target;
    const path = requested === null
      ? pinned + exchange.target.path
      : exchange.target.path;
    try {
      const engine = await exchangeWithEngine(pool, {
        method: exchange.head.method,
        target: rawQuery ? `${path}?${rawQuery}` : path,
        headers: engineHeaders(exchange),
        body: exchange.body,
      }, { dedicated: exchange.hijack });
      const status = engine.head.status;
      exchange.relay = { engine };
      // The app needs a Response; the listener writes the engine's instead.
      return new Response(null, {
        status: status >= 200 && status <= 599 ? status : 200,
      });
    } catch (error) {
      if (error instanceof EngineUnreachableError) {
        return fail(exchange, 502, "engine:unreachable", error.message);
      }
      if (error instanceof HttpError) {
        // The client's own body was malformed or cut short while streaming.
        return deny(exchange, error.status, "request.body", error.message);
      }
      throw error;
    }
  };
}
