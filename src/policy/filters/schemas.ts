/**
 * The engine structs that request filters read, as far as key spelling and
 * JSON types matter. Field lists are complete for every struct modelled
 * here (union of API 1.41 and the current spec, plus Go-only fields), so a
 * key that folds to a real field is always renamed; fields that no filter
 * reads are `any`.
 *
 * @module
 */

/** A JSON shape: how to canonicalise and type-check one value. */
export type JsonSchema =
  | { readonly kind: "any" }
  | { readonly kind: "string" }
  | { readonly kind: "bool" }
  /** Go's `strslice.StrSlice`: a string or a list of strings. */
  | { readonly kind: "strslice" }
  | { readonly kind: "array"; readonly items: JsonSchema }
  /** A Go map: keys are data, compared exactly. */
  | { readonly kind: "map"; readonly values: JsonSchema }
  /** A Go struct: keys fold to field names. */
  | {
    readonly kind: "struct";
    readonly fields: Readonly<Record<string, JsonSchema>>;
    /** Lower-cased field name to field name. */
    readonly fieldsByFold: ReadonlyMap<string, string>;
  };

const ANY: JsonSchema = { kind: "any" };
const STRING: JsonSchema = { kind: "string" };
const BOOL: JsonSchema = { kind: "bool" };
const STRSLICE: JsonSchema = { kind: "strslice" };
const STRING_LIST = arrayOf(STRING);
const STRING_MAP = mapOf(STRING);

function arrayOf(items: JsonSchema): JsonSchema {
  return { kind: "array", items };
}

function mapOf(values: JsonSchema): JsonSchema {
  return { kind: "map", values };
}

/**
 * A struct with the given typed fields; `untyped` lists the other fields of
 * the Go struct, so that their spelling is canonicalised too.
 */
function struct(
  typed: Readonly<Record<string, JsonSchema>>,
  untyped: readonly string[] = [],
): JsonSchema {
  const fields: Record<string, JsonSchema> = { ...typed };
  for (const name of untyped) fields[name] ??= ANY;
  const fieldsByFold = new Map<string, string>();
  for (const name of Object.keys(fields)) {
    const folded = name.toLowerCase();
    if (fieldsByFold.has(folded)) {
      throw new Error(`Cannot build schema: two fields fold to ${folded}`);
    }
    fieldsByFold.set(folded, name);
  }
  return { kind: "struct", fields, fieldsByFold };
}

const DRIVER_CONFIG = struct({ Name: STRING, Options: STRING_MAP });

/** `mount.Mount`, for containers and services. */
const MOUNT = struct({
  Type: STRING,
  Source: STRING,
  VolumeOptions: struct({
    DriverConfig: DRIVER_CONFIG,
    Labels: STRING_MAP,
  }, ["NoCopy", "Subpath"]),
}, [
  "Target",
  "ReadOnly",
  "Consistency",
  "BindOptions",
  "TmpfsOptions",
  "ImageOptions",
  "ClusterOptions",
]);

const DEVICE_MAPPING = struct({
  PathOnHost: STRING,
  PathInContainer: STRING,
  CgroupPermissions: STRING,
});

/** `container.HostConfig`, with the embedded `Resources` fields inline. */
export const HOST_CONFIG_SCHEMA: JsonSchema = struct({
  Binds: STRING_LIST,
  Mounts: arrayOf(MOUNT),
  VolumesFrom: STRING_LIST,
  VolumeDriver: STRING,
  NetworkMode: STRING,
  Privileged: BOOL,
  CapAdd: STRSLICE,
  Capabilities: STRING_LIST,
  Devices: arrayOf(DEVICE_MAPPING),
  DeviceCgroupRules: STRING_LIST,
  DeviceRequests: arrayOf(ANY),
  SecurityOpt: STRING_LIST,
  PidMode: STRING,
  IpcMode: STRING,
  UTSMode: STRING,
  UsernsMode: STRING,
  CgroupnsMode: STRING,
  Cgroup: STRING,
  CgroupParent: STRING,
  Runtime: STRING,
  MaskedPaths: STRING_LIST,
  ReadonlyPaths: STRING_LIST,
  Annotations: STRING_MAP,
  Sysctls: STRING_MAP,
}, [
  "CpuShares",
  "Memory",
  "BlkioWeight",
  "BlkioWeightDevice",
  "BlkioDeviceReadBps",
  "BlkioDeviceWriteBps",
  "BlkioDeviceReadIOps",
  "BlkioDeviceWriteIOps",
  "CpuPeriod",
  "CpuQuota",
  "CpuRealtimePeriod",
  "CpuRealtimeRuntime",
  "CpusetCpus",
  "CpusetMems",
  "KernelMemory",
  "KernelMemoryTCP",
  "MemoryReservation",
  "MemorySwap",
  "MemorySwappiness",
  "NanoCpus",
  "OomKillDisable",
  "Init",
  "PidsLimit",
  "Ulimits",
  "CpuCount",
  "CpuPercent",
  "IOMaximumIOps",
  "IOMaximumBandwidth",
  "ContainerIDFile",
  "LogConfig",
  "PortBindings",
  "RestartPolicy",
  "AutoRemove",
  "CapDrop",
  "Dns",
  "DnsOptions",
  "DnsSearch",
  "ExtraHosts",
  "GroupAdd",
  "Links",
  "OomScoreAdj",
  "PublishAllPorts",
  "ReadonlyRootfs",
  "StorageOpt",
  "Tmpfs",
  "ShmSize",
  "ConsoleSize",
  "Isolation",
]);

