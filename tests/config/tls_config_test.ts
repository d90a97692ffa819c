/**
 * TLS settings: where they may be given, what they must hold, and the
 * client certificate setting that Deno cannot honour and is refused.
 */

import assert from "node:assert/strict";
import { loadConfig } from "../../src/config/load_config.ts";
import { listenerSpecs } from "../../src/profiles/profile_specs.ts";
import { loadIssues, withFiles } from "./_config_fixtures.ts";

const CERT = "/etc/dockgate/tls/cert.pem";
const KEY = "/etc/dockgate/tls/key.pem";

Deno.test("TLS_CERT_FILE and TLS_KEY_FILE put TLS on the listen address", () => {
  const config = loadConfig({
    env: {
      LISTEN_ADDR: "0.0.0.0:2376",
      TLS_CERT_FILE: CERT,
      TLS_KEY_FILE: KEY,
    },
  });
  assert.deepEqual(
    listenerSpecs(config).map((spec) => "addr" in spec ? spec.tls : null),
    [{ certFile: CERT, keyFile: KEY }],
  );
});

Deno.test("empty TLS_CERT_FILE and TLS_KEY_FILE leave TCP plain", () => {
  const config = loadConfig({ env: { TLS_CERT_FILE: "", TLS_KEY_FILE: "" } });
  assert.equal(config.listen.tls, null);
});

Deno.test("listeners: entries take their own tls, TCP ones only", () => {
  withFiles({
    "c.yaml": `listeners:
  - addr: 127.0.0.1:2376
    tls: {cert_file: ${CERT}, key_file: ${KEY}}
  - addr: 127.0.0.1:2377
`,
  }, (paths) => {
    const config = loadConfig({ env: {}, configFile: paths["c.yaml"] });
    assert.deepEqual(
      listenerSpecs(config).map((spec) => [
        spec.endpoint,
        "addr" in spec ? spec.tls : null,
      ]),
      [
        ["tcp://127.0.0.1:2376", { certFile: CERT, keyFile: KEY }],
        ["tcp://127.0.0.1:2377", null],
      ],
    );
  });
});

/** Table: a TLS setting and the one problem it must be reported with. */
const REFUSED_CASES: {
  name: string;
  env?: Record<string, string>;
  yaml?: string;
  issue: { key: string; message: RegExp };
}[] = [
  {
    name: "a certificate without a key",
    env: { TLS_CERT_FILE: CERT },
    issue: {
      key: "TLS_CERT_FILE",
      message: /^TLS needs both cert_file and key_file, only cert_file is set$/,
    },
  },
  {
    name: "a relative path",
    env: { TLS_CERT_FILE: "cert.pem", TLS_KEY_FILE: KEY },
    issue: {
      key: "TLS_CERT_FILE",
      message: /^expected an absolute file path: "cert\.pem"$/,
    },
  },
  {
    name: "client_ca_file, which Deno's TLS listener cannot honour",
    yaml: `listen:
  addr: 127.0.0.1:2376
  tls: {cert_file: ${CERT}, key_file: ${KEY}, client_ca_file: /etc/ca.pem}
`,
    issue: {
      key: "listen.tls.client_ca_file",
      message:
        /^client certificates cannot be verified: Deno's TLS listener cannot request them; .*"\/etc\/ca\.pem"$/,
    },
  },
  {
    name: "TLS_CLIENT_CA_FILE, refused like client_ca_file",
    env: { TLS_CLIENT_CA_FILE: "/etc/dockgate/ca.pem" },
    issue: {
      key: "TLS_CLIENT_CA_FILE",
      message: /^client certificates cannot be verified: /,
    },
  },
  {
    name: "TLS on a Unix socket",
    yaml: `listeners:
  - socket: /run/dockgate/a.sock
    tls: {cert_file: ${CERT}, key_file: ${KEY}}
`,
    issue: {
      key: "listeners[0].tls",
      message: /^TLS needs a TCP addr; a Unix socket is guarded by/,
    },
  },
  {
    name: "TLS on listen: when listeners: took its default address away",
    yaml: `listen:
  tls: {cert_file: ${CERT}, key_file: ${KEY}}
listeners:
  - socket: /run/dockgate/a.sock
`,
    issue: { key: "listen.tls", message: /^TLS needs a TCP addr/ },
  },
  {
    name: "an unknown key",
    yaml: `listen:
  tls: {cert_file: ${CERT}, key_file: ${KEY}, ca_file: /etc/ca.pem}
`,
    issue: { key: "listen.tls.ca_file", message: /^unknown key: "ca_file"$/ },
  },
];

for (const { name, env, yaml, issue } of REFUSED_CASES) {
  Deno.test(`loadConfig() refuses ${name}`, () => {
    withFiles({ "c.yaml": yaml ?? "{}\n" }, (paths) => {
      const issues = loadIssues({
        env: env ?? {},
        configFile: yaml === undefined ? undefined : paths["c.yaml"],
      });
      assert.equal(issues.length, 1, JSON.stringify(issues));
      assert.equal(issues[0]?.key, issue.key);
      assert.match(issues[0]?.message ?? "", issue.message);
    });
  });
}

Deno.test("loadConfig() reports a token file that readProblem() refuses, without reading it", () => {
  const asked: string[] = [];
  const issues = loadIssues({
    env: { TOKEN_FILE: "/nonexistent/dockgate.token" },
    readProblem: (purpose, path) => {
      asked.push(path);
      return `cannot ${purpose}: refused by the test`;
    },
  });
  assert.deepEqual(
    issues.map((issue) => `${issue.key}: ${issue.message}`),
    [
      "TOKEN_FILE: cannot read token file /nonexistent/dockgate.token: " +
      "refused by the test",
    ],
  );
  assert.deepEqual(asked, ["/nonexistent/dockgate.token"]);
});
