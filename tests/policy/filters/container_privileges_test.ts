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

function hostConfig(fields: Record<string, unknown>): string {
  return JSON.stringify({ Image: "tiny:1", HostConfig: fields });
}

Deno.test("container create with deny_privileged denies every privilege field", () => {
  const on = { containers: { deny_privileged: true } };
  const rule = "containers.deny_privileged";
  const denied: [string, Record<string, unknown>][] = [
    ["Privileged", { Privileged: true }],
    ["CapAdd sys_admin", { CapAdd: ["sys_admin"] }],
    ["CapAdd CAP_SYS_ADMIN", { CapAdd: ["CAP_SYS_ADMIN"] }],
    ["CapAdd Cap_Sys_Admin", { CapAdd: ["Cap_Sys_Admin"] }],
    ["CapAdd ALL", { CapAdd: ["ALL"] }],
    ["CapAdd all", { CapAdd: ["all"] }],
    ["CapAdd as one string", { CapAdd: "SYS_ADMIN" }],
    ["CapAdd after a default cap", { CapAdd: ["CHOWN", "NET_ADMIN"] }],
    ["SecurityOpt seccomp=unconfined", { SecurityOpt: ["seccomp=unconfined"] }],
    ["SecurityOpt seccomp:unconfined", { SecurityOpt: ["seccomp:unconfined"] }],
    ["SecurityOpt apparmor=unconfined", {
      SecurityOpt: ["apparmor=unconfined"],
    }],
    ["SecurityOpt label=disable", { SecurityOpt: ["label=disable"] }],
    ["SecurityOpt label:disable", { SecurityOpt: ["label:disable"] }],
    ["SecurityOpt disable", { SecurityOpt: ["disable"] }],
    ["SecurityOpt label=type:spc_t", { SecurityOpt: ["label=type:spc_t"] }],
    ["SecurityOpt writable-cgroups", {
      SecurityOpt: ["writable-cgroups=true"],
    }],
    ["SecurityOpt inline profile", {
      SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
    }],
    ["Devices", {
      Devices: [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda" }],
    }],
    ["Devices directory", { Devices: [{ PathOnHost: "/dev" }] }],
    ["DeviceCgroupRules", { DeviceCgroupRules: ["b *:* rwm"] }],
    ["DeviceRequests", {
      DeviceRequests: [{ Driver: "cdi", DeviceIDs: ["x"] }],
    }],
    ["PidMode host", { PidMode: "host" }],
    ["PidMode container", { PidMode: "container:web" }],
    ["IpcMode host", { IpcMode: "host" }],
    ["IpcMode container", { IpcMode: "container:web" }],
    ["UTSMode host", { UTSMode: "host" }],
    ["UsernsMode host", { UsernsMode: "host" }],
    ["CgroupnsMode host", { CgroupnsMode: "host" }],
    ["PidMode upper case", { PidMode: "HOST" }],
    ["Cgroup container", { Cgroup: "container:web" }],
    ["CgroupParent", { CgroupParent: "/" }],
    ["Runtime", { Runtime: "io.containerd.kata.v2" }],
    ["MaskedPaths []", { MaskedPaths: [] }],
    ["ReadonlyPaths []", { ReadonlyPaths: [] }],
    ["MaskedPaths shortened", { MaskedPaths: ["/proc/kcore"] }],
    ["Annotations", { Annotations: { "run.oci.keep_original_groups": "1" } }],
    ["legacy Capabilities", { Capabilities: ["CAP_SYS_ADMIN"] }],
  ];
  runCases(denied.map(([name, fields]) => ({
    name,
    options: on,
    request: create(hostConfig(fields)),
    expected: rule,
  })));
  runCases([
    {
      name: "folded Privileged key",
      options: on,
      request: create('{"Image":"x","HOSTCONFIG":{"PRIVILEGED":true}}'),
      expected: rule,
    },
    {
      name: "non-ASCII capability",
      options: on,
      request: create(hostConfig({ CapAdd: ["ſys_admin"] })),
      expected: "request.invalid",
    },
    {
      name: "reason names the capability",
      options: on,
      request: create(hostConfig({ CapAdd: ["sys_admin"] })),
      expected: rule,
      reason:
        'HostConfig.CapAdd[0] adds capability "sys_admin" (CAP_SYS_ADMIN)',
    },
  ]);
});

Deno.test("container create with deny_privileged lets safe and listed values through", () => {
  const on = { containers: { deny_privileged: true } };
  const allowedCases: [string, Record<string, unknown>][] = [
    ["Privileged false", { Privileged: false }],
    ["default capabilities", { CapAdd: ["NET_RAW", "cap_chown", "KILL"] }],
    ["no-new-privileges", { SecurityOpt: ["no-new-privileges"] }],
    ["no-new-privileges:true", { SecurityOpt: ["no-new-privileges:true"] }],
    ["empty device lists", {
      Devices: [],
      DeviceCgroupRules: null,
      DeviceRequests: null,
    }],
    ["private namespaces", {
      PidMode: "",
      IpcMode: "shareable",
      UTSMode: "",
      CgroupnsMode: "private",
    }],
    ["runc", { Runtime: "runc" }],
    ["MaskedPaths null", { MaskedPaths: null, ReadonlyPaths: null }],
    ["empty Annotations", { Annotations: {} }],
    ["Sysctls", { Sysctls: { "net.ipv4.ip_unprivileged_port_start": "0" } }],
  ];
  runCases(allowedCases.map(([name, fields]) => ({
    name,
    options: on,
    request: create(hostConfig(fields)),
    expected: "allowed",
  })));
  runCases([
    {
      name: "allowed capability without CAP_",
      options: {
        containers: {
          deny_privileged: true,
          allowed_capabilities: [allow("NET_ADMIN")],
        },
      },
      request: create(hostConfig({ CapAdd: ["cap_net_admin"] })),
      expected: "allowed",
    },
    {
      name: "allowed capability written with CAP_",
      options: {
        containers: {
          deny_privileged: true,
          allowed_capabilities: [allow("CAP_NET_ADMIN")],
        },
      },
      request: create(hostConfig({ CapAdd: ["net_admin"] })),
      expected: "allowed",
    },
    {
      name: "allowed device after cleaning",
      options: {
        containers: {
          deny_privileged: true,
          allowed_devices: [allow("/dev/fuse")],
        },
      },
      request: create(
        hostConfig({ Devices: [{ PathOnHost: "/dev/../dev/fuse" }] }),
      ),
      expected: "allowed",
    },
    {
      name: "allowed device pattern does not cover a dot-dot escape",
      options: {
        containers: {
          deny_privileged: true,
          allowed_devices: [allow("/dev/fuse.*")],
        },
      },
      request: create(
        hostConfig({ Devices: [{ PathOnHost: "/dev/fuse/../sda" }] }),
      ),
      expected: "containers.deny_privileged",
    },
    {
      name: "allowed runtime",
      options: {
        containers: {
          deny_privileged: true,
          allowed_runtimes: [allow("runsc")],
        },
      },
      request: create(hostConfig({ Runtime: "runsc" })),
      expected: "allowed",
    },
    {
      name: "allowed security option in its colon form",
      options: {
        containers: {
          deny_privileged: true,
          allowed_security_opts: [allow("apparmor=my-profile")],
        },
      },
      request: create(hostConfig({ SecurityOpt: ["apparmor:my-profile"] })),
      expected: "allowed",
    },
    {
      name: "deny_privileged off",
      request: create(
        hostConfig({ Privileged: true, CapAdd: ["ALL"], PidMode: "host" }),
      ),
      expected: "allowed",
    },
  ]);
});

Deno.test("container create applies host network, network names and the proxy network", () => {
  const hostOff = { containers: { deny_host_network: true } };
  const network = (mode: string, endpoints: Record<string, unknown> = {}) =>
    JSON.stringify({
      Image: "x",
      HostConfig: { NetworkMode: mode },
      NetworkingConfig: { EndpointsConfig: endpoints },
    });
  runCases([
    {
      name: "host",
      options: hostOff,
      request: create(network("host")),
      expected: "containers.deny_host_network",
    },
    {
      name: "container join",
      options: hostOff,
      request: create(network("container:web")),
      expected: "containers.deny_host_network",
    },
    {
      name: "host endpoint",
      options: hostOff,
      request: create(network("default", { host: {} })),
      expected: "containers.deny_host_network",
    },
    {
      name: "folded NetworkMode key",
      options: hostOff,
      request: create('{"Image":"x","HostConfig":{"networkMODE":"host"}}'),
      expected: "containers.deny_host_network",
    },
    {
      name: "a network named Host",
      options: hostOff,
      request: create(network("Host")),
      expected: "allowed",
    },
    {
      name: "none",
      options: hostOff,
      request: create(network("none")),
      expected: "allowed",
    },
    {
      name: "default",
      options: hostOff,
      request: create(network("default", { default: {} })),
      expected: "allowed",
    },
    {
      name: "seed's denied host name",
      options: { networks: { denied_names: [denyPattern("^host$")] } },
      request: create(network("host")),
      expected: "networks.denied_names",
    },
    {
      name: "default is bridge for allowed names",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: create(network("default")),
      expected: "networks.allowed_names",
      reason: '"bridge"',
    },
    {
      name: "allowed network",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: create(network("app-net", { "app-net": {} })),
      expected: "allowed",
    },
    {
      name: "none is exempt from names",
      options: { networks: { allowed_names: [allow("app-.*")] } },
      request: create(network("none")),
      expected: "allowed",
    },
    {
      name: "proxy network mode",
      request: create(network("dockgate-net")),
      expected: "defaults.proxy_network",
    },
    {
      name: "proxy network endpoint",
      request: create(network("bridge", { "dockgate-net": {} })),
      expected: "defaults.proxy_network",
    },
    {
      name: "joining the proxy container's network namespace",
      request: create(network("container:dockgate")),
      expected: "defaults.proxy_container",
    },
    {
      name: "joining the proxy container's pid namespace by /name",
      request: create(hostConfig({ PidMode: "container:/dockgate" })),
      expected: "defaults.proxy_container",
    },
  ]);
});

Deno.test("container create allows the bodies docker CLI 28 sends for an ordinary run", () => {
  const strict = makeOptions({
    containers: { deny_privileged: true, deny_host_network: true },
  });
  for (
    const name of [
      "cli28_create_plain_v1_41.json",
      "cli28_create_named_v1_47.json",
    ]
  ) {
    const verdict = inspect(strict, {
      routeId: "container.create",
      body: fixture(name),
      query: "name=web-2",
    });
    strictEqual(outcome(verdict), "allowed", name);
  }
  const tight = makeOptions({
    volumes: { allowed_paths: [allow("/data(/.*)?")] },
    containers: {
      deny_privileged: true,
      deny_host_network: true,
      allowed_names: [allow("web-.*")],
      require_labels: { env: "prod" },
      allowed_images: [allow("docker\\.io/library/tiny:1")],
    },
    images: {
      allowed_repos: [allow("docker\\.io/library/.*")],
      denied_tags: [denyPattern("^latest$")],
    },
  });
  const verdict = inspect(tight, {
    routeId: "container.create",
    body: fixture("cli28_create_named_v1_47.json"),
    query: "name=web-2",
  });
  strictEqual(outcome(verdict), "allowed");
});
