import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  cleanPath,
  parseBindSpec,
  pathExposes,
} from "../../../src/policy/filters/host_path.ts";

Deno.test("cleanPath() matches Go's path.Clean", () => {
  const cases: [string, string][] = [
    ["", "."],
    ["/", "/"],
    ["//", "/"],
    ["/var/run/", "/var/run"],
    ["/var//run", "/var/run"],
    ["/var/run/../run", "/var/run"],
    ["/var/./run/.", "/var/run"],
    ["/tmp/../", "/"],
    ["/..", "/"],
    ["/../../etc", "/etc"],
    ["a/../..", ".."],
    ["../../a", "../../a"],
    ["a/./b/../c", "a/c"],
    ["./", "."],
  ];
  for (const [input, expected] of cases) {
    strictEqual(cleanPath(input), expected, input);
  }
});

Deno.test("pathExposes() is true for the path and its ancestors only", () => {
  const socket = "/var/run/docker.sock";
  const cases: [string, boolean][] = [
    ["/var/run/docker.sock", true],
    ["/var/run", true],
    ["/var/run/", true],
    ["/var", true],
    ["/", true],
    ["/var/run/../run", true],
    ["/var/runner", false],
    ["/var/run/docker.sock.d", false],
    ["/var/run/docker", false],
    ["/run", false],
  ];
  for (const [mounted, expected] of cases) {
    strictEqual(pathExposes(mounted, socket), expected, mounted);
  }
});

Deno.test("parseBindSpec() classifies binds like the engine's Linux parser", () => {
  const cases: [string, ReturnType<typeof parseBindSpec>][] = [
    [
      "/var/run/:/x:ro",
      { kind: "bind", source: "/var/run", target: "/x", mode: "ro" },
    ],
    ["/a/../b:/b", { kind: "bind", source: "/b", target: "/b", mode: "" }],
    [
      "data:/data:rw",
      { kind: "volume", name: "data", target: "/data", mode: "rw" },
    ],
    [
      "var/run:/x",
      { kind: "volume", name: "var/run", target: "/x", mode: "" },
    ],
    ["/only", { kind: "anonymous", target: "/only" }],
  ];
  for (const [spec, expected] of cases) {
    deepStrictEqual(parseBindSpec(spec), expected, spec);
  }
});

Deno.test("parseBindSpec() refuses what the engine refuses", () => {
  for (const spec of [":/x", "/a:/b:ro:z", "a:b:c:d", ""]) {
    throws(() => parseBindSpec(spec), SyntaxError, spec);
  }
});
