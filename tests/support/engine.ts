/**
 * A private Docker engine for the integration tests.
 *
 * Every engine lives in one temp dir under /tmp: its API socket, data root,
 * exec root, pidfile, daemon.json and log. It never touches the host's
 * default socket, firewall or IP forwarding. One engine is shared by all the
 * test files of a `deno test` process ({@linkcode sharedEngine}); it is
 * stopped when the process unloads.
 *
 * @module
 */

import { docker, killQuietly, terminate } from "./docker_cli.ts";
import { messageOf } from "./deadline.ts";
import { waitForPing } from "./ping.ts";

/** A running dockerd that only the tests use. */
export interface Engine {
  /** Temp dir holding everything the engine writes. */
  readonly dir: string;
  /** Path of the engine's API socket. */
  readonly socketPath: string;
  /** `unix://` URL of the API socket, for DOCKER_HOST or DOCKER_SOCKET. */
  readonly dockerHost: string;
  /** The engine's log so far (dockerd and its containerd). */
  logs(): string;
  /** Stops the engine, its containerd and shims, then removes the dir. */
  stop(): Promise<void>;
}

/** Where a private dockerd keeps everything, and the flags that say so. */
export interface EngineFiles {
  /** Temp dir under /tmp holding everything the engine writes. */
  readonly dir: string;
  /** Path of the engine's API socket. */
  readonly socketPath: string;
  /** The file dockerd's stdout and stderr go to. */
  readonly logPath: string;
  /**
   * dockerd's flags: socket, data root, exec root, pidfile and config all
   * in `dir`; no firewall, bridge or IP forwarding.
   */
  readonly args: readonly string[];
}

/** The busybox image every flow runs; see {@linkcode ensureTinyImage}. */
export const TINY_IMAGE = "tiny:1";

const INSTALL_HINT = "install Debian's docker.io and busybox-static " +
  "(apt-get install docker.io busybox-static)";

/** Debian's busybox-static puts its binary here. */
const BUSYBOX_PATH = "/bin/busybox";

const BUSYBOX_APPLETS = [
  "sh",
  "cat",
  "echo",
  "sleep",
  "true",
  "wc",
  "ls",
  "sed",
  "grep",
  "env",
  "id",
  "head",
  "tail",
  "tar",
  "mkdir",
  "rm",
];

/** sbin dirs are often missing from PATH, yet dockerd lives there. */
const SBIN_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

const ENGINE_START_TIMEOUT_MS = 60_000;
const ENGINE_STOP_TIMEOUT_MS = 30_000;

/** ELF program header type of the dynamic loader path. */
const PT_INTERP = 3;

interface RunningEngine extends Engine {
  /** Synchronous stop for the unload handler, which cannot await. */
  stopNow(): void;
}

const liveEngines = new Set<RunningEngine>();
const tinyImages = new WeakMap<Engine, Promise<void>>();
let shared: Promise<Engine> | undefined;
let skipDecision: boolean | undefined;

/**
 * Tells whether the integration tests must be skipped on this machine.
 *
 * They are skipped, with one loud line, when dockerd, the docker CLI, a
 * static busybox or root rights are missing. Under CI=true they are never
 * skipped: they run and fail on the missing piece instead.
 */
export function integrationSkipped(): boolean {
  if (skipDecision !== undefined) return skipDecision;
  const problem = findMissingPrerequisite();
  if (problem === undefined) {
    skipDecision = false;
  } else if (Deno.env.get("CI") === "true") {
    console.error(`FAIL integration tests (CI=true never skips): ${problem}`);
    skipDecision = false;
  } else {
    console.error(`SKIP integration tests: ${problem}`);
    skipDecision = true;
  }
  return skipDecision;
}

/**
 * Starts a private dockerd as root and resolves once its `_ping` answers.
 * Throws, leaving no process or file behind, when it cannot.
 */
export async function startEngine(): Promise<Engine> {
  const problem = findMissingPrerequisite();
  if (problem !== undefined) {
    throw new Error(`Cannot start the test engine: ${problem}`);
  }
  const dockerd = findExecutable("dockerd");
  if (dockerd === undefined) {
    throw new Error("Cannot start the test engine: dockerd not found");
  }
  const files = await makeEngineFiles("dge-");
  const child = spawnDockerd(files, dockerd);
  const engine = makeEngine(child, files);
  liveEngines.add(engine);
  try {
    await waitForDockerd(files, child, "dockerd");
  } catch (error) {
    const log = engine.logs().slice(-3000);
    await engine.stop();
    throw new Error(
      `Cannot start the test engine: ${messageOf(error)}\n${log}`,
    );
  }
  return engine;
}

/**
 * The one engine of this test process, started on first use. A failed start
 * is remembered, so later tests fail at once instead of waiting again.
 */
