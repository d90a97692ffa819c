import assert from "node:assert/strict";
import { inspectObject } from "../../src/upstream/engine_lookup.ts";
import type { EnginePool } from "../../src/upstream/engine_pool.ts";
import { withServedPool } from "./_served_pool.ts";

/** A padding string that makes a JSON answer of about `bytes` bytes. */
function padding(bytes: number): string {
  return "x".repeat(bytes);
}

/** Runs `fn` with a pool in front of a stand-in engine. */
function withEngine(fn: (pool: EnginePool) => Promise<void>): Promise<void> {
  return withServedPool((request) => {
    const { pathname } = new URL(request.url);
    switch (pathname) {
      case "/containers/small/json":
        return Response.json({ Id: "a1", Name: "/small" });
      case "/containers/large/json":
        // Several reads' worth, still under the 4 MiB cap.
        return Response.json({ Id: "b2", Pad: padding(3 * 1024 * 1024) });
      case "/containers/huge/json":
        return Response.json({ Id: "c3", Pad: padding(5 * 1024 * 1024) });
      case "/containers/text/json":
        return Response.json("text");
      case "/containers/broken/json":
        return Response.json({ message: "boom" }, { status: 500 });
      default:
        return Response.json({ message: "no such" }, { status: 404 });
    }
  }, fn);
}

Deno.test("inspectObject() reads a whole answer, also one of many reads", async () => {
  await withEngine(async (pool) => {
    assert.deepEqual(await inspectObject(pool, "/containers/small/json"), {
      Id: "a1",
      Name: "/small",
    });
    const large = await inspectObject(pool, "/containers/large/json");
    assert.equal(large?.["Id"], "b2");
    assert.equal(large?.["Pad"], padding(3 * 1024 * 1024));
  });
});

Deno.test("inspectObject() gives null for a 404", async () => {
  await withEngine(async (pool) => {
    assert.equal(await inspectObject(pool, "/containers/gone/json"), null);
  });
});

Deno.test("inspectObject() refuses an answer over 4 MiB, another status and a non-object", async () => {
  await withEngine(async (pool) => {
    await assert.rejects(inspectObject(pool, "/containers/huge/json"), {
      name: "RangeError",
      message: "inspect answer for /containers/huge/json is too large",
    });
    await assert.rejects(inspectObject(pool, "/containers/broken/json"), {
      name: "Error",
      message: "engine answered 500 to /containers/broken/json",
    });
    await assert.rejects(inspectObject(pool, "/containers/text/json"), {
      name: "TypeError",
      message: "engine's answer to /containers/text/json is not an object",
    });
  });
});
