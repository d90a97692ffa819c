import { allow, create, denyPattern, runCases } from "./test_helpers.ts";

const SOCKET = "defaults.engine_socket";

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
      name: "an unanchored pattern covers the directory it names",
      options: { volumes: { denied_paths: [denyPattern("/secrets/")] } },
      request: create(binds("/srv/secrets:/s")),
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