const CONTAINER_CONFIG_FIELDS = [
  "Hostname",
  "Domainname",
  "User",
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "ExposedPorts",
  "Tty",
  "OpenStdin",
  "StdinOnce",
  "Env",
  "Cmd",
  "Healthcheck",
  "ArgsEscaped",
  "Volumes",
  "WorkingDir",
  "Entrypoint",
  "NetworkDisabled",
  "MacAddress",
  "OnBuild",
  "StopSignal",
  "StopTimeout",
  "Shell",
] as const;

function fieldsOf(schema: JsonSchema): Readonly<Record<string, JsonSchema>> {
  return schema.kind === "struct" ? schema.fields : {};
}

/** Every field of `container.HostConfig`, embedded `Resources` included. */
export const HOST_CONFIG_FIELDS: readonly string[] = Object.keys(
  fieldsOf(HOST_CONFIG_SCHEMA),
);

/**
 * `network.EndpointSettings`: `NetworkID`, when set on a user-defined
 * network, is the network the engine joins, whatever the map key says.
 */
const ENDPOINT_SETTINGS = struct({ NetworkID: STRING }, [
  "IPAMConfig",
  "Links",
  "Aliases",
  "MacAddress",
  "DriverOpts",
  "GwPriority",
  "EndpointID",
  "Gateway",
  "IPAddress",
  "IPPrefixLen",
  "IPv6Gateway",
  "GlobalIPv6Address",
  "GlobalIPv6PrefixLen",
  "DNSNames",
]);

/**
 * `POST /containers/create`: `Config` fields at top level plus two structs.
 * Engines before 27.0 decode the body into a wrapper that also embeds a
 * second `HostConfig`, so HostConfig fields at the top level are real
 * fields to them; they are listed here so their spelling is canonical and
 * the filters can refuse them.
 */
export const CONTAINER_CREATE_SCHEMA: JsonSchema = struct({
  Image: STRING,
  Labels: STRING_MAP,
  HostConfig: HOST_CONFIG_SCHEMA,
  NetworkingConfig: struct({ EndpointsConfig: mapOf(ENDPOINT_SETTINGS) }),
}, [...CONTAINER_CONFIG_FIELDS, ...HOST_CONFIG_FIELDS]);

/**
 * A start body below API 1.24: the engine decodes it with the same
 * wrapper as a create body and applies the embedded HostConfig (the top
 * level), or the nested `HostConfig` object when there is no top-level
 * field.
 */
const LEGACY_START_SCHEMA: JsonSchema = struct(
  fieldsOf(HOST_CONFIG_SCHEMA),
  [
    ...CONTAINER_CONFIG_FIELDS,
    "Image",
    "Labels",
    "HostConfig",
    "NetworkingConfig",
  ],
);

/** `POST /commit`: optional `Config` overrides. */
export const COMMIT_SCHEMA: JsonSchema = struct(
  { Image: STRING, Labels: STRING_MAP },
  CONTAINER_CONFIG_FIELDS,
);

/** `POST /containers/{id}/exec`. */
export const EXEC_CREATE_SCHEMA: JsonSchema = struct({ Privileged: BOOL }, [
  "AttachStdin",
  "AttachStdout",
  "AttachStderr",
  "DetachKeys",
  "Tty",
  "Env",
  "Cmd",
  "User",
  "WorkingDir",
  "ConsoleSize",
]);

