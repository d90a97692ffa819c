import { equal } from "node:assert/strict";
import {
  ConfigError,
  formatConfigIssue,
} from "../../src/config/config_error.ts";

Deno.test("ConfigError lists every issue on its own line", () => {
  const error = new ConfigError([
    {
      key: "SOCKET_PERMS",
      source: "env",
      message: `not an octal mode: "0999"`,
    },
    {
      key: "sections.containers",
      source: "file",
      file: "config/x.yaml",
      line: 12,
      column: 3,
      message: `expected a boolean: "maybe"`,
    },
  ]);
  equal(
    error.message,
    "Invalid configuration:\n" +
      `  - SOCKET_PERMS (env): not an octal mode: "0999"\n` +
      `  - sections.containers (config/x.yaml:12:3): expected a boolean: ` +
      `"maybe"`,
  );
  equal(error.issues.length, 2);
});

Deno.test("formatConfigIssue() shows a whole-file issue without a key", () => {
  equal(
    formatConfigIssue({
      key: "",
      source: "file",
      file: "c.yaml",
      line: 2,
      column: 1,
      message: "YAML syntax error: Map keys must be unique",
    }),
    "c.yaml:2:1: YAML syntax error: Map keys must be unique",
  );
  equal(
    formatConfigIssue({
      key: "",
      source: "file",
      file: "c.yaml",
      message: "x",
    }),
    "c.yaml: x",
  );
});
