import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import { ConfigError } from "../../src/config/config_error.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import {
  ACTION_SWITCH_NAMES,
  ACTION_SWITCHES,
  SECTIONS,
  SECTIONS_ALLOWED_BY_DEFAULT,
} from "../../src/policy/sections.ts";
import {
  loadError,
  loadIssue,
  loadIssues,
  withFiles,
} from "./_config_fixtures.ts";

function isDeeplyFrozen(value: unknown): boolean {
  if (value === null || typeof value !== "object") return true;
  return Object.isFrozen(value) &&
    Object.values(value).every((child) => isDeeplyFrozen(child));
}

Deno.test("loadConfig() with an empty environment gives the defaults", () => {
  const config = loadConfig({ env: {} });
  deepStrictEqual(config.listen, {
    addr: "127.0.0.1:2375",
    socket: null,
    socket_perms: 0o660,
    tls: null,
  });
  deepStrictEqual(config.docker, {
    socket: { kind: "unix", path: "/var/run/docker.sock" },
    api_version: null,
  });
  deepStrictEqual(config.log, { level: "info", format: "text" });
  for (const section of SECTIONS) {
    const open = (SECTIONS_ALLOWED_BY_DEFAULT as readonly string[])
      .includes(section);
    equal(config.sections[section], open, section);
  }
  deepStrictEqual(config.methods, {
    POST: false,
    DELETE: false,
    PUT: false,
    PATCH: false,
  });
  for (const name of ACTION_SWITCH_NAMES) {
    equal(config.actions[name], ACTION_SWITCHES[name].default, name);
  }
  deepStrictEqual(config.limits, {
    max_header_bytes: 65536,
    max_headers: 100,
    max_body_bytes: 1048576,
    header_timeout_ms: 10000,
    max_connections: 1024,
    max_connections_per_client: 256,
    idle_timeout_ms: 0,
    shutdown_grace_ms: 10000,
  });
  equal(config.filters.disable_defaults, false);
  equal(config.filters.proxy_container_name, "dockgate");
  equal(config.filters.proxy_network_name, null);
  equal(config.filters.containers.deny_privileged, true);
  equal(config.filters.containers.deny_host_network, true);
  equal(config.filters.images.allow_load, null);
  deepStrictEqual(config.filters.containers.require_labels, {});
  deepStrictEqual(config.filters.volumes.denied_paths, []);
});

Deno.test("loadConfig() returns a deeply frozen object", () => {
  const config = loadConfig({
    env: { DKRPRX__IMAGES__DENIED_TAGS: "^latest$" },
  });
  ok(isDeeplyFrozen(config));
  throws(() => {
    (config.sections as Record<string, boolean>)["CONTAINERS"] = true;
  }, TypeError);
  const pattern = config.filters.images.denied_tags[0];
  ok(pattern?.regexp.test("latest"), "a frozen RegExp still matches");
});

const BOOLEAN_SPELLINGS: [string, boolean][] = [
  ["1", true],
  ["0", false],
  ["true", true],
  ["false", false],
  ["TRUE", true],
  ["False", false],
  ["yes", true],
  ["No", false],
  ["on", true],
  ["OFF", false],
  [" yes ", true],
  ["\toff\n", false],
];

for (const [spelling, expected] of BOOLEAN_SPELLINGS) {
  Deno.test(`loadConfig() reads boolean ${JSON.stringify(spelling)}`, () => {
    const config = loadConfig({
      env: {
        CONTAINERS: spelling,
        ALLOW_LOGS: spelling,
        DKRPRX__CONTAINERS__DENY_PRIVILEGED: spelling,
      },
    });
    equal(config.sections.CONTAINERS, expected);
    equal(config.actions.ALLOW_LOGS, expected);
    equal(config.filters.containers.deny_privileged, expected);
  });
}

const BAD_BOOLEANS: [string, string][] = [
  ["CONTAINERS", "maybe"],
  ["POST", "2"],
  ["ALLOW_START", ""],
  ["DKRPRX__CONTAINERS__DENY_HOST_NETWORK", "nope"],
  ["DKRPRX__DISABLE_DEFAULTS", "y"],
];

