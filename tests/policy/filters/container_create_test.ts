import { strictEqual } from "node:assert/strict";
import {
  allow,
  create,
  denyPattern,
  fixture,
  inspect,
  makeOptions,
  outcome,
  runCases,
} from "./test_helpers.ts";

const SOCKET = "defaults.engine_socket";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

Deno.test("container create matches images in normalised form", () => {
  const semver = {
    containers: {
      allowed_images: [
        allow("registry\\.company\\.com/.*:v[0-9]+\\.[0-9]+\\.[0-9]+"),
      ],
    },
  };
  const noLatest = {
    containers: { denied_images: [denyPattern(".*:(latest|dev)$")] },
  };
  const hubOnly = {
    images: { allowed_repos: [allow("docker\\.io/library/.*")] },
  };
  const image = (name: string) => create(JSON.stringify({ Image: name }));
  runCases([
    {
      name: "semver tag",
      options: semver,
      request: image("registry.company.com/app:v1.2.3"),
      expected: "allowed",
    },
    {
      name: "semver tag pinned by digest",
      options: semver,
      request: image(`registry.company.com/app:v1.2.3@${DIGEST}`),
      expected: "allowed",
    },
    {
      name: "implicit latest",
      options: semver,
      request: image("registry.company.com/app"),
      expected: "containers.allowed_images",
      reason: '"registry.company.com/app:latest"',
    },
    {
      name: "hub image",
      options: semver,
      request: image("tiny:1"),
      expected: "containers.allowed_images",
    },
    {
      name: "implicit latest is denied",
      options: noLatest,
      request: image("ubuntu"),
      expected: "containers.denied_images",
    },
    {
      name: "latest behind a digest is denied",
      options: noLatest,
      request: image(`ubuntu:latest@${DIGEST}`),
      expected: "containers.denied_images",
    },
    {
      name: "versioned tag",
      options: noLatest,
      request: image("ubuntu:22.04"),
      expected: "allowed",
    },
    {
      name: "official image",
      options: hubOnly,
      request: image("ubuntu"),
      expected: "allowed",
    },
    {
      name: "user image",
      options: hubOnly,
      request: image("me/app:1"),
      expected: "images.allowed_repos",
    },
    {
      name: "upper-case registry",
      options: hubOnly,
      request: image("Foo/bar"),
      expected: "images.allowed_repos",
    },
    {
      name: "index alias",
      options: hubOnly,
      request: image("index.docker.io/library/ubuntu"),
      expected: "allowed",
    },
    {
      name: "tag rule with implicit latest",
      options: { images: { denied_tags: [denyPattern("^latest$")] } },
      request: image("ubuntu"),
      expected: "images.denied_tags",
    },
    {
      name: "digest-only reference skips tag rules",
      options: { images: { denied_tags: [denyPattern("^latest$")] } },
      request: image(`ubuntu@${DIGEST}`),
      expected: "allowed",
    },
    {
      name: "full image ID against allowed images",
      options: semver,
      request: image(`sha256:${"a".repeat(64)}`),
      expected: "containers.allowed_images",
    },
    {
      name: "short hex may be an ID prefix",
      options: hubOnly,
      request: image("3f57d9401f8d"),
      expected: "images.allowed_repos",
    },
    {
      name: "image ID allowed explicitly",
      options: {
        containers: { allowed_images: [allow("sha256:[a-f0-9]{64}")] },
      },
      request: image(`sha256:${"a".repeat(64)}`),
      expected: "allowed",
    },
    {
      name: "ID with a deny list",
      options: noLatest,
      request: image("abcd1234"),
      expected: "containers.denied_images",
    },
    {
      name: "no rules, any ID",
      request: image("3f57d9401f8d"),
      expected: "allowed",
    },
    {
      name: "invalid reference",
      options: hubOnly,
      request: image("UBUNTU"),
      expected: "request.invalid",
    },
    {
      name: "missing image",
      options: hubOnly,
      request: create("{}"),
      expected: "request.invalid",
    },
    {
      name: "image mount source",
      options: semver,
      request: create(
        JSON.stringify({
          Image: "registry.company.com/app:v1.0.0",
          HostConfig: {
            Mounts: [{ Type: "image", Source: "evil:1", Target: "/e" }],
          },
        }),
      ),
      expected: "containers.allowed_images",
    },
  ]);
});

