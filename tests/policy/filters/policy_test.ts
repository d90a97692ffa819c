import { deepStrictEqual, throws } from "node:assert/strict";
import {
  compilePolicy,
  literalDirs,
} from "../../../src/policy/filters/policy.ts";
import { allow, makeOptions } from "./test_helpers.ts";

Deno.test("literalDirs() finds the directory each alternative of a deny pattern starts in", () => {
  const cases: [string, string[]][] = [
    ["^/etc/.*", ["/etc"]],
    ["^/var/run/docker\\.sock$", ["/var/run"]],
    ["^/var/run/docker.sock", ["/var/run"]],
    ["^/etc", ["/"]],
    ["^/etc/pass.*", ["/etc"]],
    ["^/(etc|root)/.*", ["/"]],
    ["^/etc/.*|^/root/.*", ["/etc", "/root"]],
    ["^/home/alice/.*|^/home/bob/secret", ["/home/alice", "/home/bob"]],
    ["^/data/x?/y", ["/data"]],
    ["^/srv\\/a/b", ["/srv/a"]],
    ["^/a\\d/b", ["/"]],
    ["/etc/", ["/"]],
    ["docker\\.sock", ["/"]],
    ["^[/]etc/", ["/"]],
    ["^/x[|]y/z|^/q/r", ["/", "/q"]],
  ];
  for (const [source, dirs] of cases) {
    deepStrictEqual(literalDirs(source), dirs, source);
  }
});

Deno.test("compilePolicy() protects the default sockets and configured ones, cleaned", () => {
  const policy = compilePolicy(makeOptions({
    engine_socket_paths: [
      "unix:///srv/docker//engine.sock",
      "/run/docker.sock",
    ],
  }));
  deepStrictEqual(policy.protectedSockets, [
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/srv/docker/engine.sock",
  ]);
});

Deno.test("compilePolicy() protects nothing when defaults are disabled", () => {
  deepStrictEqual(
    compilePolicy(makeOptions({ disable_defaults: true })).protectedSockets,
    [],
  );
});

Deno.test("compilePolicy() gives a socket back only to an allow pattern that names it", () => {
  const cases: [string, string[]][] = [
    ["^/var/run/docker\\.sock$", ["/run/docker.sock"]],
    ["/var/run/docker.sock", ["/run/docker.sock"]],
    ["/(var/)?run/docker\\.sock", []],
    ["^/.*", ["/var/run/docker.sock", "/run/docker.sock"]],
    ["/var/run/.*", ["/var/run/docker.sock", "/run/docker.sock"]],
    ["/data/docker\\.sock", ["/var/run/docker.sock", "/run/docker.sock"]],
  ];
  for (const [source, remaining] of cases) {
    const policy = compilePolicy(
      makeOptions({ volumes: { allowed_paths: [allow(source)] } }),
    );
    deepStrictEqual(policy.protectedSockets, remaining, source);
  }
});

Deno.test("compilePolicy() refuses stateful patterns and relative socket paths", () => {
  throws(
    () =>
      compilePolicy(makeOptions({
        containers: { allowed_images: [{ source: "x", regexp: /x/g }] },
      })),
    /containers\.allowed_images/,
  );
  throws(
    () => compilePolicy(makeOptions({ engine_socket_paths: ["docker.sock"] })),
    TypeError,
  );
});
