import assert from "node:assert/strict";
import {
  listenUnixSocket,
  SocketPathError,
} from "../../src/listener/unix_socket.ts";

async function inTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "dgu-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("listenUnixSocket() gives the socket exactly the mode asked for", async () => {
  await inTempDir(async (dir) => {
    for (const mode of [0o600, 0o660, 0o666]) {
      const path = `${dir}/s-${mode.toString(8)}`;
      const listener = await listenUnixSocket(path, mode);
      try {
        const info = await Deno.lstat(path);
        assert.ok(info.isSocket);
        assert.equal((info.mode ?? 0) & 0o777, mode);
      } finally {
        listener.close();
      }
    }
    // The private staging dirs are gone.
    const left = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.deepEqual(left.sort(), ["s-600", "s-660", "s-666"]);
  });
});

Deno.test("listenUnixSocket() replaces a stale socket that nobody answers", async () => {
  await inTempDir(async (dir) => {
    const path = `${dir}/stale.sock`;
    // A process that exits without closing its listener leaves the file;
    // closing the listener here would remove it.
    const exited = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.listen({ transport: "unix", path: ${JSON.stringify(path)} });` +
        "Deno.exit(0);",
      ],
    }).output();
    assert.ok(exited.success);
    assert.ok((await Deno.lstat(path)).isSocket);
    const listener = await listenUnixSocket(path, 0o600);
    try {
      const conn = await Deno.connect({ transport: "unix", path });
      conn.close();
    } finally {
      listener.close();
    }
  });
});

Deno.test("listenUnixSocket() refuses a live socket and a regular file", async () => {
  await inTempDir(async (dir) => {
    const live = `${dir}/live.sock`;
    const other = Deno.listen({ transport: "unix", path: live });
    try {
      await assert.rejects(
        () => listenUnixSocket(live, 0o600),
        SocketPathError,
      );
    } finally {
      other.close();
    }
    const file = `${dir}/file`;
    await Deno.writeTextFile(file, "keep me");
    await assert.rejects(() => listenUnixSocket(file, 0o600), SocketPathError);
    assert.equal(await Deno.readTextFile(file), "keep me");
  });
});
