import { allow, denyPattern, runCases } from "./test_helpers.ts";
import type { RequestSpec } from "./test_helpers.ts";

function createVolume(body: unknown): RequestSpec {
  return { routeId: "volume.create", json: JSON.stringify(body) };
}

Deno.test("volume create denies driver options that mount the engine socket", () => {
  const spellings: Record<string, string>[] = [
    { type: "none", o: "bind", device: "/var/run" },
    { type: "none", o: "bind", device: "/var/run/" },
    { type: "none", o: "bind", device: "/var//run" },
    { type: "none", o: "rbind", device: "/var/run/../run" },
    { type: "none", o: "bind", device: "/" },
    {
      type: "overlay",
      device: "overlay",
      o: "lowerdir=/run,upperdir=/u,workdir=/w",
    },
  ];
  runCases(spellings.map((opts) => ({
    name: JSON.stringify(opts),
    request: createVolume({ Name: "v", DriverOpts: opts }),
    expected: "defaults.engine_socket",
  })));
  runCases([
    {
      name: "as the CLI sends it",
      request: createVolume({
        Driver: "local",
        DriverOpts: { device: "/run", o: "bind", type: "none" },
        Name: "v",
      }),
      expected: "defaults.engine_socket",
      reason: 'DriverOpts["device"] mounts "/run"',
    },
    {
      name: "folded keys",
      request: {
        routeId: "volume.create",
        json:
          '{"name":"v","driveropts":{"device":"/","o":"bind","type":"none"}}',
      },
      expected: "defaults.engine_socket",
    },
    {
      name: "duplicate keys",
      request: {
        routeId: "volume.create",
        json: '{"DriverOpts":{},"driverOpts":{"device":"/"}}',
      },
      expected: "BodyError",
    },
    {
      name: "appended overlay lower directory",
      request: createVolume({
        DriverOpts: {
          type: "overlay",
          device: "overlay",
          o: "lowerdir+=/var/run,upperdir=/u,workdir=/w",
        },
      }),
      expected: "defaults.engine_socket",
    },
    {
      name: "relative overlay directory",
      request: createVolume({
        DriverOpts: {
          type: "overlay",
          device: "overlay",
          o: "lowerdir=run,upperdir=/u,workdir=/w",
        },
      }),
      expected: "request.invalid",
    },
    {
      name: "relative device",
      request: createVolume({
        DriverOpts: { type: "none", o: "bind", device: "var/run" },
      }),
      expected: "request.invalid",
    },
  ]);
});

Deno.test("volume create applies names, drivers and host-path rules", () => {
  const names = {
    volumes: {
      allowed_names: [allow("app-.*")],
      denied_names: [denyPattern("secret")],
    },
  };
  runCases([
    {
      name: "CLI body",
      request: createVolume({
        Driver: "local",
        DriverOpts: {},
        Name: "flows-v1",
      }),
      expected: "allowed",
    },
    {
      name: "no body",
      request: { routeId: "volume.create" },
      expected: "allowed",
    },
    {
      name: "data bind",
      request: createVolume({
        DriverOpts: { type: "none", o: "bind", device: "/srv" },
      }),
      expected: "allowed",
    },
    {
      name: "allowed name",
      options: names,
      request: createVolume({ Name: "app-1" }),
      expected: "allowed",
    },
    {
      name: "other name",
      options: names,
      request: createVolume({ Name: "db" }),
      expected: "volumes.allowed_names",
    },
    {
      name: "denied name",
      options: names,
      request: createVolume({ Name: "app-secret" }),
      expected: "volumes.denied_names",
    },
    {
      name: "generated name",
      options: names,
      request: createVolume({}),
      expected: "volumes.allowed_names",
    },
    {
      name: "empty driver is local",
      options: { volumes: { allowed_drivers: [allow("local")] } },
      request: createVolume({ Name: "v", Driver: "" }),
      expected: "allowed",
    },
    {
      name: "other driver",
      options: { volumes: { allowed_drivers: [allow("local")] } },
      request: createVolume({ Name: "v", Driver: "rexray" }),
      expected: "volumes.allowed_drivers",
    },
    {
      name: "device outside allowed paths",
      options: { volumes: { allowed_paths: [allow("/data/.*")] } },
      request: createVolume({
        DriverOpts: { type: "ext4", device: "/dev/sda1" },
      }),
      expected: "volumes.allowed_paths",
    },
    {
      name: "any absolute path in o",
      options: { volumes: { denied_paths: [denyPattern("^/etc/.*")] } },
      request: createVolume({
        DriverOpts: {
          type: "cifs",
          device: "//srv/share",
          o: "addr=fe80::1,credentials=/etc/creds",
        },
      }),
      expected: "volumes.denied_paths",
    },
    {
      name: "third-party driver options are not host paths",
      request: createVolume({ Driver: "sshfs", DriverOpts: { device: "/" } }),
      expected: "allowed",
    },
  ]);
});

Deno.test("volume remove and update check the volume name", () => {
  const names = { volumes: { allowed_names: [allow("app-.*")] } };
  runCases([
    {
      name: "remove allowed",
      options: names,
      request: { routeId: "volume.delete", params: { name: "app-1" } },
      expected: "allowed",
    },
    {
      name: "remove other",
      options: names,
      request: { routeId: "volume.delete", params: { name: "db" } },
      expected: "volumes.allowed_names",
    },
    {
      name: "update other",
      options: names,
      request: { routeId: "volume.update", params: { name: "db" }, json: "{}" },
      expected: "volumes.allowed_names",
    },
  ]);
});
