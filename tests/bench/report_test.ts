import assert from "node:assert/strict";
import { NOTES_MARKER, withKeptNotes } from "../../bench/report.ts";

Deno.test("withKeptNotes() keeps the notes of the last report and drops its tables", () => {
  const previous = `# old tables\n\n${NOTES_MARKER}\n\n## Notes\n\ngap: x\n`;
  assert.equal(
    withKeptNotes("# new tables\n", previous),
    `# new tables\n\n${NOTES_MARKER}\n\n## Notes\n\ngap: x\n`,
  );
});

Deno.test("withKeptNotes() leaves a report alone when there is nothing to keep", () => {
  assert.equal(withKeptNotes("# new\n", null), "# new\n");
  assert.equal(withKeptNotes("# new\n", "# old, no notes\n"), "# new\n");
});
