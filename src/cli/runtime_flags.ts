/**
 * The V8 flags dockgate runs with. They travel with the permission flags:
 * `src/cli/permissions.ts`, run as a script, prints both, and that output
 * is what `deno task start` passes to `deno run` and what `compile.sh`
 * embeds in the executable.
 *
 * V8 sizes its heap for a machine's memory, not for a proxy. Under steady
 * load dockgate allocates fast and keeps little, and by default V8 then
 * lets the young generation grow to tens of MiB and the old generation to
 * four times what is live before it collects: with 1,000 open event
 * streams and 16 clients pinging, RSS went from 96 MiB to 223 MiB. The
 * caps below held it at 120 MiB in the same run, at no throughput cost
 * that the bench could tell from noise (bench/results.md).
 *
 * - `--max-semi-space-size=8`: at most 8 MiB per young semi-space.
 *   Smaller caps (4, 2, 1) cost 20-30 % of small-request throughput in
 *   extra scavenges; larger ones give the memory back.
 * - `--max-old-space-size=1024`: under 2 GiB, V8 also lowers how far the
 *   old generation may grow past its live size before the next full
 *   collection (from 4x to about 1.6x). It is a hard cap as well: at
 *   15-25 KiB per open stream, 1 GiB is far beyond MAX_CONNECTIONS.
 *
 * @module
 */

/** V8 options, without the `--v8-flags=` wrapper. */
export const V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=8",
  "--max-old-space-size=1024",
];

/** The flags for `deno run` and `deno compile` that carry V8_FLAGS. */
export function runtimeFlags(): string[] {
  return [`--v8-flags=${V8_FLAGS.join(",")}`];
}
