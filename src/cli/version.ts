/**
 * dockgate's version, taken from deno.json at build time: `deno compile`
 * embeds the JSON module, so the binary and the sources cannot disagree.
 *
 * @module
 */

import denoConfig from "../../deno.json" with { type: "json" };

/** The release, as written in deno.json's `version`. */
export const VERSION: string = denoConfig.version;