for (const [name, value] of BAD_BOOLEANS) {
  Deno.test(`loadConfig() rejects ${name}=${JSON.stringify(value)}`, () => {
    const issue = loadIssue({ env: { [name]: value } });
    deepStrictEqual(issue, {
      key: name,
      source: "env",
      message: `expected a boolean: ${JSON.stringify(value)}`,
    });
  });
}

const SOCKET_PERMS_VALID: [string, number][] = [
  ["0660", 0o660],
  ["660", 0o660],
  ["0o600", 0o600],
  ["0777", 0o777],
  [" 0640 ", 0o640],
  ["0", 0],
];

for (const [text, mode] of SOCKET_PERMS_VALID) {
  Deno.test(`loadConfig() reads SOCKET_PERMS=${JSON.stringify(text)}`, () => {
    const config = loadConfig({ env: { SOCKET_PERMS: text } });
    equal(config.listen.socket_perms, mode);
  });
}

for (const text of ["0999", "abc", "-0660", "01777", "", "0x1b6", "6 6"]) {
  Deno.test(`loadConfig() stops on SOCKET_PERMS ${JSON.stringify(text)}`, () => {
    const issue = loadIssue({ env: { SOCKET_PERMS: text } });
    equal(issue.key, "SOCKET_PERMS");
    equal(issue.source, "env");
    match(issue.message, /^not an octal mode: /);
    ok(issue.message.includes(JSON.stringify(text)));
  });
}

Deno.test("loadConfig() reads an unquoted YAML mode as octal digits", () => {
  withFiles({ "c.yaml": "listen:\n  socket_perms: 0640\n" }, (paths) => {
    const config = loadConfig({ env: {}, configFile: paths["c.yaml"] });
    equal(config.listen.socket_perms, 0o640);
  });
});

const ENGINE_ADDRESSES: [string, unknown][] = [
  ["unix:///run/user/docker.sock", {
    kind: "unix",
    path: "/run/user/docker.sock",
  }],
  ["/run/user/docker.sock", { kind: "unix", path: "/run/user/docker.sock" }],
  ["tcp://127.0.0.1:2376", { kind: "tcp", host: "127.0.0.1", port: 2376 }],
  ["tcp://engine.internal:2375", {
    kind: "tcp",
    host: "engine.internal",
    port: 2375,
  }],
  ["tcp://[::1]:2375", { kind: "tcp", host: "::1", port: 2375 }],
];

for (const [text, address] of ENGINE_ADDRESSES) {
  Deno.test(`loadConfig() reads DOCKER_SOCKET=${text}`, () => {
    const config = loadConfig({ env: { DOCKER_SOCKET: text } });
    deepStrictEqual(config.docker.socket, address);
  });
}

const BAD_ENGINE_ADDRESSES = [
  "garbage",
  "relative/docker.sock",
  "unix://relative.sock",
  "tcp://engine",
  "tcp://engine:0",
  "tcp://engine:70000",
  "tcp://:2375",
  "http://engine:2375",
  "",
];

for (const text of BAD_ENGINE_ADDRESSES) {
  Deno.test(`loadConfig() rejects DOCKER_SOCKET ${JSON.stringify(text)}`, () => {
    const issue = loadIssue({ env: { DOCKER_SOCKET: text } });
    equal(issue.key, "DOCKER_SOCKET");
    match(issue.message, /^not a Docker engine address/);
  });
}