/** `POST /volumes/create`. */
export const VOLUME_CREATE_SCHEMA: JsonSchema = struct({
  Name: STRING,
  Driver: STRING,
  DriverOpts: STRING_MAP,
  Labels: STRING_MAP,
}, ["ClusterVolumeSpec"]);

/** `POST /networks/create`. */
export const NETWORK_CREATE_SCHEMA: JsonSchema = struct({
  Name: STRING,
  Driver: STRING,
  Options: STRING_MAP,
  Labels: STRING_MAP,
}, [
  "CheckDuplicate",
  "Scope",
  "Internal",
  "Attachable",
  "Ingress",
  "ConfigOnly",
  "ConfigFrom",
  "IPAM",
  "EnableIPv4",
  "EnableIPv6",
]);

/** `POST /networks/{id}/connect` and `/disconnect`. */
export const NETWORK_CONNECT_SCHEMA: JsonSchema = struct(
  { Container: STRING, EndpointConfig: ENDPOINT_SETTINGS },
  ["Force"],
);

const NETWORK_ATTACHMENT = struct({ Target: STRING }, [
  "Aliases",
  "DriverOpts",
]);

const CONTAINER_SPEC = struct({
  Image: STRING,
  Labels: STRING_MAP,
  Mounts: arrayOf(MOUNT),
  CapabilityAdd: STRING_LIST,
  Privileges: struct({
    SELinuxContext: struct({ Disable: BOOL, Type: STRING }, [
      "User",
      "Role",
      "Level",
    ]),
    Seccomp: struct({ Mode: STRING }, ["Profile"]),
    AppArmor: struct({ Mode: STRING }),
  }, ["CredentialSpec", "NoNewPrivileges"]),
}, [
  "Command",
  "Args",
  "Hostname",
  "Env",
  "Dir",
  "User",
  "Groups",
  "TTY",
  "OpenStdin",
  "ReadOnly",
  "StopSignal",
  "StopGracePeriod",
  "HealthCheck",
  "Hosts",
  "DNSConfig",
  "Secrets",
  "Configs",
  "Isolation",
  "Init",
  "Sysctls",
  "CapabilityDrop",
  "Ulimits",
  "OomScoreAdj",
]);

/** `POST /services/create` and `/services/{id}/update`: a `ServiceSpec`. */
export const SERVICE_SPEC_SCHEMA: JsonSchema = struct({
  TaskTemplate: struct({
    ContainerSpec: CONTAINER_SPEC,
    Runtime: STRING,
    Networks: arrayOf(NETWORK_ATTACHMENT),
  }, [
    "PluginSpec",
    "NetworkAttachmentSpec",
    "Resources",
    "RestartPolicy",
    "Placement",
    "ForceUpdate",
    "LogDriver",
  ]),
  Networks: arrayOf(NETWORK_ATTACHMENT),
}, [
  "Name",
  "Labels",
  "Mode",
  "UpdateConfig",
  "RollbackConfig",
  "EndpointSpec",
]);

/** Route id to the schema of its JSON body, for the routes filters read. */
const BODY_SCHEMAS: ReadonlyMap<string, JsonSchema> = new Map([
  ["container.create", CONTAINER_CREATE_SCHEMA],
  // API < 1.24 reads a HostConfig from the start body.
  ["container.start", LEGACY_START_SCHEMA],
  ["container.commit", COMMIT_SCHEMA],
  ["exec.create", EXEC_CREATE_SCHEMA],
  ["volume.create", VOLUME_CREATE_SCHEMA],
  ["network.create", NETWORK_CREATE_SCHEMA],
  ["network.connect", NETWORK_CONNECT_SCHEMA],
  ["network.disconnect", NETWORK_CONNECT_SCHEMA],
  ["service.create", SERVICE_SPEC_SCHEMA],
  ["service.update", SERVICE_SPEC_SCHEMA],
]);

/**
 * The schema to pass to `canonicalizeKeys` for a route's JSON body, or
 * undefined when no filter reads that body (decode it anyway, to refuse
 * ambiguous keys).
 */
export function bodySchemaFor(routeId: string): JsonSchema | undefined {
  return BODY_SCHEMAS.get(routeId);
}
