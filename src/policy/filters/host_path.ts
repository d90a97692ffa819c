/**
 * Host paths as the engine sees them: cleaned like Go's `path.Clean`, with
 * bind specs split like the engine's Linux mount parser.
 *
 * @module
 */

/**
 * Cleans a slash-separated path like Go's `path.Clean`: repeated slashes,
 * `.` and `..` segments and a trailing slash go; `..` above the root stays
 * at the root. An empty path becomes `"."`.
 *
 * @example
 * ```ts
 * cleanPath("/var//run/../run/"); // "/var/run"
 * cleanPath("/tmp/../.."); // "/"
 * ```
 */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const kept: string[] = [];
  for (const segment of p.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment !== "..") {
      kept.push(segment);
    } else if (kept.length > 0 && kept[kept.length - 1] !== "..") {
      kept.pop();
    } else if (!rooted) {
      kept.push("..");
    }
  }
  const joined = kept.join("/");
  if (rooted) return `/${joined}`;
  return joined === "" ? "." : joined;
}

/** Whether `p` is absolute in the engine's Linux sense (`path.IsAbs`). */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith("/");
}

/**
 * Whether mounting `mounted` into a container makes `protectedPath`
 * reachable: the two are equal, or `mounted` is an ancestor directory.
 * Both paths are cleaned first.
 *
 * @example
 * ```ts
 * pathExposes("/var/run", "/var/run/docker.sock"); // true
 * pathExposes("/var/runner", "/var/run/docker.sock"); // false
 * ```
 */
export function pathExposes(mounted: string, protectedPath: string): boolean {
  const outer = cleanPath(mounted);
  const inner = cleanPath(protectedPath);
  if (outer === inner || outer === "/") return true;
  return inner.startsWith(`${outer}/`);
}

/** One `HostConfig.Binds` entry, classified as the engine would. */
export type BindSpec =
  /** An absolute source: a host path, already cleaned. */
  | { kind: "bind"; source: string; target: string; mode: string }
  /** A relative source: the name of a (possibly new) volume. */
  | { kind: "volume"; name: string; target: string; mode: string }
  /** Only a container path: an anonymous volume. */
  | { kind: "anonymous"; target: string };

/**
 * Splits `src:dst[:mode]` like the engine's Linux parser: more than two
 * colons or an empty first field is an error, one field is an anonymous
 * volume, an absolute source is a bind mount and any other source names a
 * volume.
 *
 * @throws {SyntaxError} when the engine would refuse the spec
 *
 * @example
 * ```ts
 * parseBindSpec("/var/run/:/x:ro");
 * // { kind: "bind", source: "/var/run", target: "/x", mode: "ro" }
 * ```
 */
export function parseBindSpec(spec: string): BindSpec {
  const fields = spec.split(":");
  if (fields.length > 3 || fields[0] === "") {
    throw new SyntaxError(
      `Invalid volume specification ${JSON.stringify(spec)}`,
    );
  }
  const [source = "", target, mode = ""] = fields;
  if (target === undefined) return { kind: "anonymous", target: source };
  if (isAbsolutePath(source)) {
    return { kind: "bind", source: cleanPath(source), target, mode };
  }
  return { kind: "volume", name: source, target, mode };
}
