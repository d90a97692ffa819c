/**
 * The numbers a bench run collects, in one JSON-friendly shape that the
 * report renders and the smoke test checks.
 *
 * @module
 */

import type { CreateResult } from "./create_loop.ts";
import type { MemoryTrace } from "./processes.ts";
import type { BenchSettings } from "./settings.ts";
import type { StreamKind } from "./streaming.ts";
import type { TargetName } from "./targets.ts";
import type { WrkResult } from "./wrk.ts";

/** One value per target. */
export type PerTarget<T> = Record<TargetName, T>;

/** One small-request measurement: a path at one concurrency. */
export interface SmallRow {
  /** What the table shows, e.g. `GET /containers/{id}/json`. */
  label: string;
  connections: number;
  results: PerTarget<WrkResult>;
}

/** The median run of one stream kind through one target. */
export interface StreamRun {
  bytes: number;
  seconds: number;
  mibPerSecond: number;
  /** RSS of the proxy around that run (zeros for direct). */
  memory: MemoryTrace;
  /** Why the stream failed through this target; null when it worked. */
  error: string | null;
}

/** Every run of one stream kind. */
export interface StreamRow {
  kind: StreamKind;
  results: PerTarget<StreamRun>;
}

/** The event-stream hold for one target. */
export interface EventRun {
  requested: number;
  opened: number;
  /** Streams that closed during the hold. */
  closedEarly: number;
  /** Streams that delivered the event sent after the hold. */
  sawFinalEvent: number;
  /** The small-request load that ran during the hold. */
  load: WrkResult;
  /** RSS of the proxy during the hold (zeros for direct). */
  memory: MemoryTrace;
  /** RSS of the proxy with every stream open, before the load starts. */
  openRssKiB: number;
}

/** Start-up of a fresh proxy process. */
export interface StartupResult {
  /** Spawn to first 200 on `GET /_ping`, every run, in ms. */
  runsMs: number[];
  medianMs: number;
  /** VmRSS one second after the first request. */
  idleRssKiB: number;
}

/** What the statuses of the ACL self-check were. */
export interface AclCheck {
  request: string;
  expected: "allow" | "deny";
  statuses: PerTarget<number | undefined>;
}

/** Everything a run produced. */
export interface BenchResults {
  startedAt: string;
  settings: BenchSettings;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    os: string;
    /** Load averages at the start and the end of the run. */
    load: string;
  };
  versions: Record<string, string>;
  acl: AclCheck[];
  small: SmallRow[];
  create: PerTarget<CreateResult>;
  streams: StreamRow[];
  /** dockgate's VmHWM before and after all streams, in KiB. */
  dockgateHwmAroundStreams: { beforeKiB: number; afterKiB: number };
  events: PerTarget<EventRun>;
  startup: { haproxy: StartupResult; dockgate: StartupResult };
  /** dockerd's RSS at the end, for scale. */
  engineRssKiB: number;
}
