import assert from "node:assert/strict";
import {
  DEFAULT_CONFIG_PATHS,
  DEFAULT_SOCKET_PATHS,
  OWN_CONTAINER_FILES,
  permissionFlags,
  resolvePermissionScope,
} from "../../src/cli/permissions.ts";
import { runtimeFlags } from "../../src/cli/runtime_flags.ts";
import { repoPath } from "./sandboxed_gate.ts";

/** Flags that would open what dockgate never needs. */
const FORBIDDEN_FLAG_REGEXP =
  /^(?:-A|--allow-all|--allow-run|--allow-ffi|--allow-sys|--allow-import)/;

function flagValue(flags: string[], name: string): string | undefined {
  const prefix = `--allow-${name}`;
  const flag = flags.find((f) => f === prefix || f.startsWith(`${prefix}=`));
  if (flag === undefined) return undefined;
  return flag === prefix ? "all" : flag.slice(prefix.length + 1);
}

Deno.test("resolvePermissionScope() without variables gives the documented defaults", () => {
  const flags = permissionFlags(resolvePermissionScope({}));
  assert.equal(flags[0], "--no-prompt");
  assert.equal(flagValue(flags, "net"), "all");
  assert.equal(
    flagValue(flags, "read"),
    [...DEFAULT_SOCKET_PATHS, ...DEFAULT_CONFIG_PATHS, "/etc/hostname"]
      .join(","),
  );
  assert.equal(flagValue(flags, "write"), DEFAULT_SOCKET_PATHS.join(","));
  assert.equal(flagValue(flags, "env"), "all");
  assert.equal(flags.length, 5);
});

const OVERRIDE_CASES: {
  env: Record<string, string>;
  flag: string;
  expected: string;
}[] = [
  {
    env: { DOCKGATE_ALLOW_NET: "0.0.0.0:2375, unix:/run/docker.sock" },
    flag: "net",
    expected: "0.0.0.0:2375,unix:/run/docker.sock",
  },
  {
    env: { DOCKGATE_SOCKET_PATHS: "/srv/dg" },
    flag: "write",
    expected: "/srv/dg",
  },
  {
    env: { DOCKGATE_SOCKET_PATHS: "/srv/dg", DOCKGATE_CONFIG_PATHS: "/cfg" },
    flag: "read",
    expected: "/srv/dg,/cfg,/etc/hostname",
  },
  {
    env: { DOCKGATE_CONFIG_PATHS: "/etc/dockgate" },
    flag: "read",
    expected: [...DEFAULT_SOCKET_PATHS, "/etc/dockgate", "/etc/hostname"]
      .join(","),
  },
  {
    env: { DOCKGATE_CONFIG_PATHS: "all" },
    flag: "read",
    expected: "all",
  },
  {
    env: { DOCKGATE_SOCKET_PATHS: "all" },
    flag: "write",
    expected: "all",
  },
];

Deno.test("resolvePermissionScope() replaces a default scope from its variable", () => {
  for (const { env, flag, expected } of OVERRIDE_CASES) {
    const flags = permissionFlags(resolvePermissionScope(env));
    assert.equal(flagValue(flags, flag), expected, JSON.stringify(env));
  }
});

Deno.test("resolvePermissionScope() rejects an empty entry", () => {
  assert.throws(
    () => resolvePermissionScope({ DOCKGATE_SOCKET_PATHS: "/a,,/b" }),
    /DOCKGATE_SOCKET_PATHS has an empty entry: "\/a,,\/b"/,
  );
});

Deno.test("permissionFlags() rejects a path the flag syntax cannot carry", () => {
  const scope = resolvePermissionScope({
    DOCKGATE_CONFIG_PATHS: "/etc/my dockgate",
  });
  assert.throws(() => permissionFlags(scope), /space or comma/);
});

Deno.test("permissionFlags() never grants run, ffi, sys, import or all", () => {
  const scopes = [
    resolvePermissionScope({}),
    resolvePermissionScope({
      DOCKGATE_ALLOW_NET: "all",
      DOCKGATE_SOCKET_PATHS: "all",
      DOCKGATE_CONFIG_PATHS: "all",
    }),
  ];
  for (const scope of scopes) {
    for (const flag of permissionFlags(scope)) {
      assert.doesNotMatch(flag, FORBIDDEN_FLAG_REGEXP);
    }
  }
});

Deno.test("permissionFlags() grants the whole environment, so typos can be listed", () => {
  const scopes = [
    resolvePermissionScope({}),
    resolvePermissionScope({
      DOCKGATE_ALLOW_NET: "127.0.0.1:2375",
      DOCKGATE_SOCKET_PATHS: "/srv/dg",
      DOCKGATE_CONFIG_PATHS: "/cfg",
    }),
  ];
  for (const scope of scopes) {
    assert.equal(flagValue(permissionFlags(scope), "env"), "all");
  }
});

Deno.test("permissionFlags() lets dockgate read /etc/hostname, and nothing else in /etc", () => {
  const flags = permissionFlags(resolvePermissionScope({
    DOCKGATE_SOCKET_PATHS: "/srv/dg",
    DOCKGATE_CONFIG_PATHS: "/cfg",
  }));
  const read = (flagValue(flags, "read") ?? "").split(",");
  assert.deepEqual(
    read.filter((path) => path.startsWith("/etc")),
    [...OWN_CONTAINER_FILES],
  );
  assert.deepEqual(OWN_CONTAINER_FILES, ["/etc/hostname"]);
  assert.doesNotMatch(flagValue(flags, "write") ?? "", /\/etc\/hostname/);
});

/** What a child deno needs to find itself and its cache. */
function denoEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return env;
}

async function runPermissionsModule(
  env: Record<string, string>,
): Promise<string[]> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-env=DOCKGATE_ALLOW_NET,DOCKGATE_SOCKET_PATHS," +
      "DOCKGATE_CONFIG_PATHS",
      repoPath("src/cli/permissions.ts"),
    ],
    env: { ...denoEnv(), ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stdout).trimEnd().split("\n");
}

Deno.test("permissions.ts run as a script prints the flags one a line", async () => {
  const env = { DOCKGATE_ALLOW_NET: "127.0.0.1:2375" };
  assert.deepEqual(
    await runPermissionsModule(env),
    [...permissionFlags(resolvePermissionScope(env)), ...runtimeFlags()],
  );
});

Deno.test("deno task start and compile.sh both take their flags from permissions.ts", () => {
  const config = JSON.parse(Deno.readTextFileSync(repoPath("deno.json")));
  const start: string = config.tasks.start;
  assert.match(start, /^deno run \$\(deno run .*src\/cli\/permissions\.ts\)/);
  assert.match(start, / src\/main\.ts$/);
  assert.doesNotMatch(start, /-A\b|--allow-all|--allow-(?:net|read|write) /);
  const compile = Deno.readTextFileSync(repoPath("compile.sh"));
  assert.match(compile, /\n\s+src\/cli\/permissions\.ts\)/);
  assert.match(compile, /deno compile [^\n]*\\\n[^\n]*"\$\{flags\[@\]\}"/);
});

Deno.test("deno task start refuses a socket outside its scope, so it is not -A", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dockgate-task-" });
  try {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "start"],
      cwd: repoPath(""),
      env: {
        ...denoEnv(),
        LISTEN_SOCKET: `${dir}/dockgate.sock`,
        DOCKER_SOCKET: `unix://${dir}/engine.sock`,
        NO_COLOR: "1",
      },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(output.stdout) +
      new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 2, text);
    assert.match(text, /--allow-write \(compile\.sh: DOCKGATE_SOCKET_PATHS\)/);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
