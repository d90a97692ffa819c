import { allow, denyPattern, runCases } from "./test_helpers.ts";
import type { RequestSpec } from "./test_helpers.ts";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const PRIVATE = {
  images: { allowed_repos: [allow("registry\\.company\\.com/.*")] },
};
const HUB = { images: { allowed_repos: [allow("docker\\.io/library/.*")] } };
const NO_LATEST = { images: { denied_tags: [denyPattern("^latest$")] } };
const SEMVER = {
  images: { allowed_tags: [allow("v[0-9]+\\.[0-9]+\\.[0-9]+")] },
};

function pull(rawQuery: string): RequestSpec {
  return { routeId: "image.create", query: rawQuery };
}

Deno.test("image pull checks the normalised repository and the tag the engine will use", () => {
  runCases([
    {
      name: "official image",
      options: HUB,
      request: pull("fromImage=ubuntu&tag=22.04"),
      expected: "allowed",
    },
    {
      name: "CLI's normalised form",
      options: HUB,
      request: pull("fromImage=docker.io%2Flibrary%2Ftiny&tag=latest"),
      expected: "allowed",
    },
    {
      name: "user repository",
      options: HUB,
      request: pull("fromImage=me/app&tag=1"),
      expected: "images.allowed_repos",
    },
    {
      name: "other registry with the same path",
      options: HUB,
      request: pull("fromImage=registry-1.docker.io/library/ubuntu&tag=1"),
      expected: "images.allowed_repos",
    },
    {
      name: "private registry",
      options: PRIVATE,
      request: pull("fromImage=registry.company.com/app&tag=1"),
      expected: "allowed",
    },
    {
      name: "denied repository",
      options: { images: { denied_repos: [denyPattern("\\.(cn|ru)/")] } },
      request: pull("fromImage=evil.ru/x&tag=1"),
      expected: "images.denied_repos",
    },
    {
      name: "latest tag",
      options: NO_LATEST,
      request: pull("fromImage=ubuntu&tag=latest"),
      expected: "images.denied_tags",
    },
    {
      name: "tag inside fromImage",
      options: NO_LATEST,
      request: pull("fromImage=ubuntu:latest"),
      expected: "images.denied_tags",
    },
    {
      name: "no tag pulls every tag",
      options: NO_LATEST,
      request: pull("fromImage=ubuntu"),
      expected: "images.denied_tags",
      reason: "every tag",
    },
    {
      name: "trailing colon of pull -a",
      options: SEMVER,
      request: pull("fromImage=ubuntu:"),
      expected: "images.allowed_tags",
    },
    {
      name: "semver",
      options: SEMVER,
      request: pull("fromImage=me/app&tag=v1.2.3"),
      expected: "allowed",
    },
    {
      name: "not semver",
      options: SEMVER,
      request: pull("fromImage=me/app&tag=1.2"),
      expected: "images.allowed_tags",
    },
    {
      name: "tag query replaces the tag in fromImage",
      options: NO_LATEST,
      request: pull("fromImage=ubuntu:22.04&tag=latest"),
      expected: "images.denied_tags",
    },
    {
      name: "digest in the tag query",
      options: NO_LATEST,
      request: pull(`fromImage=ubuntu&tag=${DIGEST}`),
      expected: "allowed",
    },
    {
      name: "no rules, all tags",
      request: pull("fromImage=ubuntu"),
      expected: "allowed",
    },
    {
      name: "invalid reference",
      options: HUB,
      request: pull("fromImage=UBUNTU"),
      expected: "request.invalid",
    },
    {
      name: "invalid tag",
      options: HUB,
      request: pull("fromImage=ubuntu&tag=-x"),
      expected: "request.invalid",
    },
  ]);
});

Deno.test("image import, tag and commit check repo plus tag with latest by default", () => {
  runCases([
    {
      name: "import with the tag in repo",
      options: NO_LATEST,
      request: pull("fromSrc=-&repo=foo/bar:1"),
      expected: "allowed",
    },
    {
      name: "import defaults to latest",
      options: NO_LATEST,
      request: pull("fromSrc=-&repo=foo/bar"),
      expected: "images.denied_tags",
    },
    {
      name: "import outside the registry",
      options: PRIVATE,
      request: pull("fromSrc=-&repo=foo/bar&tag=1"),
      expected: "images.allowed_repos",
    },
    {
      name: "import without a name",
      options: PRIVATE,
      request: pull("fromSrc=-"),
      expected: "allowed",
    },
    {
      name: "import refuses a digest",
      options: PRIVATE,
      request: pull(`fromSrc=-&repo=registry.company.com/a@${DIGEST}`),
      expected: "request.invalid",
    },
    {
      name: "tag onto a denied tag",
      options: NO_LATEST,
      request: {
        routeId: "image.tag",
        params: { name: "tiny:1" },
        query: "repo=ubuntu&tag=latest",
      },
      expected: "images.denied_tags",
    },
    {
      name: "tag with implicit latest",
      options: NO_LATEST,
      request: {
        routeId: "image.tag",
        params: { name: "tiny:1" },
        query: "repo=ubuntu",
      },
      expected: "images.denied_tags",
    },
    {
      name: "tag as the CLI sends it",
      options: { images: { allowed_repos: [allow("reg\\.example:5000/.*")] } },
      request: {
        routeId: "image.tag",
        params: { name: "tiny:1" },
        query: "repo=reg.example%3A5000%2Fx%2Fy&tag=2",
      },
      expected: "allowed",
    },
    {
      name: "tag into another repository",
      options: PRIVATE,
      request: {
        routeId: "image.tag",
        params: { name: "tiny:1" },
        query: "repo=docker.io/library/ubuntu&tag=2",
      },
      expected: "images.allowed_repos",
    },
    {
      name: "commit as the CLI sends it",
      options: NO_LATEST,
      request: {
        routeId: "container.commit",
        query: "author=&comment=&container=abc&repo=docker.io%2Frepo%2Fx&tag=3",
      },
      expected: "allowed",
    },
    {
      name: "commit with implicit latest",
      options: NO_LATEST,
      request: { routeId: "container.commit", query: "container=abc&repo=x" },
      expected: "images.denied_tags",
    },
    {
      name: "commit of the proxy container",
      request: {
        routeId: "container.commit",
        query: "container=dockgate&repo=x&tag=1",
      },
      expected: "defaults.proxy_container",
    },
    {
      name: "commit without a repository",
      options: PRIVATE,
      request: { routeId: "container.commit", query: "container=abc" },
      expected: "allowed",
    },
  ]);
});

