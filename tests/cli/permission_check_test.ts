import assert from "node:assert/strict";
import {
  formatMissingPermission,
  missingPermissions,
  type PermissionNeeds,
  type PermissionQuery,
  readProblem,
} from "../../src/cli/permission_check.ts";
import { loadConfig } from "../../src/config/load_config.ts";

/**
 * A fake `querySync` granting `grants`: "net" alone for unscoped net,
 * "net:<host>" for one net entry, "read:<dir>" and "write:<dir>" for a
 * path and everything below it.
 */
function grant(...grants: string[]): PermissionQuery {
  return (descriptor) => {
    const granted = (() => {
      switch (descriptor.name) {
        case "net":
          return grants.includes("net") ||
            (descriptor.host !== undefined &&
              grants.includes(`net:${descriptor.host}`));
        case "read":
        case "write": {
          const path = String(descriptor.path ?? "");
          return grants.some((entry) => {
            const prefix = `${descriptor.name}:`;
            if (!entry.startsWith(prefix)) return false;
            const dir = entry.slice(prefix.length);
            return path === dir || path.startsWith(`${dir}/`);
          });
        }
        default:
          return false;
      }
    })();
    return { state: granted ? "granted" : "prompt" };
  };
}

function needs(env: Record<string, string>): PermissionNeeds {
  return loadConfig({ env });
}

const SOCKETS = [
  "read:/var/run/docker.sock",
  "write:/var/run/docker.sock",
  "read:/run/dockgate",
  "write:/run/dockgate",
];

const CASES: {
  name: string;
  env: Record<string, string>;
  grants: string[];
  expected: string[];
}[] = [
  {
    name: "the defaults need loopback 2375 and the default engine socket",
    env: {},
    grants: ["net", ...SOCKETS],
    expected: [],
  },
  {
    name: "a TCP listener outside a scoped net is named with its flag",
    env: { LISTEN_ADDR: ":2376" },
    grants: ["net:0.0.0.0:2375", "net:unix:/var/run/docker.sock", ...SOCKETS],
    expected: [
      'cannot listen on :2376: no net access to "0.0.0.0:2376"; grant it ' +
      "with --allow-net (compile.sh: DOCKGATE_ALLOW_NET)",
    ],
  },
  {
    name: "an IPv6 listener is checked in brackets",
    env: { LISTEN_ADDR: "[::]:2375" },
    grants: ["net:[::]:2375", "net:unix:/var/run/docker.sock", ...SOCKETS],
    expected: [],
  },
  {
    name: "a socket outside the socket paths needs read and write",
    env: { LISTEN_SOCKET: "/srv/dockgate.sock" },
    grants: ["net", ...SOCKETS],
    expected: [
      'cannot listen on /srv/dockgate.sock: no read and write access to "/srv"; ' +
      "grant it with --allow-read and --allow-write " +
      "(compile.sh: DOCKGATE_SOCKET_PATHS)",
    ],
  },
  {
    name: "a socket listener needs unscoped net for its first, random name",
    env: { LISTEN_SOCKET: "/run/dockgate/dockgate.sock" },
    grants: ["net:unix:/var/run/docker.sock", ...SOCKETS],
    expected: [
      "cannot listen on /run/dockgate/dockgate.sock: no unscoped net access " +
      'to "unix:/run/dockgate/dockgate.sock"; grant it with --allow-net ' +
      "(compile.sh: DOCKGATE_ALLOW_NET=all)",
    ],
  },
  {
    name: "an engine socket needs its own path and its unix: net entry",
    env: { DOCKER_SOCKET: "unix:///run/user/1000/docker.sock" },
    grants: ["net:127.0.0.1:2375", ...SOCKETS],
    expected: [
      "cannot reach the engine at /run/user/1000/docker.sock: no read and " +
      'write access to "/run/user/1000/docker.sock"; grant it with ' +
      "--allow-read and --allow-write (compile.sh: DOCKGATE_SOCKET_PATHS)",
      "cannot reach the engine at /run/user/1000/docker.sock: no net access " +
      'to "unix:/run/user/1000/docker.sock"; grant it with --allow-net ' +
      "(compile.sh: DOCKGATE_ALLOW_NET)",
    ],
  },
  {
    name: "a TCP engine needs its host and port",
    env: { DOCKER_SOCKET: "tcp://dind:2375" },
    grants: ["net:127.0.0.1:2375"],
    expected: [
      'cannot reach the engine at tcp://dind:2375: no net access to "dind:2375"; ' +
      "grant it with --allow-net (compile.sh: DOCKGATE_ALLOW_NET)",
    ],
  },
];

