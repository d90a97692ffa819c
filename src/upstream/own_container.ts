/**
 * Finds the ID of the container dockgate itself runs in, so that no client
 * can stop, exec into or otherwise touch the proxy through the proxy.
 */

// The engine bind-mounts these files from the container's own directory,
// which is named after the full container ID.
const MOUNTINFO_ID_REGEXP =
  /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/;
const CGROUP_ID_REGEXP = /(?:docker[-/]|\/)([0-9a-f]{64})(?:\.scope)?$/m;

/** The proxy's container ID, or null when it does not run in one. */
export async function detectOwnContainerId(
  readText: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<string | null> {
  for (
    const [path, pattern] of [
      ["/proc/self/mountinfo", MOUNTINFO_ID_REGEXP],
      ["/proc/self/cgroup", CGROUP_ID_REGEXP],
    ] as const
  ) {
    try {
      const match = pattern.exec(await readText(path));
      if (match?.[1]) return match[1];
    } catch {
      // Not Linux, no /proc, or no permission: try the next source.
    }
  }
  return null;
}
