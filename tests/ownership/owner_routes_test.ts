import assert from "node:assert/strict";
import {
  classifiedRouteIds,
  isDeniedFamily,
  ownershipKind,
} from "../../src/policy/ownership/owner_routes.ts";
import { ROUTES } from "../../src/policy/routes.ts";

Deno.test("every engine route is judged on purpose by owner isolation", () => {
  const classified = classifiedRouteIds();
  const unjudged = ROUTES.map((route) => route.id).filter((id) =>
    !classified.has(id) && !isDeniedFamily(id)
  );
  assert.deepEqual(unjudged, []);
  const stale = [...classified].filter((id) =>
    !ROUTES.some((route) => route.id === id)
  );
  assert.deepEqual(stale, []);
});

Deno.test("owner isolation denies a route it does not know", () => {
  assert.equal(ownershipKind("container.teleport"), "deny");
});

Deno.test("owner isolation lets no route that acts on one object pass unchecked", () => {
  // A route with a path variable names an object; only the engine-wide
  // reads (registry lookups) may skip the ownership check.
  const open = ROUTES.filter((route) =>
    /\{/.test(route.template) && ownershipKind(route.id) === "open"
  ).map((route) => route.id);
  assert.deepEqual(open, ["distribution.inspect"]);
});