for (const { name, env, grants, expected } of CASES) {
  Deno.test(`missingPermissions(): ${name}`, () => {
    const missing = missingPermissions(needs(env), grant(...grants));
    assert.deepEqual(missing.map(formatMissingPermission), expected);
  });
}

Deno.test("missingPermissions() finds nothing missing under -A", () => {
  const config = needs({
    LISTEN_SOCKET: "/srv/x/dockgate.sock",
    LISTEN_ADDR: "127.0.0.1:2375",
    DOCKER_SOCKET: "tcp://127.0.0.1:2376",
  });
  assert.deepEqual(missingPermissions(config), []);
});

/** Table: settings beyond `listen:` whose permissions are checked too. */
const FILE_CASES: {
  name: string;
  yaml: (dir: string) => string;
  grants: (dir: string) => string[];
  expected: (dir: string) => string[];
}[] = [
  {
    name: "a socket of listeners: outside the socket paths",
    yaml: () => "listeners: [{socket: /srv/team-a.sock, profile: default}]\n",
    grants: () => ["net", ...SOCKETS],
    expected: () => [
      'cannot listen on /srv/team-a.sock: no read and write access to "/srv"; ' +
      "grant it with --allow-read and --allow-write " +
      "(compile.sh: DOCKGATE_SOCKET_PATHS)",
    ],
  },
  {
    name:
      "an address of listeners: and the admin address outside the net scope",
    yaml: () =>
      "listeners: [{addr: '0.0.0.0:2376'}]\n" +
      "admin: {enabled: true, addr: '127.0.0.1:9400'}\n",
    grants: () => ["net:unix:/var/run/docker.sock", ...SOCKETS],
    expected: () => [
      'cannot listen on 0.0.0.0:2376: no net access to "0.0.0.0:2376"; ' +
      "grant it with --allow-net (compile.sh: DOCKGATE_ALLOW_NET)",
      "cannot listen on 127.0.0.1:9400 for the admin listener: no net " +
      'access to "127.0.0.1:9400"; grant it with --allow-net ' +
      "(compile.sh: DOCKGATE_ALLOW_NET)",
    ],
  },
  {
    name: "TLS files outside the config paths",
    yaml: (dir) =>
      "listen: {addr: '127.0.0.1:2376', tls: " +
      `{cert_file: ${dir}/cert.pem, key_file: ${dir}/key.pem}}\n`,
    grants: () => ["net", ...SOCKETS],
    expected: (dir) => [
      `cannot read the TLS certificate of 127.0.0.1:2376: no read access to ` +
      `"${dir}/cert.pem"; grant it with --allow-read ` +
      "(compile.sh: DOCKGATE_CONFIG_PATHS)",
      `cannot read the TLS key of 127.0.0.1:2376: no read access to ` +
      `"${dir}/key.pem"; grant it with --allow-read ` +
      "(compile.sh: DOCKGATE_CONFIG_PATHS)",
    ],
  },
  {
    name: "a token file outside the config paths, inside them for TLS",
    yaml: (dir) =>
      "profiles: {ci: {tokens: [{file: " + `${dir}/ci.token}]}}\n` +
      "listen: {addr: '127.0.0.1:2376', tls: " +
      `{cert_file: ${dir}/tls/cert.pem, key_file: ${dir}/tls/key.pem}}\n`,
    grants: (dir) => ["net", ...SOCKETS, `read:${dir}/tls`],
    expected: (dir) => [
      `cannot read token file ${dir}/ci.token of profile ci: no read ` +
      `access to "${dir}/ci.token"; grant it with --allow-read ` +
      "(compile.sh: DOCKGATE_CONFIG_PATHS)",
    ],
  },
];

for (const { name, yaml, grants, expected } of FILE_CASES) {
  Deno.test(`missingPermissions(): ${name}`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "dgp-" });
    try {
      await Deno.writeTextFile(`${dir}/ci.token`, "ci-token-0123456789abcdef");
      await Deno.writeTextFile(`${dir}/c.yaml`, yaml(dir));
      const config = loadConfig({ env: {}, configFile: `${dir}/c.yaml` });
      const missing = missingPermissions(config, grant(...grants(dir)));
      assert.deepEqual(missing.map(formatMissingPermission), expected(dir));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("readProblem() names the config scope for an unreadable file, null for a readable one", () => {
  const query = grant("read:/etc/dockgate");
  assert.equal(
    readProblem("read token file /run/secrets/t", "/run/secrets/t", query),
    'cannot read token file /run/secrets/t: no read access to "/run/secrets/t"; ' +
      "grant it with --allow-read (compile.sh: DOCKGATE_CONFIG_PATHS)",
  );
  assert.equal(
    readProblem("read token file /etc/dockgate/t", "/etc/dockgate/t", query),
    null,
  );
});
