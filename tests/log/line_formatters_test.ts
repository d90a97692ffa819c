import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import {
  formatJsonLine,
  formatTextLine,
} from "../../src/log/line_formatters.ts";

function record(
  message: unknown[],
  properties: Record<string, unknown>,
  rawMessage = "",
): LogRecord {
  return {
    category: ["dockgate", "test"],
    level: "warning",
    message,
    rawMessage,
    timestamp: Date.UTC(2025, 0, 2, 3, 4, 5, 6),
    properties,
  };
}

Deno.test("formatJsonLine() keeps core fields from being overwritten", () => {
  const line = formatJsonLine(
    record(["Denied ", "x"], { level: "debug", message: "forged", who: "x" }),
  );
  const parsed = JSON.parse(line);
  equal(parsed.level, "warn");
  equal(parsed.message, "Denied x");
  equal(parsed._level, "debug");
  equal(parsed._message, "forged");
  equal(parsed.time, "2025-01-02T03:04:05.006Z");
});

Deno.test("formatJsonLine() turns awkward values into JSON", () => {
  const cyclic: Record<string, unknown> = { name: "loop" };
  cyclic["self"] = cyclic;
  const parsed = JSON.parse(formatJsonLine(record(["x"], {
    big: 10n,
    error: new RangeError("too far"),
    cyclic,
    missing: undefined,
    pattern: /^a$/,
  })));
  equal(parsed.big, "10");
  deepStrictEqual(
    { name: parsed.error.name, message: parsed.error.message },
    { name: "RangeError", message: "too far" },
  );
  equal(typeof parsed.cyclic, "string");
  match(parsed.cyclic, /loop/);
  equal(parsed.missing, null);
  equal(parsed.pattern, "^a$");
});

Deno.test("formatJsonLine() writes one line despite newlines", () => {
  const line = formatJsonLine(
    record(["Path ", '/a\n{"level":"info"}', ""], { path: "/a\nb" }),
  );
  equal(line.split("\n").length, 2);
  equal(JSON.parse(line).path, "/a\nb");
});

Deno.test("formatTextLine() quotes values, appends unused properties", () => {
  const line = formatTextLine(
    record(["Denied ", "POST", " on ", "/x\ny", ""], {
      method: "POST",
      path: "/x\ny",
      rule: "sections.CONTAINERS",
    }, "Denied {method} on {path}"),
  );
  equal(
    line,
    '2025-01-02T03:04:05.006Z WARN  dockgate.test: Denied "POST" on "/x\\ny"' +
      ' rule="sections.CONTAINERS"\n',
  );
});

Deno.test("formatTextLine() escapes control characters in the message", () => {
  const line = formatTextLine(record(["bad\r\nINFO forged"], {}));
  ok(!line.slice(0, -1).includes("\n"));
  ok(line.includes("\\u000d\\u000a"));
});