const LISTEN_CASES: {
  name: string;
  env: Record<string, string>;
  addr: string | null;
  socket: string | null;
}[] = [
  {
    name: "a unix:// socket is stored as a bare path",
    env: { LISTEN_SOCKET: "unix:///tmp/dockgate.sock" },
    addr: null,
    socket: "/tmp/dockgate.sock",
  },
  {
    name: "a socket alone turns the default TCP address off",
    env: { LISTEN_SOCKET: "/tmp/dockgate.sock" },
    addr: null,
    socket: "/tmp/dockgate.sock",
  },
  {
    name: "a socket and an explicit address are both kept",
    env: { LISTEN_SOCKET: "/tmp/d.sock", LISTEN_ADDR: ":2375" },
    addr: ":2375",
    socket: "/tmp/d.sock",
  },
  {
    name: "an empty LISTEN_ADDR with a socket means no TCP",
    env: { LISTEN_SOCKET: "/tmp/d.sock", LISTEN_ADDR: "" },
    addr: null,
    socket: "/tmp/d.sock",
  },
  {
    name: "an IPv6 address is accepted",
    env: { LISTEN_ADDR: "[::1]:2375" },
    addr: "[::1]:2375",
    socket: null,
  },
];

for (const { name, env, addr, socket } of LISTEN_CASES) {
  Deno.test(`loadConfig() listen: ${name}`, () => {
    const config = loadConfig({ env });
    equal(config.listen.addr, addr);
    equal(config.listen.socket, socket);
  });
}

const BAD_LISTEN_CASES: {
  env: Record<string, string>;
  key: string;
  message: RegExp;
}[] = [
  {
    env: { LISTEN_SOCKET: "relative.sock" },
    key: "LISTEN_SOCKET",
    message: /^not an absolute socket path: "relative.sock"$/,
  },
  {
    env: { LISTEN_ADDR: "localhost" },
    key: "LISTEN_ADDR",
    message: /^not a host:port address: "localhost"$/,
  },
  {
    env: { LISTEN_ADDR: "127.0.0.1:99999" },
    key: "LISTEN_ADDR",
    message: /^not a host:port address/,
  },
  {
    env: { LISTEN_ADDR: "" },
    key: "LISTEN_ADDR",
    message: /^nothing to listen on/,
  },
  {
    env: { LISTEN_SOCKET: "/var/run/docker.sock" },
    key: "LISTEN_SOCKET",
    message: /^is the engine socket itself/,
  },
];

for (const { env, key, message } of BAD_LISTEN_CASES) {
  Deno.test(`loadConfig() rejects listen ${JSON.stringify(env)}`, () => {
    const issue = loadIssue({ env });
    equal(issue.key, key);
    equal(issue.source, "env");
    match(issue.message, message);
  });
}

const PATCH_CASES: {
  name: string;
  env: Record<string, string>;
  file?: string;
  put: boolean;
  patch: boolean;
}[] = [
  { name: "PUT=1 opens PATCH", env: { PUT: "1" }, put: true, patch: true },
  {
    name: "PUT=1 PATCH=0 keeps PATCH closed",
    env: { PUT: "1", PATCH: "0" },
    put: true,
    patch: false,
  },
  {
    name: "PATCH=1 alone opens only PATCH",
    env: { PATCH: "1" },
    put: false,
    patch: true,
  },
  { name: "neither set", env: {}, put: false, patch: false },
  {
    name: "file put: true opens PATCH",
    env: {},
    file: "methods:\n  put: true\n",
    put: true,
    patch: true,
  },
  {
    name: "file patch: false outlasts PUT=1 from env",
    env: { PUT: "1" },
    file: "methods:\n  patch: false\n",
    put: true,
    patch: false,
  },
];

for (const { name, env, file, put, patch } of PATCH_CASES) {
  Deno.test(`loadConfig() methods: ${name}`, () => {
    withFiles({ "c.yaml": file ?? "" }, (paths) => {
      const config = loadConfig({
        env,
        configFile: file === undefined ? undefined : paths["c.yaml"],
      });
      equal(config.methods.PUT, put);
      equal(config.methods.PATCH, patch);
    });
  });
}

