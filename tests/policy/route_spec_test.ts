import assert from "node:assert/strict";
import { defineRoute } from "../../src/policy/route_spec.ts";

Deno.test("defineRoute() lets {name:.*} span slashes", () => {
  const route = defineRoute("GET", "/images/{name:.*}/json", "t", "IMAGES");
  assert.equal(route.pattern.exec("/images/a/b/json")?.groups?.name, "a/b");
  assert.equal(route.pattern.test("/images/a/json/x"), false);
});

Deno.test("defineRoute() compiles {id} to one path segment", () => {
  const route = defineRoute("GET", "/services/{id}", "t", "SERVICES");
  assert.equal(route.pattern.test("/services/a"), true);
  assert.equal(route.pattern.test("/services/a/b"), false);
  assert.equal(route.pattern.test("/services/"), false);
});

Deno.test("defineRoute() quotes literal text and anchors both ends", () => {
  const route = defineRoute("GET", "/debug/pprof/", "t", "DEBUG");
  assert.equal(route.pattern.test("/debug/pprof/"), true);
  assert.equal(route.pattern.test("/x/debug/pprof/"), false);
  assert.equal(route.pattern.test("/debug/pprof/x"), false);
  const dotted = defineRoute("GET", "/a.b", "t", "INFO");
  assert.equal(dotted.pattern.test("/aXb"), false);
});

Deno.test("defineRoute() defaults the body to none and keeps options", () => {
  const plain = defineRoute("GET", "/info", "t", "INFO");
  assert.equal(plain.body, "none");
  const hijack = defineRoute("POST", "/grpc", "t", "GRPC", { hijack: "h2c" });
  assert.equal(hijack.hijack, "h2c");
});

Deno.test("defineRoute() rejects an unknown variable pattern", () => {
  assert.throws(
    () => defineRoute("GET", "/x/{id:[a-z]+}", "bad", "INFO"),
    SyntaxError,
  );
});
