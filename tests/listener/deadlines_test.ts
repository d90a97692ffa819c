import assert from "node:assert/strict";
import {
  cancelDeadline,
  startDeadline,
  SWEEP_MS,
} from "../../src/listener/deadlines.ts";

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

Deno.test("startDeadline() fires once, not before its time and at most a sweep late", async () => {
  const started = performance.now();
  const fired: number[] = [];
  startDeadline(150, () => fired.push(performance.now() - started));
  await sleep(100);
  assert.deepEqual(fired, [], "fired early");
  await sleep(150 + SWEEP_MS * 2);
  assert.equal(fired.length, 1);
  assert.ok(fired[0]! >= 150, `fired after ${fired[0]} ms`);
  // Generous: the machine running the tests may be busy.
  assert.ok(fired[0]! < 150 + SWEEP_MS * 3, `fired after ${fired[0]} ms`);
});

Deno.test("cancelDeadline() stops a deadline and leaves the others running", async () => {
  const fired: string[] = [];
  const cancelled = startDeadline(50, () => fired.push("cancelled"));
  startDeadline(50, () => fired.push("kept"));
  cancelDeadline(cancelled);
  await sleep(50 + SWEEP_MS * 2);
  assert.deepEqual(fired, ["kept"]);
  // Cancelling one that already fired changes nothing.
  cancelDeadline(cancelled);
});

Deno.test("a deadline whose callback throws does not stop the others", async () => {
  const fired: string[] = [];
  startDeadline(20, () => {
    throw new Error("closing failed");
  });
  startDeadline(20, () => fired.push("second"));
  await sleep(20 + SWEEP_MS * 2);
  assert.deepEqual(fired, ["second"]);
});