Deno.test("loadConfig() lets env override one key, not the section", () => {
  const file = [
    "sections:",
    "  containers: true",
    "methods:",
    "  post: true",
    "  delete: true",
    "filters:",
    "  containers:",
    "    deny_privileged: false",
    "    allowed_images: ['^from-file/']",
    "",
  ].join("\n");
  withFiles({ "c.yaml": file }, (paths) => {
    const config = loadConfig({
      env: { POST: "0", DKRPRX__CONTAINERS__ALLOWED_IMAGES: "^from-env/" },
      configFile: paths["c.yaml"],
    });
    equal(config.sections.CONTAINERS, true);
    equal(config.methods.POST, false);
    equal(config.methods.DELETE, true);
    equal(config.filters.containers.deny_privileged, false);
    deepStrictEqual(
      config.filters.containers.allowed_images.map((p) => p.source),
      ["^from-env/"],
    );
  });
});

Deno.test("loadConfig() reads DOCKGATE_CONFIG when no file is given", () => {
  withFiles({ "c.yaml": "sections:\n  images: true\n" }, (paths) => {
    const env = { DOCKGATE_CONFIG: paths["c.yaml"] ?? "" };
    equal(loadConfig({ env }).sections.IMAGES, true);
  });
});

Deno.test("loadConfig() prefers configFile over DOCKGATE_CONFIG", () => {
  const files = { "a.yaml": "ping: 1\n", "b.yaml": "sections: {ping: no}\n" };
  withFiles(files, (paths) => {
    const config = loadConfig({
      env: { DOCKGATE_CONFIG: paths["a.yaml"] ?? "" },
      configFile: paths["b.yaml"],
    });
    equal(config.sections.PING, false);
  });
});

Deno.test("loadConfig() names DOCKGATE_CONFIG when its file is missing", () => {
  const issue = loadIssue({
    env: { DOCKGATE_CONFIG: "/nonexistent/dockgate.yaml" },
  });
  equal(issue.key, "DOCKGATE_CONFIG");
  equal(issue.source, "env");
  match(issue.message, /^cannot read config file "\/nonexistent\/dockgate/);
});

const UNKNOWN_FILTER_VARS = [
  "DKRPRX__CONTAINERS__DENY_PRIVILEGE",
  "DKRPRX__CONTAINER__DENY_PRIVILEGED",
  "dkrprx__containers__deny_privileged",
  "DKRPRX_CONTAINERS__DENY_PRIVILEGED",
  "DKRPRX__VOLUMES__ALLOWED_IMAGES",
];

for (const name of UNKNOWN_FILTER_VARS) {
  Deno.test(`loadConfig() stops on the unknown variable ${name}`, () => {
    const issue = loadIssue({ env: { [name]: "false" } });
    equal(issue.key, name);
    equal(issue.source, "env");
    match(issue.message, /^unknown DKRPRX setting/);
  });
}

Deno.test("loadConfig() ignores unrelated environment variables", () => {
  const config = loadConfig({
    env: { HOME: "/root", PATH: "/bin", CONTAINER: "1", posts: "maybe" },
  });
  equal(config.sections.CONTAINERS, false);
});

Deno.test("loadConfig() names the variable holding an invalid regex", () => {
  const issue = loadIssue({
    env: { DKRPRX__IMAGES__DENIED_TAGS: "^ok$,(unclosed" },
  });
  equal(issue.key, "DKRPRX__IMAGES__DENIED_TAGS");
  equal(issue.source, "env");
  match(issue.message, /^invalid regular expression "\(unclosed": /);
});

Deno.test("loadConfig() names the file key holding an invalid regex", () => {
  const file = [
    "filters:",
    "  images:",
    "    denied_tags:",
    "      - ^latest$",
    "      - '[z-a]'",
    "",
  ].join("\n");
  withFiles({ "c.yaml": file }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
    deepStrictEqual(
      { ...issue, message: issue.message.slice(0, 36) },
      {
        key: "filters.images.denied_tags[1]",
        source: "file",
        file: paths["c.yaml"],
        line: 5,
        column: 9,
        message: `invalid regular expression "[z-a]": `,
      },
    );
  });
});