Deno.test("container create applies name rules and required labels", () => {
  const names = {
    containers: {
      allowed_names: [allow("(prod|staging)-.*")],
      denied_names: [denyPattern("^prod-tmp")],
    },
  };
  const labels = {
    containers: { require_labels: { env: "production", team: "backend" } },
  };
  const labelled = (value: unknown, key = "Labels") =>
    create(JSON.stringify({ Image: "x", [key]: value }));
  runCases([
    {
      name: "allowed name",
      options: names,
      request: create('{"Image":"x"}', "name=prod-web"),
      expected: "allowed",
    },
    {
      name: "name with a slash",
      options: names,
      request: create('{"Image":"x"}', "name=/prod-web"),
      expected: "allowed",
    },
    {
      name: "other name",
      options: names,
      request: create('{"Image":"x"}', "name=web"),
      expected: "containers.allowed_names",
    },
    {
      name: "generated name",
      options: names,
      request: create('{"Image":"x"}'),
      expected: "containers.allowed_names",
      reason: "generate",
    },
    {
      name: "denied name",
      options: names,
      request: create('{"Image":"x"}', "name=prod-tmp1"),
      expected: "containers.denied_names",
    },
    {
      name: "no name rule",
      request: create('{"Image":"x"}'),
      expected: "allowed",
    },
    {
      name: "all labels",
      options: labels,
      request: labelled({ env: "production", team: "backend", extra: "x" }),
      expected: "allowed",
    },
    {
      name: "folded Labels key",
      options: labels,
      request: labelled({ env: "production", team: "backend" }, "labels"),
      expected: "allowed",
    },
    {
      name: "missing label",
      options: labels,
      request: labelled({ env: "production" }),
      expected: "containers.require_labels",
      reason: 'Labels lacks required label "team"="backend"',
    },
    {
      name: "wrong value",
      options: labels,
      request: labelled({ env: "dev", team: "backend" }),
      expected: "containers.require_labels",
    },
    {
      name: "label keys are case-sensitive",
      options: labels,
      request: labelled({ ENV: "production", team: "backend" }),
      expected: "containers.require_labels",
    },
    {
      name: "no labels",
      options: labels,
      request: create('{"Image":"x"}'),
      expected: "containers.require_labels",
    },
    {
      name: "null labels",
      options: labels,
      request: labelled(null),
      expected: "containers.require_labels",
    },
  ]);
});

Deno.test("container create denies the CLI 28 body of docker run --privileged --network host", () => {
  const body = fixture("cli28_create_privileged_v1_41.json");
  const cases: [boolean, boolean, string][] = [
    [true, true, "containers.deny_privileged"],
    [false, true, "containers.deny_host_network"],
    [false, false, "allowed"],
  ];
  for (const [privileged, host, expected] of cases) {
    const options = makeOptions({
      containers: { deny_privileged: privileged, deny_host_network: host },
    });
    strictEqual(
      outcome(
        inspect(options, {
          routeId: "container.create",
          body,
          query: "name=web-1",
        }),
      ),
      expected,
    );
  }
});

Deno.test("legacy start body gets the HostConfig checks", () => {
  const start = (json: string | undefined, name = "web") => ({
    routeId: "container.start",
    params: { name },
    ...(json === undefined ? {} : { json }),
    apiVersion: "1.23",
  });
  runCases([
    { name: "no body", request: start(undefined), expected: "allowed" },
    {
      name: "socket bind",
      request: start('{"Binds":["/var/run:/r"]}'),
      expected: SOCKET,
    },
    {
      name: "folded keys",
      request: start('{"binds":["/:/h"]}'),
      expected: SOCKET,
    },
    {
      name: "privileged",
      options: { containers: { deny_privileged: true } },
      request: start('{"Privileged":true}'),
      expected: "containers.deny_privileged",
    },
    {
      name: "host network",
      options: { containers: { deny_host_network: true } },
      request: start('{"NetworkMode":"host"}'),
      expected: "containers.deny_host_network",
    },
    {
      name: "start the proxy",
      request: start(undefined, "dockgate"),
      expected: "defaults.proxy_container",
    },
    {
      name: "not an object",
      request: start("[]"),
      expected: "BodyError",
    },
  ]);
});
