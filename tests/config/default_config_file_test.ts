import { deepStrictEqual, ok } from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, type Node, parseDocument } from "yaml";
import { loadConfig } from "../../src/config/load_config.ts";
import { schemaLeafPaths } from "./_schema_paths.ts";

const DEFAULT_FILE = fileURLToPath(
  new URL("../../config/default.yaml", import.meta.url),
);

/** Keys whose default depends on another key, so the file leaves them out. */
const COMMENTED_KEYS = ["listen.addr", "methods.patch"];

function fileLeafPaths(node: Node | null, prefix: string[]): string[] {
  if (!isMap(node)) return [prefix.join(".")];
  return node.items.flatMap((pair) => {
    const key = isScalar(pair.key) ? String(pair.key.value) : "?";
    // Mappings that are one value, like require_labels: {}, end here.
    const value = pair.value as Node | null;
    if (isMap(value) && value.items.length === 0) {
      return [[...prefix, key].join(".")];
    }
    return fileLeafPaths(value, [...prefix, key]);
  });
}

Deno.test("config/default.yaml loads to exactly the defaults", () => {
  deepStrictEqual(
    loadConfig({ env: {}, configFile: DEFAULT_FILE }),
    loadConfig({ env: {} }),
  );
});

Deno.test("config/default.yaml lists every key of the schema", () => {
  const text = Deno.readTextFileSync(DEFAULT_FILE);
  const document = parseDocument(text);
  const inFile = fileLeafPaths(document.contents, []).sort();
  const expected = schemaLeafPaths()
    .filter((path) => !COMMENTED_KEYS.includes(path))
    .sort();
  deepStrictEqual(inFile, expected);
  for (const path of COMMENTED_KEYS) {
    const key = path.split(".").pop();
    ok(text.includes(`  # ${key}: `), `${path} is shown in a comment`);
  }
});
