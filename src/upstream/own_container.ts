/**
 * Finds the container dockgate itself runs in, so that no client can stop,
 * exec into or otherwise touch the proxy through the proxy.
 */

// The engine bind-mounts these files from the container's own directory,
// which is named after the full container ID.
const MOUNTINFO_ID_REGEXP =
  /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\s/;
// Unless started with --hostname, a container's hostname is the first 12
// hex digits of its ID. Deno's sandbox lets dockgate read /etc/hostname but
// never /proc/self, so this is the source that works in the shipped binary.
const HOSTNAME_ID_REGEXP = /^([0-9a-f]{12})\s*$/;

/**
 * The proxy's container ID (full, or the 12-digit prefix from its
 * hostname), or null when it does not seem to run in a container.
 */
export async function detectOwnContainerId(
  readText: (path: string) => Promise<string> = Deno.readTextFile,
): Promise<string | null> {
  for (
    const [path, pattern] of [
      ["/proc/self/mountinfo", MOUNTINFO_ID_REGEXP],
      ["/etc/hostname", HOSTNAME_ID_REGEXP],
    ] as const
  ) {
    try {
      const match = pattern.exec(await readText(path));
      if (match?.[1]) return match[1];
    } catch {
      // No such file or no permission: try the next source.
    }
  }
  return null;
}