Deno.test("loadConfig() rejects an allow pattern escaping its anchors", () => {
  // Wrapped as ^(?:a)|(b)$ this would compile and allow anything with a b.
  const issue = loadIssue({
    env: { DKRPRX__NETWORKS__ALLOWED_NAMES: "a)|(b" },
  });
  equal(issue.key, "DKRPRX__NETWORKS__ALLOWED_NAMES");
  match(issue.message, /^invalid regular expression "a\)\|\(b"/);
});

Deno.test("loadConfig() anchors allow patterns and not deny patterns", () => {
  const config = loadConfig({
    env: {
      DKRPRX__VOLUMES__ALLOWED_DRIVERS: "local",
      DKRPRX__IMAGES__DENIED_TAGS: "latest",
    },
  });
  const allowed = config.filters.volumes.allowed_drivers[0];
  const denied = config.filters.images.denied_tags[0];
  equal(allowed?.source, "local");
  equal(allowed?.regexp.test("local"), true);
  equal(allowed?.regexp.test("nolocal"), false);
  equal(allowed?.regexp.test("local2"), false);
  equal(denied?.source, "latest");
  equal(denied?.regexp.test("not-latest-really"), true);
});

const LIST_FORMS: [string, string[]][] = [
  ["a,b", ["a", "b"]],
  [" a , ,b ,", ["a", "b"]],
  ["^x\\,y$,z", ["^x,y$", "z"]],
  ["^/etc/.*,^/root/.*", ["^/etc/.*", "^/root/.*"]],
  ["\\.", ["\\."]],
  ['["^a,b$", "c|d"]', ["^a,b$", "c|d"]],
  [' ["x"]', ["x"]],
  ["[]", []],
  ["", []],
];

for (const [text, sources] of LIST_FORMS) {
  Deno.test(`loadConfig() splits the env list ${JSON.stringify(text)}`, () => {
    const config = loadConfig({
      env: { DKRPRX__CONTAINERS__ALLOWED_IMAGES: text },
    });
    deepStrictEqual(
      config.filters.containers.allowed_images.map((p) => p.source),
      sources,
    );
  });
}

for (const text of ["[oops", '["a", 1]', '{"a": 1}', "[a-z]+,b"]) {
  Deno.test(`loadConfig() rejects the env list ${JSON.stringify(text)}`, () => {
    const issue = loadIssue({ env: { DKRPRX__IMAGES__ALLOWED_TAGS: text } });
    equal(issue.key, "DKRPRX__IMAGES__ALLOWED_TAGS");
    match(issue.message, /expected a JSON array of strings|invalid regular/);
  });
}

Deno.test("loadConfig() reads require_labels from env", () => {
  const config = loadConfig({
    env: {
      DKRPRX__CONTAINERS__REQUIRE_LABELS:
        "env=production, team = backend,cost=IT\\,001,empty=",
    },
  });
  deepStrictEqual(config.filters.containers.require_labels, {
    env: "production",
    team: "backend",
    cost: "IT,001",
    empty: "",
  });
});

for (const text of ["novalue", "=x", "a=1,a=2"]) {
  Deno.test(`loadConfig() rejects labels ${JSON.stringify(text)}`, () => {
    const issue = loadIssue({
      env: { DKRPRX__CONTAINERS__REQUIRE_LABELS: text },
    });
    equal(issue.key, "DKRPRX__CONTAINERS__REQUIRE_LABELS");
  });
}

Deno.test("loadConfig() replaces file require_labels as a whole", () => {
  const file = "filters:\n  containers:\n    require_labels: {a: '1'}\n";
  withFiles({ "c.yaml": file }, (paths) => {
    const fromFile = loadConfig({ env: {}, configFile: paths["c.yaml"] });
    deepStrictEqual(fromFile.filters.containers.require_labels, { a: "1" });
    const overridden = loadConfig({
      env: { DKRPRX__CONTAINERS__REQUIRE_LABELS: "b=2" },
      configFile: paths["c.yaml"],
    });
    deepStrictEqual(overridden.filters.containers.require_labels, { b: "2" });
  });
});

