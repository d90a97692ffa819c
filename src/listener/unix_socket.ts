/**
 * Creating the Unix socket clients connect to.
 *
 * Whoever can connect to this socket gets whatever policy allows, so its
 * permissions must never be wider than asked, not even for an instant: the
 * socket is created inside a private directory, given its mode there, and
 * only then renamed into place.
 */
import { dirname } from "node:path";

/** The socket path cannot be used; startup stops with this message. */
export class SocketPathError extends Error {}

async function answersConnections(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes a socket file left by a process that is gone. A socket that still
 * answers belongs to a live process; anything that is not a socket (a
 * regular file a user put there) is never deleted.
 */
async function clearStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!info.isSocket) {
    throw new SocketPathError(
      `cannot listen on ${path}: it exists and is not a socket (not removing it)`,
    );
  }
  if (await answersConnections(path)) {
    throw new SocketPathError(
      `cannot listen on ${path}: another process is listening on it`,
    );
  }
  await Deno.remove(path);
}

/** Listens on `path` with exactly `mode` as the socket's permissions. */
export async function listenUnixSocket(
  path: string,
  mode: number,
): Promise<Deno.UnixListener> {
  await clearStaleSocket(path);
  const privateDir = await Deno.makeTempDir({
    dir: dirname(path),
    prefix: ".dockgate-",
  });
  const staging = `${privateDir}/s`;
  try {
    await Deno.chmod(privateDir, 0o700);
    const listener = Deno.listen({ transport: "unix", path: staging });
    try {
      await Deno.chmod(staging, mode);
      await Deno.rename(staging, path);
    } catch (error) {
      listener.close();
      throw error;
    }
    return listener;
  } finally {
    await Deno.remove(privateDir, { recursive: true }).catch(() => {});
  }
}
