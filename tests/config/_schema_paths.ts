/**
 * Walks the config schema to list every leaf key, so tests can check that
 * the environment and the example file cover all of them.
 *
 * @module
 */

import { CONFIG_SCHEMA } from "../../src/config/schema.ts";

interface SchemaLike {
  type: string;
  wrapped?: SchemaLike;
  entries?: Record<string, SchemaLike>;
}

function unwrap(schema: SchemaLike): SchemaLike {
  let current = schema;
  while (current.wrapped !== undefined) current = current.wrapped;
  return current;
}

function walk(schema: SchemaLike, prefix: string[]): string[] {
  const inner = unwrap(schema);
  if (inner.type !== "strict_object" || inner.entries === undefined) {
    return [prefix.join(".")];
  }
  return Object.entries(inner.entries).flatMap(([key, child]) =>
    walk(child, [...prefix, key])
  );
}

/** Every leaf key of the config file, as dotted paths. */
export function schemaLeafPaths(): string[] {
  return walk(CONFIG_SCHEMA as unknown as SchemaLike, []);
}