Deno.test("loadConfig() rejects a non-string label value in a file", () => {
  const file = "filters:\n  containers:\n    require_labels:\n      x: true\n";
  withFiles({ "c.yaml": file }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
    equal(issue.key, "filters.containers.require_labels");
    equal(issue.line, 4);
    match(issue.message, /^label "x": expected a string/);
  });
});

const LIMIT_CASES: [Record<string, string>, string, number][] = [
  [{ HEADER_TIMEOUT: "2.5" }, "header_timeout_ms", 2500],
  [{ HEADER_TIMEOUT: "30" }, "header_timeout_ms", 30000],
  [{ IDLE_TIMEOUT: "0" }, "idle_timeout_ms", 0],
  [{ SHUTDOWN_GRACE: "0.25" }, "shutdown_grace_ms", 250],
  [{ MAX_HEADERS: " 50 " }, "max_headers", 50],
  [{ MAX_BODY_BYTES: "2097152" }, "max_body_bytes", 2097152],
  [{ MAX_CONNECTIONS_PER_CLIENT: "8" }, "max_connections_per_client", 8],
];

for (const [env, key, value] of LIMIT_CASES) {
  Deno.test(`loadConfig() reads ${JSON.stringify(env)} into ${key}`, () => {
    const config = loadConfig({ env });
    equal((config.limits as Record<string, number>)[key], value);
  });
}

const BAD_LIMITS: [string, string][] = [
  ["MAX_HEADERS", "-1"],
  ["MAX_HEADERS", "1e3"],
  ["MAX_BODY_BYTES", "0x10"],
  ["MAX_CONNECTIONS", "0"],
  ["MAX_HEADER_BYTES", "12.5"],
  ["MAX_HEADER_BYTES", "99999999999999999999"],
  ["HEADER_TIMEOUT", "-1"],
  ["HEADER_TIMEOUT", "0"],
  ["IDLE_TIMEOUT", "ten"],
];

for (const [name, value] of BAD_LIMITS) {
  Deno.test(`loadConfig() rejects ${name}=${JSON.stringify(value)}`, () => {
    const issue = loadIssue({ env: { [name]: value } });
    equal(issue.key, name);
    equal(issue.source, "env");
  });
}

Deno.test("loadConfig() reads API_VERSION, LOG_LEVEL and LOG_FORMAT", () => {
  const config = loadConfig({
    env: { API_VERSION: "1.41", LOG_LEVEL: "WARNING", LOG_FORMAT: "json" },
  });
  equal(config.docker.api_version, "1.41");
  equal(config.log.level, "warn");
  equal(config.log.format, "json");
});

Deno.test("loadConfig() rejects a malformed API_VERSION and LOG_LEVEL", () => {
  const issues = loadIssues({
    env: { API_VERSION: "v1.41", LOG_LEVEL: "verbose" },
  });
  deepStrictEqual(issues.map((issue) => issue.key).sort(), [
    "API_VERSION",
    "LOG_LEVEL",
  ]);
});

Deno.test("loadConfig() accepts either spelling of the proxy names", () => {
  const config = loadConfig({
    env: {
      DKRPRX__PROXY_CONTAINER_NAME: "gate",
      PROXY_NETWORK_NAME: "gate-net",
    },
  });
  equal(config.filters.proxy_container_name, "gate");
  equal(config.filters.proxy_network_name, "gate-net");
  equal(
    loadConfig({ env: { PROXY_CONTAINER_NAME: "" } }).filters
      .proxy_container_name,
    null,
  );
});

Deno.test("loadConfig() stops when both proxy name spellings disagree", () => {
  const issue = loadIssue({
    env: {
      PROXY_CONTAINER_NAME: "one",
      DKRPRX__PROXY_CONTAINER_NAME: "two",
    },
  });
  equal(issue.key, "DKRPRX__PROXY_CONTAINER_NAME");
  match(issue.message, /^conflicts with PROXY_CONTAINER_NAME/);
});