Deno.test("image push checks the pushed name and denies all-tag pushes under tag rules", () => {
  const push = (name: string, rawQuery = ""): RequestSpec => ({
    routeId: "image.push",
    params: { name },
    query: rawQuery,
  });
  runCases([
    {
      name: "as the CLI sends it",
      options: PRIVATE,
      request: push("registry.company.com/x/y", "tag=2"),
      expected: "allowed",
    },
    {
      name: "to another registry",
      options: PRIVATE,
      request: push("evil.example/x", "tag=2"),
      expected: "images.allowed_repos",
    },
    {
      name: "every tag",
      options: NO_LATEST,
      request: push("registry.company.com/x/y"),
      expected: "images.denied_tags",
    },
    {
      name: "tag in the name",
      options: SEMVER,
      request: push("me/app:v1.0.0"),
      expected: "allowed",
    },
    {
      name: "every tag without tag rules",
      options: PRIVATE,
      request: push("registry.company.com/x"),
      expected: "allowed",
    },
  ]);
});

Deno.test("image load is refused while an image name rule is set, unless allow_load", () => {
  const load = { routeId: "image.load" };
  runCases([
    { name: "no name rules", request: load, expected: "allowed" },
    {
      name: "repo rule",
      options: PRIVATE,
      request: load,
      expected: "images.allow_load",
    },
    {
      name: "container image rule",
      options: { containers: { denied_images: [denyPattern(":latest$")] } },
      request: load,
      expected: "images.allow_load",
    },
    {
      name: "turned off",
      options: { images: { allow_load: false } },
      request: load,
      expected: "images.allow_load",
    },
    {
      name: "turned on over a repo rule",
      options: { ...PRIVATE, images: { ...PRIVATE.images, allow_load: true } },
      request: load,
      expected: "allowed",
    },
  ]);
});

Deno.test("build checks every tag, host networking, cgroup parent and outputs", () => {
  const build = (rawQuery: string): RequestSpec => ({
    routeId: "build",
    query: rawQuery,
  });
  runCases([
    {
      name: "plain build",
      options: NO_LATEST,
      request: build("t=app:1&networkmode=default"),
      expected: "allowed",
    },
    {
      name: "second tag",
      options: NO_LATEST,
      request: build("t=app:1&t=app"),
      expected: "images.denied_tags",
      reason: "#2",
    },
    {
      name: "tag outside the registry",
      options: PRIVATE,
      request: build("t=registry.company.com/a:1&t=a:1"),
      expected: "images.allowed_repos",
    },
    {
      name: "empty t is ignored",
      options: PRIVATE,
      request: build("t="),
      expected: "allowed",
    },
    {
      name: "digest in t",
      options: PRIVATE,
      request: build(`t=registry.company.com/a@${DIGEST}`),
      expected: "request.invalid",
    },
    {
      name: "host network",
      options: { containers: { deny_host_network: true } },
      request: build("networkmode=host"),
      expected: "containers.deny_host_network",
    },
    {
      name: "container network",
      options: { containers: { deny_host_network: true } },
      request: build("networkmode=container:web"),
      expected: "containers.deny_host_network",
    },
    {
      name: "host network allowed",
      request: build("networkmode=host"),
      expected: "allowed",
    },
    {
      name: "cgroup parent",
      options: { containers: { deny_privileged: true } },
      request: build("cgroupparent=/"),
      expected: "containers.deny_privileged",
    },
    {
      name: "outputs under image rules",
      options: NO_LATEST,
      request: build('outputs=[{"Type":"moby","Attrs":{"name":"x:latest"}}]'),
      expected: "images.denied_tags",
    },
    {
      name: "empty outputs",
      options: NO_LATEST,
      request: build("outputs=[]&t=a:1"),
      expected: "allowed",
    },
  ]);
});

Deno.test("BuildKit builds are refused while host networking or privilege is denied", () => {
  const build = (rawQuery: string): RequestSpec => ({
    routeId: "build",
    query: rawQuery,
  });
  runCases([
    {
      name: "BuildKit with deny_host_network",
      options: { containers: { deny_host_network: true } },
      request: build("version=2&t=app:1"),
      expected: "containers.deny_host_network",
    },
    {
      name: "BuildKit with deny_privileged",
      options: { containers: { deny_privileged: true } },
      request: build("version=2"),
      expected: "containers.deny_privileged",
    },
    {
      name: "classic builder with both",
      options: {
        containers: { deny_host_network: true, deny_privileged: true },
      },
      request: build("version=1&t=app:1"),
      expected: "allowed",
    },
    {
      name: "BuildKit with both off",
      request: build("version=2"),
      expected: "allowed",
    },
  ]);
});
