/**
 * List syntax of environment variables.
 *
 * A list is comma-separated; items are trimmed and empty items dropped. `\,`
 * stands for a comma inside an item; any other backslash is kept, so regex
 * escapes such as `\.` pass through untouched. A value that starts with `[`
 * is a JSON array of strings instead, for patterns that are easier to write
 * without escaping.
 */

import { type ParseResult, quote } from "./value_parsers.ts";

/** Split on commas not preceded by a backslash, and unescape `\,`. */
function splitOnCommas(text: string): string[] {
  const items: string[] = [];
  let current = "";
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (char === "\\" && text[index + 1] === ",") {
      current += ",";
      index++;
    } else if (char === ",") {
      items.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  items.push(current);
  return items.map((item) => item.trim()).filter((item) => item !== "");
}

/** Parse a list value from the environment. */
export function parseEnvList(text: string): ParseResult<string[]> {
  if (!text.trimStart().startsWith("[")) {
    return { ok: true, value: splitOnCommas(text) };
  }
  const message = `expected a JSON array of strings, since the value starts ` +
    `with "[": ${quote(text)}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return { ok: false, message: `${message}: ${detail}` };
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((item) => typeof item === "string")
  ) {
    return { ok: false, message };
  }
  return { ok: true, value: parsed };
}

/** Parse `name=value,name2=value2` from the environment. */
export function parseEnvLabels(
  text: string,
): ParseResult<Record<string, string>> {
  const labels = new Map<string, string>();
  for (const item of splitOnCommas(text)) {
    const equals = item.indexOf("=");
    const name = item.slice(0, equals).trim();
    if (equals < 0 || name === "") {
      return { ok: false, message: `expected name=value: ${quote(item)}` };
    }
    if (labels.has(name)) {
      return { ok: false, message: `label given twice: ${quote(name)}` };
    }
    labels.set(name, item.slice(equals + 1).trim());
  }
  return { ok: true, value: Object.fromEntries(labels) };
}