Deno.test("loadConfig() rejects a proxy name that could never match", () => {
  const issue = loadIssue({ env: { PROXY_CONTAINER_NAME: "dock gate" } });
  equal(issue.key, "PROXY_CONTAINER_NAME");
});

Deno.test("loadConfig() reports the line of an unknown file key", () => {
  const file = "sections:\n  events: true\n  contaners: true\n";
  withFiles({ "c.yaml": file }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
    deepStrictEqual(issue, {
      key: "sections.contaners",
      source: "file",
      file: paths["c.yaml"],
      line: 3,
      column: 3,
      message: `unknown key: "contaners"`,
    });
  });
});

Deno.test("loadConfig() treats __proto__ in a file as an unknown key", () => {
  withFiles({ "c.yaml": "__proto__:\n  sections: {}\n" }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
    equal(issue.key, "__proto__");
    equal(issue.line, 1);
    equal(({} as Record<string, unknown>)["sections"], undefined);
  });
});

const SYNTAX_ERRORS: { name: string; text: string; line: number }[] = [
  {
    name: "a tab used as indentation",
    text: "sections:\n  events: true\n\tping: true\n",
    line: 3,
  },
  {
    name: "a duplicate key",
    text: "log:\n  level: info\n  format: text\n  level: debug\n",
    line: 4,
  },
  {
    name: "an unterminated quote",
    text: 'log:\n  level: info\ndocker:\n  socket: "/x\n',
    line: 4,
  },
];

for (const { name, text, line } of SYNTAX_ERRORS) {
  Deno.test(`loadConfig() gives the line of ${name} in YAML`, () => {
    withFiles({ "c.yaml": text }, (paths) => {
      const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
      equal(issue.source, "file");
      equal(issue.file, paths["c.yaml"]);
      equal(issue.line, line);
      match(issue.message, /^YAML syntax error: /);
    });
  });
}

Deno.test("loadConfig() gives JSON files line and column too", () => {
  const file = '{\n  "sections": {\n    "events": "sometimes"\n  }\n}\n';
  withFiles({ "c.json": file }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.json"] });
    equal(issue.key, "sections.events");
    equal(issue.line, 3);
    equal(issue.column, 15);
  });
});

Deno.test("loadConfig() rejects a file that is not a mapping", () => {
  withFiles({ "c.yaml": "- containers\n" }, (paths) => {
    const issue = loadIssue({ env: {}, configFile: paths["c.yaml"] });
    equal(issue.key, "");
    match(issue.message, /^expected a mapping at the top level/);
  });
});

Deno.test("loadConfig() lays FILTERS_CONFIG under main file and env", () => {
  const filters = JSON.stringify({
    containers: {
      allowed_images: ["^from-filters/"],
      deny_privileged: false,
      require_labels: { env: "production" },
    },
    images: { denied_tags: ["^dev$"], allowed_repos: ["^repo$"] },
  });
  const main = "filters:\n  containers:\n    allowed_images: ['^from-main/']\n";
  withFiles({ "filters.json": filters, "c.yaml": main }, (paths) => {
    const config = loadConfig({
      env: {
        FILTERS_CONFIG: paths["filters.json"] ?? "",
        DKRPRX__IMAGES__DENIED_TAGS: "^latest$",
      },
      configFile: paths["c.yaml"],
    });
    const { containers, images } = config.filters;
    deepStrictEqual(containers.allowed_images.map((p) => p.source), [
      "^from-main/",
    ]);
    equal(containers.deny_privileged, false);
    deepStrictEqual(containers.require_labels, { env: "production" });
    deepStrictEqual(images.denied_tags.map((p) => p.source), ["^latest$"]);
    deepStrictEqual(images.allowed_repos.map((p) => p.source), ["^repo$"]);
  });
});

