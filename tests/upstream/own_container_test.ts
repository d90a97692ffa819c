import { equal } from "node:assert/strict";
import { detectOwnContainerId } from "../../src/upstream/own_container.ts";

const FULL_ID = "0123456789abcdef".repeat(4);

function files(contents: Record<string, string>) {
  return (path: string) => {
    const text = contents[path];
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(path))
      : Promise.resolve(text);
  };
}

Deno.test("detectOwnContainerId() reads the full ID from mountinfo", async () => {
  const mountinfo =
    `612 600 0:52 /var/lib/docker/containers/${FULL_ID}/hostname /etc/hostname rw - ext4 /dev/vda rw\n`;
  equal(
    await detectOwnContainerId(files({ "/proc/self/mountinfo": mountinfo })),
    FULL_ID,
  );
});

Deno.test("detectOwnContainerId() falls back to a 12-digit hostname", async () => {
  equal(
    await detectOwnContainerId(files({ "/etc/hostname": "0123456789ab\n" })),
    "0123456789ab",
  );
});

Deno.test("detectOwnContainerId() ignores an ordinary host name", async () => {
  equal(
    await detectOwnContainerId(files({ "/etc/hostname": "buildhost\n" })),
    null,
  );
  equal(await detectOwnContainerId(files({})), null);
});
