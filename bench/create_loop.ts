/**
 * The filtered request: `POST /containers/create` with the body a docker
 * CLI sends, then `DELETE` of the new container, over one keep-alive
 * connection per target. dockgate reads and checks the create body before it forwards
 * it, so this shows what body inspection costs.
 *
 * @module
 */

import { TINY_IMAGE } from "../tests/support/engine.ts";
import type { PerTarget } from "./results.ts";
import { median, percentile } from "./stats.ts";
import type { Target } from "./targets.ts";

/** What one target's create loop measured. */
export interface CreateResult {
  pairs: number;
  /** Pairs per second of this target's own time (targets take turns). */
  pairsPerSecond: number;
  createP50Ms: number;
  createP99Ms: number;
}

/**
 * Shaped like the body docker CLI 28 sends for `docker create --network
 * none -e A=1 -l bench=1 tiny:1 sh -c "sleep 1"`: every HostConfig field
 * present, so the parser and the filters see a full-size document.
 */
export const CREATE_BODY = {
  Hostname: "",
  Domainname: "",
  User: "",
  AttachStdin: false,
  AttachStdout: true,
  AttachStderr: true,
  Tty: false,
  OpenStdin: false,
  StdinOnce: false,
  Env: ["A=1", "PATH=/bin"],
  Cmd: ["sh", "-c", "sleep 1"],
  Image: TINY_IMAGE,
  Volumes: {},
  WorkingDir: "",
  Entrypoint: null,
  OnBuild: null,
  Labels: { bench: "1", "org.example.role": "benchmark" },
  HostConfig: {
    Binds: null,
    ContainerIDFile: "",
    LogConfig: { Type: "", Config: {} },
    NetworkMode: "none",
    PortBindings: {},
    RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
    AutoRemove: false,
    VolumeDriver: "",
    VolumesFrom: null,
    ConsoleSize: [24, 80],
    CapAdd: null,
    CapDrop: null,
    CgroupnsMode: "",
    Dns: [],
    DnsOptions: [],
    DnsSearch: [],
    ExtraHosts: null,
    GroupAdd: null,
    IpcMode: "",
    Cgroup: "",
    Links: null,
    OomScoreAdj: 0,
    PidMode: "",
    Privileged: false,
    PublishAllPorts: false,
    ReadonlyRootfs: false,
    SecurityOpt: null,
    UTSMode: "",
    UsernsMode: "",
    ShmSize: 0,
    Isolation: "",
    CpuShares: 0,
    Memory: 0,
    NanoCpus: 0,
    CgroupParent: "",
    BlkioWeight: 0,
    BlkioWeightDevice: [],
    BlkioDeviceReadBps: [],
    BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [],
    BlkioDeviceWriteIOps: [],
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuRealtimePeriod: 0,
    CpuRealtimeRuntime: 0,
    CpusetCpus: "",
    CpusetMems: "",
    Devices: [],
    DeviceCgroupRules: null,
    DeviceRequests: null,
    MemoryReservation: 0,
    MemorySwap: 0,
    MemorySwappiness: null,
    OomKillDisable: false,
    PidsLimit: null,
    Ulimits: [],
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    MaskedPaths: null,
    ReadonlyPaths: null,
  },
  NetworkingConfig: { EndpointsConfig: {} },
};

const CREATE_BODY_TEXT = JSON.stringify(CREATE_BODY);

const API = "/v1.41";
/** Unmeasured pairs per target first, so no target pays for warming up. */
const WARM_UP_PAIRS = 2;

/** A keep-alive client bound to one target, and its timings. */
interface Lane {
  target: Target;
  client: Deno.HttpClient;
  createMs: number[];
  pairMs: number[];
}

/**
 * Runs up to `pairs` create-then-delete pairs through every target. The
 * targets take turns pair by pair (in a rotating order), so a slow patch of
 * the engine or the machine hits all of them alike. Stops early once
 * `timeoutMs` has passed. Throws on any answer but 201 and 204.
 */
export async function runCreateLoops(
  targets: readonly Target[],
  pairs: number,
  timeoutMs: number,
): Promise<PerTarget<CreateResult>> {
  const lanes: Lane[] = targets.map((target) => ({
    target,
    client: Deno.createHttpClient({ poolMaxIdlePerHost: 1 }),
    createMs: [],
    pairMs: [],
  }));
  const startedAt = performance.now();
  try {
    for (const lane of lanes) {
      for (let pair = 0; pair < WARM_UP_PAIRS; pair++) await runPair(lane);
    }
    for (let pair = 0; pair < pairs; pair++) {
      if (performance.now() - startedAt > timeoutMs) break;
      for (let step = 0; step < lanes.length; step++) {
        const lane = lanes[(pair + step) % lanes.length]!;
        const timing = await runPair(lane);
        lane.createMs.push(timing.createMs);
        lane.pairMs.push(timing.pairMs);
      }
    }
  } finally {
    for (const lane of lanes) lane.client.close();
  }
  const results: Partial<PerTarget<CreateResult>> = {};
  for (const { target, createMs, pairMs } of lanes) {
    const seconds = pairMs.reduce((sum, ms) => sum + ms, 0) / 1000;
    results[target.name] = {
      pairs: pairMs.length,
      pairsPerSecond: seconds === 0 ? 0 : pairMs.length / seconds,
      createP50Ms: median(createMs),
      createP99Ms: percentile(createMs, 99),
    };
  }
  return results as PerTarget<CreateResult>;
}

/** One create and its delete; resolves with how long each part took. */
async function runPair(
  lane: Lane,
): Promise<{ createMs: number; pairMs: number }> {
  const { addr } = lane.target;
  const before = performance.now();
  const created = await fetch(`http://${addr}${API}/containers/create`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: CREATE_BODY_TEXT,
    client: lane.client,
    signal: AbortSignal.timeout(30_000),
  });
  const answer = await created.text();
  const createMs = performance.now() - before;
  if (created.status !== 201) {
    throw new Error(`create via ${addr} failed: ${created.status} ${answer}`);
  }
  const id = (JSON.parse(answer) as { Id: string }).Id;
  const deleted = await fetch(`http://${addr}${API}/containers/${id}`, {
    method: "DELETE",
    client: lane.client,
    signal: AbortSignal.timeout(30_000),
  });
  const detail = await deleted.text();
  if (deleted.status !== 204) {
    throw new Error(`delete via ${addr} failed: ${deleted.status} ${detail}`);
  }
  return { createMs, pairMs: performance.now() - before };
}