export function sharedEngine(): Promise<Engine> {
  shared ??= startEngine();
  return shared;
}

/** Stops the shared engine now instead of at unload; it restarts on use. */
export async function stopSharedEngine(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current === undefined) return;
  const engine = await current.catch(() => undefined);
  await engine?.stop();
}

/**
 * Creates the temp dir of a new private dockerd (named `prefix` and a
 * random part) with an empty daemon.json in it.
 */
export async function makeEngineFiles(prefix: string): Promise<EngineFiles> {
  // A short dir keeps containerd's sockets under the exec root well below
  // the 108-byte limit of a Unix socket path, whatever TMPDIR says.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix });
  const socketPath = `${dir}/engine.sock`;
  // An empty daemon.json keeps a host-wide /etc/docker/daemon.json out.
  await Deno.writeTextFile(`${dir}/daemon.json`, "{}\n");
  return {
    dir,
    socketPath,
    logPath: `${dir}/engine.log`,
    args: [
      "--iptables=false",
      "--ip-forward=false",
      "--ip-masq=false",
      "--bridge=none",
      "--storage-driver=vfs",
      "--shutdown-timeout=3",
      `--host=unix://${socketPath}`,
      `--data-root=${dir}/data`,
      `--exec-root=${dir}/x`,
      `--pidfile=${dir}/dockerd.pid`,
      `--config-file=${dir}/daemon.json`,
    ],
  };
}

/**
 * Starts `dockerd` (a path, or a name looked up in PATH and the sbin dirs)
 * on `files`, appending its output to the log, so an engine started again
 * on the same files keeps its earlier log.
 */
