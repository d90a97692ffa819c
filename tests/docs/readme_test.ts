import { equal, ok } from "node:assert/strict";
import { ENV_SETTINGS } from "../../src/config/env_source.ts";
import { loadConfig } from "../../src/config/load_config.ts";
import { createRequestFilters } from "../../src/policy/filters/request_filters.ts";
import { parseGoQuery } from "../../src/policy/go_query.ts";
import {
  ACTION_SWITCH_NAMES,
  SECTIONS,
  WRITE_METHODS,
} from "../../src/policy/sections.ts";

const README = await Deno.readTextFile(
  new URL("../../README.md", import.meta.url),
);

// Rows of the filter table: | `VARIABLE` | what | `example` |
const FILTER_ROW_REGEXP =
  /^\| `(DKRPRX__[A-Z_]+)` +\|(?:[^|\\]|\\\|)*\| `((?:[^`])+)` +\|$/gm;

function filterExamples(): [string, string][] {
  return [...README.matchAll(FILTER_ROW_REGEXP)].map((
    [, name = "", example = ""],
  ) => [name, example.replaceAll("\\|", "|")]);
}

Deno.test("README documents every environment variable dockgate reads", () => {
  const names = [
    ...ENV_SETTINGS.map((setting) => setting.name),
    ...SECTIONS,
    ...WRITE_METHODS,
    ...ACTION_SWITCH_NAMES,
  ];
  const missing = names.filter((name) => !README.includes(name));
  equal(missing.length, 0, `undocumented: ${missing.join(", ")}`);
});

Deno.test("every filter example in the README is a valid setting", () => {
  const examples = filterExamples();
  ok(examples.length >= 15, `found only ${examples.length} examples`);
  for (const [name, example] of examples) {
    const config = loadConfig({ env: { [name]: example } });
    ok(config, `${name}=${example}`);
  }
});

function createVerdict(env: Record<string, string>, body: unknown) {
  return verdictFor(env, "container.create", {}, "", body);
}

function verdictFor(
  env: Record<string, string>,
  routeId: string,
  params: Record<string, string>,
  rawQuery: string,
  body?: unknown,
) {
  const config = loadConfig({ env });
  const filters = createRequestFilters({
    ...config.filters,
    engine_socket_paths: [],
  });
  return filters({
    routeId,
    params,
    query: parseGoQuery(rawQuery),
    body,
    apiVersion: "1.41",
  });
}

Deno.test("README's denied-repository example also catches a registry port", () => {
  const env = { DKRPRX__IMAGES__DENIED_REPOS: "\\.ru(:[0-9]+)?/" };
  for (const repo of ["reg.ru/x", "reg.ru:5000/x"]) {
    const verdict = verdictFor(
      env,
      "image.tag",
      { name: "tiny:1" },
      `repo=${repo}&tag=1`,
    );
    equal(verdict.allowed, false, repo);
  }
  const allowed = verdictFor(
    env,
    "image.tag",
    { name: "tiny:1" },
    "repo=reg.example.com/x&tag=1",
  );
  equal(allowed.allowed, true);
});

Deno.test("README filter examples do what the README says", () => {
  const cases: [Record<string, string>, unknown, boolean][] = [
    [
      { DKRPRX__VOLUMES__ALLOWED_PATHS: "^/data/.*" },
      { Image: "tiny:1", HostConfig: { Binds: ["/data/app:/app"] } },
      true,
    ],
    [
      { DKRPRX__VOLUMES__ALLOWED_PATHS: "^/data/.*" },
      { Image: "tiny:1", HostConfig: { Binds: ["/etc:/etc"] } },
      false,
    ],
    [
      { DKRPRX__VOLUMES__DENIED_PATHS: "^/etc(/.*)?$" },
      { Image: "tiny:1", HostConfig: { Binds: ["/:/host"] } },
      false,
    ],
    [
      { DKRPRX__CONTAINERS__DENIED_IMAGES: ":(latest|dev)$" },
      { Image: "ubuntu" },
      false,
    ],
    [
      { DKRPRX__CONTAINERS__ALLOWED_IMAGES: "registry\\.example\\.com/.*" },
      { Image: "registry.example.com/app:1.0" },
      true,
    ],
    [
      { DKRPRX__CONTAINERS__ALLOWED_IMAGES: "registry\\.example\\.com/.*" },
      { Image: "ubuntu:22.04" },
      false,
    ],
    [
      { DKRPRX__CONTAINERS__REQUIRE_LABELS: "env=production,team=backend" },
      { Image: "tiny:1", Labels: { env: "production" } },
      false,
    ],
    [{}, { Image: "tiny:1", HostConfig: { Privileged: true } }, false],
    [
      { DKRPRX__CONTAINERS__DENY_PRIVILEGED: "false" },
      { Image: "tiny:1", HostConfig: { Privileged: true } },
      true,
    ],
  ];
  for (const [env, body, allowed] of cases) {
    const verdict = createVerdict(env, body);
    equal(verdict.allowed, allowed, JSON.stringify({ env, body }));
  }
});
