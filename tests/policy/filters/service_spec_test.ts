import { allow, denyPattern, runCases } from "./test_helpers.ts";
import type { RequestSpec } from "./test_helpers.ts";

const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;

function service(
  containerSpec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): RequestSpec {
  return {
    routeId: "service.create",
    json: JSON.stringify({
      Name: "web",
      TaskTemplate: {
        ContainerSpec: { Image: `tiny:1@${DIGEST}`, ...containerSpec },
        ...extra,
      },
    }),
  };
}

Deno.test("service specs get the mount checks of containers", () => {
  runCases([
    { name: "plain service", request: service({}), expected: "allowed" },
    {
      name: "bind of the socket directory",
      request: service({
        Mounts: [{ Type: "bind", Source: "/var/run/", Target: "/r" }],
      }),
      expected: "defaults.engine_socket",
      reason: "TaskTemplate.ContainerSpec.Mounts[0].Source",
    },
    {
      name: "local volume binding the root",
      request: service({
        Mounts: [{
          Type: "volume",
          Source: "v",
          VolumeOptions: {
            DriverConfig: {
              Name: "local",
              Options: { type: "none", o: "bind", device: "/" },
            },
          },
        }],
      }),
      expected: "defaults.engine_socket",
    },
    {
      name: "folded keys",
      request: {
        routeId: "service.update",
        params: { id: "x" },
        json:
          '{"tasktemplate":{"containerspec":{"image":"x","mounts":[{"type":"bind","source":"/"}]}}}',
      },
      expected: "defaults.engine_socket",
    },
    {
      name: "outside allowed paths",
      options: { volumes: { allowed_paths: [allow("/data/.*")] } },
      request: service({
        Mounts: [{ Type: "bind", Source: "/srv", Target: "/s" }],
      }),
      expected: "volumes.allowed_paths",
    },
  ]);
});

Deno.test("service specs with deny_privileged refuse unconfinement and plugins", () => {
  const on = { containers: { deny_privileged: true } };
  const rule = "containers.deny_privileged";
  runCases([
    {
      name: "capability",
      options: on,
      request: service({ CapabilityAdd: ["CAP_SYS_ADMIN"] }),
      expected: rule,
    },
    {
      name: "default capability",
      options: on,
      request: service({ CapabilityAdd: ["CAP_CHOWN"] }),
      expected: "allowed",
    },
    {
      name: "seccomp unconfined",
      options: on,
      request: service({ Privileges: { Seccomp: { Mode: "unconfined" } } }),
      expected: rule,
    },
    {
      name: "custom seccomp profile",
      options: on,
      request: service({
        Privileges: { Seccomp: { Mode: "custom", Profile: "e30=" } },
      }),
      expected: rule,
    },
    {
      name: "AppArmor disabled",
      options: on,
      request: service({ Privileges: { AppArmor: { Mode: "disabled" } } }),
      expected: rule,
    },
    {
      name: "SELinux disabled",
      options: on,
      request: service({ Privileges: { SELinuxContext: { Disable: true } } }),
      expected: rule,
    },
    {
      name: "SELinux type",
      options: on,
      request: service({ Privileges: { SELinuxContext: { Type: "spc_t" } } }),
      expected: rule,
    },
    {
      name: "default privileges",
      options: on,
      request: service({
        Privileges: {
          Seccomp: { Mode: "default" },
          AppArmor: { Mode: "default" },
          NoNewPrivileges: true,
        },
      }),
      expected: "allowed",
    },
    {
      name: "plugin runtime",
      options: on,
      request: service({}, { Runtime: "plugin", PluginSpec: { Name: "p" } }),
      expected: rule,
    },
    {
      name: "plugin spec",
      options: on,
      request: service({}, { PluginSpec: { Name: "p" } }),
      expected: rule,
    },
  ]);
});

Deno.test("service specs check networks, images and labels", () => {
  runCases([
    {
      name: "host network",
      options: { containers: { deny_host_network: true } },
      request: service({}, { Networks: [{ Target: "host" }] }),
      expected: "containers.deny_host_network",
    },
    {
      name: "legacy top-level host network",
      options: { containers: { deny_host_network: true } },
      request: {
        routeId: "service.create",
        json: JSON.stringify({
          TaskTemplate: { ContainerSpec: { Image: "x:1" } },
          Networks: [{ Target: "host" }],
        }),
      },
      expected: "containers.deny_host_network",
    },
    {
      name: "proxy network",
      request: service({}, { Networks: [{ Target: "dockgate-net" }] }),
      expected: "defaults.proxy_network",
    },
    {
      name: "network names",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: service({}, { Networks: [{ Target: "other" }] }),
      expected: "networks.allowed_names",
    },
    {
      name: "image pinned by the CLI",
      options: {
        containers: { allowed_images: [allow("docker\\.io/library/tiny:1")] },
      },
      request: service({}),
      expected: "allowed",
    },
    {
      name: "image outside the registry",
      options: {
        images: { allowed_repos: [allow("registry\\.company\\.com/.*")] },
      },
      request: service({}),
      expected: "images.allowed_repos",
    },
    {
      name: "denied image tag",
      options: { containers: { denied_images: [denyPattern(":latest")] } },
      request: service({ Image: "ubuntu" }),
      expected: "containers.denied_images",
    },
    {
      name: "hex image names are names for services",
      options: { images: { allowed_repos: [allow("docker\\.io/library/.*")] } },
      request: service({ Image: "abcd1234" }),
      expected: "allowed",
    },
    {
      name: "required labels on the container spec",
      options: { containers: { require_labels: { team: "a" } } },
      request: service({ Labels: { team: "b" } }),
      expected: "containers.require_labels",
    },
  ]);
});
