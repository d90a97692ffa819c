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

function binds(...entries: string[]): string {
  return JSON.stringify({ Image: "tiny:1", HostConfig: { Binds: entries } });
}

function mounts(...entries: unknown[]): string {
  return JSON.stringify({ Image: "tiny:1", HostConfig: { Mounts: entries } });
}

function hostConfig(fields: Record<string, unknown>): string {
  return JSON.stringify({ Image: "tiny:1", HostConfig: fields });
}

function localVolume(options: Record<string, string>, name = "v"): unknown {
  return {
    Type: "volume",
    Source: name,
    Target: "/v",
    VolumeOptions: { DriverConfig: { Name: "local", Options: options } },
  };
}

Deno.test("container create denies every spelling of a mount that exposes the engine socket", () => {
  runCases([
    ...[
      "/var/run/docker.sock:/s",
      "/var/run:/r",
      "/var/run/:/r",
      "/var//run:/r",
      "/var/run/../run:/r",
      "/tmp/../var/run:/r:ro",
      "/run:/r",
      "/var:/v",
      "/:/host",
      "//:/host",
    ].map((entry) => ({
      name: `Binds ${entry}`,
      request: create(binds(entry)),
      expected: SOCKET,
    })),
    {
      name: "reason names the field, the value and the socket",
      request: create(binds("/data:/d", "/var//run:/r")),
      expected: SOCKET,
      reason:
        'HostConfig.Binds[1] mounts "/var/run" which exposes the engine socket /var/run/docker.sock',
    },
    {
      name: "case-folded keys",
      request: create('{"image":"tiny:1","hostconfig":{"binds":["/:/h"]}}'),
      expected: SOCKET,
    },
    {
      name: "Mounts bind",
      request: create(
        mounts({ Type: "bind", Source: "/var/run", Target: "/r" }),
      ),
      expected: SOCKET,
    },
    {
      name: "Mounts bind with folded keys and a trailing slash",
      request: create(
        '{"Image":"tiny:1","HostConfig":{"mounts":[{"type":"bind","SOURCE":"/run/"}]}}',
      ),
      expected: SOCKET,
    },
    {
      name: "local volume binding the root",
      request: create(
        mounts(localVolume({ type: "none", o: "bind", device: "/" })),
      ),
      expected: SOCKET,
    },
    {
      name: "local volume with rbind and a dotted device",
      request: create(
        mounts(
          localVolume({ type: "none", o: "rbind,ro", device: "/var/./run" }),
        ),
      ),
      expected: SOCKET,
    },
    {
      name: "volume with no driver name gets the local checks",
      request: create(mounts({
        Type: "volume",
        Source: "v",
        VolumeOptions: {
          DriverConfig: { Options: { device: "/run", o: "bind" } },
        },
      })),
      expected: SOCKET,
    },
    {
      name: "overlay lower directory",
      request: create(mounts(localVolume({
        type: "overlay",
        device: "overlay",
        o: "lowerdir=/usr:/var/run,upperdir=/tmp/u,workdir=/tmp/w",
      }))),
      expected: SOCKET,
    },
    {
      name: "an extra configured socket path",
      options: { engine_socket_paths: ["/srv/engine/docker.sock"] },
      request: create(binds("/srv:/s")),
      expected: SOCKET,
    },
  ]);
});

Deno.test("container create lets ordinary mounts and named volumes through", () => {
  runCases([
    {
      name: "data bind",
      request: create(binds("/data:/data:ro")),
      expected: "allowed",
    },
    {
      name: "named volume",
      request: create(binds("vol1:/v")),
      expected: "allowed",
    },
    {
      name: "relative source is a volume name",
      request: create(binds("var/run:/r")),
      expected: "allowed",
    },
    {
      name: "anonymous volume",
      request: create(binds("/only")),
      expected: "allowed",
    },
    {
      name: "sibling of /var/run",
      request: create(binds("/var/runner:/r")),
      expected: "allowed",
    },
    {
      name: "local volume on a data directory",
      request: create(
        mounts(localVolume({ type: "none", o: "bind", device: "/data/x" })),
      ),
      expected: "allowed",
    },
    {
      name: "tmpfs local volume",
      request: create(
        mounts(localVolume({ type: "tmpfs", device: "tmpfs", o: "size=1m" })),
      ),
      expected: "allowed",
    },
    {
      name: "defaults disabled",
      options: { disable_defaults: true },
      request: create(binds("/var/run/docker.sock:/s")),
      expected: "allowed",
    },
    {
      name: "socket allowed explicitly",
      options: {
        volumes: { allowed_paths: [allow("/var/run/docker\\.sock")] },
      },
      request: create(binds("/var/run/docker.sock:/s")),
      expected: "allowed",
    },
  ]);
});