export function spawnDockerd(
  files: EngineFiles,
  dockerd = "dockerd",
): Deno.ChildProcess {
  // The shell only redirects the log to a file and then becomes dockerd,
  // so the pid we hold is dockerd's own and no pipe can fill up.
  return new Deno.Command("sh", {
    args: ["-c", 'exec "$0" "$@" >>"$ENGINE_LOG" 2>&1', dockerd, ...files.args],
    env: { PATH: enginePath(), ENGINE_LOG: files.logPath },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/**
 * Resolves once the dockerd `child` answers `_ping` on its socket; throws
 * when it exits first or does not answer in time. `what` names it in the
 * error.
 */
export function waitForDockerd(
  files: EngineFiles,
  child: Deno.ChildProcess,
  what: string,
): Promise<void> {
  return waitForPing(files.socketPath, {
    timeoutMs: ENGINE_START_TIMEOUT_MS,
    stopped: child.status,
    what,
  });
}

/** Stops the dockerd `child`: SIGTERM, and SIGKILL if it does not exit. */
export async function stopDockerd(child: Deno.ChildProcess): Promise<void> {
  await terminate(child, ENGINE_STOP_TIMEOUT_MS);
}

/** The engine's log so far, or "" before it wrote one. */
export function readEngineLog(files: EngineFiles): string {
  try {
    return Deno.readTextFileSync(files.logPath);
  } catch {
    return "";
  }
}

/**
 * Makes sure `engine` has the image `tiny:1`: a busybox-only rootfs (with
 * /tmp and /etc) brought in with `docker import`. Runs once per engine.
 */
export function ensureTinyImage(engine: Engine): Promise<void> {
  let pending = tinyImages.get(engine);
  if (pending === undefined) {
    pending = buildTinyImage(engine);
    tinyImages.set(engine, pending);
  }
  return pending;
}

async function buildTinyImage(engine: Engine): Promise<void> {
  const host = engine.dockerHost;
  const present = await docker(["image", "inspect", TINY_IMAGE], { host });
  if (present.code === 0) return;
  const work = await Deno.makeTempDir({ prefix: "dockgate-tiny-" });
  try {
    const root = `${work}/rootfs`;
    await Deno.mkdir(`${root}/bin`, { recursive: true });
    await Deno.mkdir(`${root}/etc`);
    await Deno.mkdir(`${root}/tmp`);
    await Deno.chmod(`${root}/tmp`, 0o1777);
    await Deno.copyFile(BUSYBOX_PATH, `${root}/bin/busybox`);
    for (const applet of BUSYBOX_APPLETS) {
      await Deno.symlink("busybox", `${root}/bin/${applet}`);
    }
    await Deno.writeTextFile(
      `${root}/etc/passwd`,
      "root:x:0:0:root:/root:/bin/sh\n",
    );
    await Deno.writeTextFile(`${root}/etc/group`, "root:x:0:\n");
    const tarball = `${work}/rootfs.tar`;
    const tar = new Deno.Command("tar", {
      args: ["--numeric-owner", "--owner=0", "--group=0", "-C", root, "-cf"]
        .concat([tarball, "."]),
      stdout: "null",
      stderr: "piped",
    });
    const packed = await tar.output();
    if (!packed.success) {
      throw new Error(
        `Cannot pack the tiny rootfs: ${
          new TextDecoder().decode(packed.stderr)
        }`,
      );
    }
    const imported = await docker(
      ["import", "--change", 'CMD ["sh"]', tarball, TINY_IMAGE],
      { host, timeoutMs: 60_000 },
    );
    if (imported.code !== 0) {
      throw new Error(
        `Cannot import "${TINY_IMAGE}": ${imported.stderr.trim()}`,
      );
    }
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

function makeEngine(
  child: Deno.ChildProcess,
  files: EngineFiles,
): RunningEngine {
  const { dir, socketPath } = files;
  let stopped: Promise<void> | undefined;
  const engine: RunningEngine = {
    dir,
    socketPath,
    dockerHost: `unix://${socketPath}`,
    logs: () => readEngineLog(files),
    stop() {
      stopped ??= (async () => {
        liveEngines.delete(engine);
        await stopDockerd(child);
        removeEngineDir(dir);
      })();
      return stopped;
    },
    stopNow() {
      liveEngines.delete(engine);
      killQuietly(child, "SIGTERM");
      const deadline = Date.now() + ENGINE_STOP_TIMEOUT_MS;
      while (isRunning(child.pid) && Date.now() < deadline) {
        sleepSync(100);
      }
      if (isRunning(child.pid)) killQuietly(child, "SIGKILL");
      removeEngineDir(dir);
    },
  };
  return engine;
}

/**
 * Ends what the engine in `dir` left (its containerd and shims when it had
 * to be killed), lifts mounts under `dir` and removes it.
 */
export function removeEngineDir(dir: string): void {
  for (const pid of processesMentioning(dir)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // Gone already.
    }
  }
  const mounts = mountPointsUnder(dir).sort((a, b) => b.length - a.length);
  for (const mountPoint of mounts) {
    new Deno.Command("umount", {
      args: ["-l", mountPoint],
      stdout: "null",
      stderr: "null",
    }).outputSync();
  }
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Pids whose command line names `dir`: only what this engine started. */
function processesMentioning(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.includes(`${dir}/`) && isRunning(pid)) pids.push(pid);
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

function mountPointsUnder(dir: string): string[] {
  const mountInfo = Deno.readTextFileSync("/proc/self/mountinfo");
  return mountInfo.split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .filter((mountPoint) => mountPoint.startsWith(`${dir}/`));
}

/** True while `pid` exists and is not a zombie waiting to be reaped. */
function isRunning(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const state = stat.slice(
      stat.lastIndexOf(")") + 2,
      stat.lastIndexOf(")") + 3,
    );
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function enginePath(): string {
  const path = Deno.env.get("PATH") ?? "/usr/local/bin:/usr/bin:/bin";
  return [path, ...SBIN_DIRS].join(":");
}

/** Names the first thing missing for the integration tests, if any. */
function findMissingPrerequisite(): string | undefined {
  if (findExecutable("dockerd") === undefined) {
    return `dockerd not found; ${INSTALL_HINT}`;
  }
  if (findExecutable("docker") === undefined) {
    return `docker CLI not found; ${INSTALL_HINT}`;
  }
  if (!isStaticExecutable(BUSYBOX_PATH)) {
    return `no static busybox at ${BUSYBOX_PATH}; ${INSTALL_HINT}`;
  }
  if (Deno.uid() !== 0) {
    return "not running as root, which dockerd needs";
  }
  return undefined;
}

function findExecutable(name: string): string | undefined {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").concat(SBIN_DIRS);
  for (const dir of dirs) {
    if (dir === "") continue;
    try {
      const info = Deno.statSync(`${dir}/${name}`);
      if (info.isFile && ((info.mode ?? 0) & 0o111) !== 0) {
        return `${dir}/${name}`;
      }
    } catch {
      // Not in this dir.
    }
  }
  return undefined;
}

/**
 * True for an ELF file without a dynamic loader. A dynamic busybox would
 * fail inside the libc-less image with a baffling "no such file".
 */
function isStaticExecutable(path: string): boolean {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch {
    return false;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const isElf64 = bytes.length > 64 && bytes[0] === 0x7f &&
    bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46 &&
    bytes[4] === 2;
  if (!isElf64) return false;
  const headersAt = Number(view.getBigUint64(0x20, true));
  const headerSize = view.getUint16(0x36, true);
  const headerCount = view.getUint16(0x38, true);
  for (let index = 0; index < headerCount; index++) {
    const at = headersAt + index * headerSize;
    if (at + 4 > bytes.length) return false;
    if (view.getUint32(at, true) === PT_INTERP) return false;
  }
  return true;
}

globalThis.addEventListener("unload", () => {
  for (const engine of [...liveEngines]) engine.stopNow();
});