Deno.test("loadConfig() keeps FILTERS_CONFIG under an empty filters:", () => {
  const filters = '{"images": {"allow_load": true}}';
  withFiles({ "f.json": filters, "c.yaml": "filters:\n" }, (paths) => {
    const config = loadConfig({
      env: { FILTERS_CONFIG: paths["f.json"] ?? "" },
      configFile: paths["c.yaml"],
    });
    equal(config.filters.images.allow_load, true);
  });
});

Deno.test("loadConfig() reports FILTERS_CONFIG problems in that file", () => {
  const filters = '{\n  "containers": {\n    "deny_privileged": "sure"\n  }\n}';
  withFiles({ "f.json": filters }, (paths) => {
    const issue = loadIssue({ env: { FILTERS_CONFIG: paths["f.json"] ?? "" } });
    deepStrictEqual(issue, {
      key: "containers.deny_privileged",
      source: "file",
      file: paths["f.json"],
      line: 3,
      column: 24,
      message: `expected a boolean: "sure"`,
    });
  });
});

Deno.test("loadConfig() reports every issue at once", () => {
  const file = "sections:\n  containers: maybe\n  bogus: true\nlimits: 5\n";
  withFiles({ "c.yaml": file }, (paths) => {
    const error = loadError({
      env: {
        SOCKET_PERMS: "0999",
        POST: "perhaps",
        DKRPRX__TYPO: "1",
        DKRPRX__IMAGES__DENIED_TAGS: "(",
      },
      configFile: paths["c.yaml"],
    });
    const where = paths["c.yaml"];
    const expected = [
      `DKRPRX__TYPO (env): unknown DKRPRX setting: check the spelling`,
      `SOCKET_PERMS (env): not an octal mode: "0999"`,
      `sections.containers (${where}:2:15): expected a boolean: "maybe"`,
      `sections.bogus (${where}:3:3): unknown key: "bogus"`,
      `POST (env): expected a boolean: "perhaps"`,
      `limits (${where}:4:9): expected a mapping: 5`,
      `DKRPRX__IMAGES__DENIED_TAGS (env): invalid regular expression "(": ` +
      `Unterminated group`,
    ];
    equal(error.issues.length, expected.length);
    for (const line of expected) {
      ok(error.message.includes(`\n  - ${line}`), `missing: ${line}`);
    }
    ok(error.message.startsWith("Invalid configuration:\n  - "));
    ok(error instanceof ConfigError && error.name === "ConfigError");
  });
});

Deno.test("loadConfig() accepts the filter examples of the seed README", () => {
  const config = loadConfig({
    env: {
      DKRPRX__VOLUMES__DENIED_PATHS: "^/etc/.*,^/root/.*,^/sys/.*,^/proc/.*",
      DKRPRX__VOLUMES__ALLOWED_PATHS: "^/var/run/docker\\.sock$",
      DKRPRX__CONTAINERS__ALLOWED_IMAGES:
        "^registry.company.com/.*:v[0-9]+\\.[0-9]+\\.[0-9]+$",
      DKRPRX__CONTAINERS__DENIED_IMAGES: ".*:(latest|dev|test)$",
      DKRPRX__CONTAINERS__ALLOWED_NAMES: "^(prod|staging|dev)-.*",
      DKRPRX__IMAGES__ALLOWED_REPOS:
        "^(docker\\.io/library|registry\\.company\\.com)/.*",
      DKRPRX__IMAGES__DENIED_REPOS: ".*\\.(cn|ru|suspicious)/",
      DKRPRX__IMAGES__DENIED_TAGS: "^(latest|dev|test|alpha|beta|rc).*",
      DKRPRX__NETWORKS__ALLOWED_DRIVERS: "bridge,overlay",
      DKRPRX__CONTAINERS__DENY_PRIVILEGED: "true",
    },
  });
  const images = config.filters.containers.allowed_images[0];
  equal(images?.regexp.test("registry.company.com/app:v1.2.3"), true);
  equal(images?.regexp.test("registry.company.com/app:latest"), false);
  equal(config.filters.volumes.denied_paths.length, 4);
  equal(
    config.filters.networks.allowed_drivers[1]?.regexp.test("overlay"),
    true,
  );
});