Deno.test("container create refuses host paths the engine would resolve unexpectedly", () => {
  runCases([
    {
      name: "relative Mounts bind source",
      request: create(
        mounts({ Type: "bind", Source: "var/run", Target: "/r" }),
      ),
      expected: "request.invalid",
    },
    {
      name: "empty Mounts bind source",
      request: create(mounts({ Type: "bind", Target: "/r" })),
      expected: "request.invalid",
    },
    {
      name: "backslash in a bind source",
      request: create(
        mounts({ Type: "bind", Source: "/var\\run", Target: "/r" }),
      ),
      expected: "request.invalid",
    },
    {
      name: "relative device of a bind volume",
      request: create(
        mounts(localVolume({ type: "none", o: "bind", device: "var/run" })),
      ),
      expected: "request.invalid",
    },
    {
      name: "bind spec with too many fields",
      request: create(binds("/a:/b:ro:z")),
      expected: "request.invalid",
    },
    {
      name: "Binds as a string",
      request: create('{"Image":"x","HostConfig":{"Binds":"/:/h"}}'),
      expected: "BodyError",
    },
  ]);
});

Deno.test("container create applies allowed_paths and denied_paths to the cleaned path and its ancestors", () => {
  const allowData = { volumes: { allowed_paths: [allow("/data(/.*)?")] } };
  const denyEtc = {
    disable_defaults: true,
    volumes: {
      denied_paths: [denyPattern("^/etc/.*"), denyPattern("^/root/.*")],
    },
  };
  runCases([
    {
      name: "allowed dir",
      options: allowData,
      request: create(binds("/data/x:/x")),
      expected: "allowed",
    },
    {
      name: "outside the allowed dir",
      options: allowData,
      request: create(binds("/srv:/x")),
      expected: "volumes.allowed_paths",
    },
    {
      name: "dot-dot out of the allowed dir",
      options: allowData,
      request: create(binds("/data/../etc:/x")),
      expected: "volumes.allowed_paths",
    },
    {
      name: "Mounts bind outside the allowed dir",
      options: allowData,
      request: create(mounts({ Type: "bind", Source: "/home", Target: "/h" })),
      expected: "volumes.allowed_paths",
    },
    {
      name: "volume device outside the allowed dir",
      options: allowData,
      request: create(
        mounts(localVolume({ type: "ext4", device: "/dev/sda1" })),
      ),
      expected: "volumes.allowed_paths",
    },
    {
      name: "denied file",
      options: denyEtc,
      request: create(binds("/etc/shadow:/s")),
      expected: "volumes.denied_paths",
    },
    {
      name: "the denied directory itself",
      options: denyEtc,
      request: create(binds("/etc:/e")),
      expected: "volumes.denied_paths",
    },
    {
      name: "the denied directory with a trailing slash",
      options: denyEtc,
      request: create(binds("/etc/:/e")),
      expected: "volumes.denied_paths",
    },
    {
      name: "an ancestor of the denied directory",
      options: denyEtc,
      request: create(binds("/:/host")),
      expected: "volumes.denied_paths",
      reason: "contains /etc",
    },
    {
      name: "second deny pattern",
      options: denyEtc,
      request: create(binds("/root/../root:/r")),
      expected: "volumes.denied_paths",
    },
    {
      name: "a look-alike name",
      options: denyEtc,
      request: create(binds("/etcx:/e")),
      expected: "allowed",
    },
  ]);
});

Deno.test("container create denies VolumesFrom it cannot check", () => {
  const volumesFrom = (entry: string) => hostConfig({ VolumesFrom: [entry] });
  runCases([
    {
      name: "proxy container",
      request: create(volumesFrom("dockgate:ro")),
      expected: "defaults.proxy_container",
    },
    {
      name: "proxy container with a slash",
      request: create(volumesFrom("/dockgate")),
      expected: "defaults.proxy_container",
    },
    {
      name: "other container, defaults on",
      request: create(volumesFrom("web")),
      expected: SOCKET,
    },
    {
      name: "defaults off, no path rules",
      options: { disable_defaults: true },
      request: create(volumesFrom("web")),
      expected: "allowed",
    },
    {
      name: "defaults off, path rules set",
      options: {
        disable_defaults: true,
        volumes: { allowed_paths: [allow("/data/.*")] },
      },
      request: create(volumesFrom("web:rw")),
      expected: "volumes.allowed_paths",
    },
  ]);
});

Deno.test("container create applies volume name and driver rules", () => {
  const volumes = {
    volumes: {
      allowed_names: [allow("app-.*")],
      allowed_drivers: [allow("local")],
    },
  };
  runCases([
    {
      name: "allowed name",
      options: volumes,
      request: create(binds("app-data:/d")),
      expected: "allowed",
    },
    {
      name: "other name in Binds",
      options: volumes,
      request: create(binds("other:/d")),
      expected: "volumes.allowed_names",
    },
    {
      name: "other name in Mounts",
      options: volumes,
      request: create(
        mounts({ Type: "volume", Source: "other", Target: "/d" }),
      ),
      expected: "volumes.allowed_names",
    },
    {
      name: "VolumeDriver",
      options: volumes,
      request: create(
        hostConfig({ VolumeDriver: "convoy", Binds: ["app-x:/x"] }),
      ),
      expected: "volumes.allowed_drivers",
    },
    {
      name: "Mounts driver",
      options: volumes,
      request: create(mounts({
        Type: "volume",
        Source: "app-x",
        VolumeOptions: { DriverConfig: { Name: "nfsplugin" } },
      })),
      expected: "volumes.allowed_drivers",
    },
    {
      name: "denied name",
      options: { volumes: { denied_names: [denyPattern("^secret")] } },
      request: create(binds("secret-x:/d")),
      expected: "volumes.denied_names",
    },
  ]);
});

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
