/**
 * Header rules that apply to every request before any route logic.
 */
import { type HeaderList, headerValues } from "../http/message.ts";

/** A header problem: status and a sentence for the client. */
export interface HeaderProblem {
  status: 400 | 415;
  rule: string;
  reason: string;
}

// The engine reads the first of a repeated header while other parsers join
// or take the last one; a repeat of these lets the two disagree.
const SINGLE_HEADERS = [
  "content-type",
  "upgrade",
  "x-registry-auth",
  "x-registry-config",
  "host",
];

// Form bodies are parsed by the engine's FormValue and override the query
// string that policy checked; the Docker clients never send them.
const FORM_MEDIA_TYPE_REGEXP =
  /^\s*(application\/x-www-form-urlencoded|multipart\/form-data)\s*(;|$)/i;

/** Returns the first problem with the request's headers, if any. */
export function checkRequestHeaders(headers: HeaderList): HeaderProblem | null {
  for (const name of SINGLE_HEADERS) {
    if (headerValues(headers, name).length > 1) {
      return {
        status: 400,
        rule: "headers:repeated",
        reason: `repeated ${name} header`,
      };
    }
  }
  const contentType = headerValues(headers, "content-type")[0];
  if (contentType !== undefined && FORM_MEDIA_TYPE_REGEXP.test(contentType)) {
    return {
      status: 415,
      rule: "headers:form-body",
      reason: `form bodies are not accepted: ${JSON.stringify(contentType)}`,
    };
  }
  const encoding = headerValues(headers, "content-encoding")[0];
  if (encoding !== undefined && encoding.trim().toLowerCase() !== "identity") {
    return {
      status: 415,
      rule: "headers:content-encoding",
      reason: `content encodings are not accepted: ${JSON.stringify(encoding)}`,
    };
  }
  return null;
}
