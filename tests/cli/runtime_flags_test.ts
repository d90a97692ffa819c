import assert from "node:assert/strict";
import { runtimeFlags, V8_FLAGS } from "../../src/cli/runtime_flags.ts";

Deno.test("runtimeFlags() are flags that Deno and V8 accept", async () => {
  // V8 refuses an unknown or misspelt flag at start-up, so a typo here
  // would stop dockgate from starting at all.
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", ...runtimeFlags(), "console.log('started')"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.equal(new TextDecoder().decode(output.stdout).trim(), "started");
});

Deno.test("runtimeFlags() carry every V8 flag in one --v8-flags", () => {
  const flags = runtimeFlags();
  assert.equal(flags.length, 1);
  assert.equal(flags[0], `--v8-flags=${V8_FLAGS.join(",")}`);
  for (const flag of V8_FLAGS) assert.doesNotMatch(flag, /[\s,]/);
});
