/**
 * Bearer tokens: how a client presents one, and how a profile checks it.
 *
 * Tokens are compared as SHA-256 digests with `timingSafeEqual`, against
 * every token of the profile without stopping at a match, so the time a
 * check takes says nothing about how much of a guess was right. The token
 * headers never reach the engine (`forward.ts` drops them) and are never
 * logged.
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { type HeaderList, headerValues } from "../http/message.ts";

/** The header the docker CLI can send from `HttpHeaders` in config.json. */
export const TOKEN_HEADER = "x-dockgate-token";

const BEARER_REGEXP = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/** The tokens of one profile, kept as digests only. */
export interface TokenMatcher {
  /** How many tokens the profile has; 0 means it needs none. */
  readonly size: number;
  /** True when `token` is one of them. */
  matches(token: string): boolean;
}

function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

/** Builds the matcher; the plain tokens are not kept. */
export function createTokenMatcher(tokens: readonly string[]): TokenMatcher {
  const digests = tokens.map(digest);
  return {
    size: digests.length,
    matches(token) {
      const presented = digest(token);
      let found = false;
      for (const candidate of digests) {
        // No early exit: every candidate costs the same.
        found = timingSafeEqual(presented, candidate) || found;
      }
      return found;
    },
  };
}

/** What the client sent: a token, none, or something unusable. */
export type PresentedToken =
  | { readonly ok: true; readonly token: string | null }
  | { readonly ok: false; readonly reason: string };

/**
 * Reads the token from `Authorization: Bearer …` or `X-Dockgate-Token`.
 * Repeated headers, another Authorization scheme, and two different
 * tokens are refused rather than guessed between.
 */
export function presentedToken(headers: HeaderList): PresentedToken {
  const authorization = headerValues(headers, "authorization");
  const custom = headerValues(headers, TOKEN_HEADER);
  if (authorization.length > 1 || custom.length > 1) {
    return { ok: false, reason: "repeated token header" };
  }
  let token: string | null = null;
  const auth = authorization[0];
  if (auth !== undefined) {
    const bearer = BEARER_REGEXP.exec(auth)?.[1];
    if (bearer === undefined) {
      return { ok: false, reason: "Authorization is not a Bearer token" };
    }
    token = bearer;
  }
  const header = custom[0]?.trim();
  if (header !== undefined) {
    if (header === "") {
      return { ok: false, reason: "empty X-Dockgate-Token header" };
    }
    if (token !== null && token !== header) {
      return { ok: false, reason: "two different tokens" };
    }
    token = header;
  }
  return { ok: true, token };
}
