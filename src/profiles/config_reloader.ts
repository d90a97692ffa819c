/**
 * Reloads the configuration on SIGHUP and when one of its files changes.
 *
 * The new configuration is loaded and compiled before anything changes;
 * an invalid one is logged with every problem and the running one stays.
 * Reloads never overlap: a trigger during a reload runs one more reload
 * after it.
 *
 * @module
 */

import { getLogger } from "@logtape/logtape";
import { dirname, resolve } from "node:path";
import type { DockgateConfig } from "../config/schema.ts";

/** Options of {@linkcode startReloader}. */
export interface ReloaderOptions {
  /**
   * Loads, validates and applies the configuration; throws, with nothing
   * applied, when it is invalid. Resolves with the files to watch next.
   */
  reload(): Promise<readonly string[]>;
  /** Files to watch from the start; empty for none. */
  files: readonly string[];
  /** Reports each attempt. */
  onResult?(ok: boolean): void;
  /** Quiet time after a file event before reloading. Default: 300 ms. */
  debounceMs?: number;
}

/** A running reloader. */
export interface Reloader {
  /** Triggers a reload now, as SIGHUP does; resolves once it is done. */
  trigger(reason: string): Promise<void>;
  stop(): void;
}

const DEFAULT_DEBOUNCE_MS = 300;
const logger = getLogger(["dockgate", "reload"]);

/** Starts listening for SIGHUP and watching `options.files`. */
export function startReloader(options: ReloaderOptions): Reloader {
  const debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;
  let watcher: Deno.FsWatcher | null = null;
  let watched = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function runOnce(reason: string): Promise<void> {
    logger.info("Reloading the configuration: {reason}", { reason });
    try {
      const files = await options.reload();
      options.onResult?.(true);
      logger.info("Configuration reloaded");
      watch(files);
    } catch (error) {
      options.onResult?.(false);
      logger.error(
        "Configuration reload refused, the running configuration stays: {error}",
        { error: error instanceof Error ? error.message : String(error) },
      );
    }
  }

  function trigger(reason: string): Promise<void> {
    if (stopped) return Promise.resolve();
    if (running !== null) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await runOnce(reason);
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  function watch(files: readonly string[]): void {
    const wanted = new Set(files.map((file) => resolve(file)));
    const same = wanted.size === watched.size &&
      [...wanted].every((file) => watched.has(file));
    if (same || stopped) return;
    watcher?.close();
    watcher = null;
    watched = wanted;
    if (wanted.size === 0) return;
    // Editors replace a file by renaming a new one over it, which a watch
    // on the file itself would miss: watch the directories instead.
    const dirs = [...new Set([...wanted].map((file) => dirname(file)))];
    try {
      watcher = Deno.watchFs(dirs, { recursive: false });
    } catch (error) {
      logger.warn("Cannot watch {dirs} for changes: {error}; SIGHUP works", {
        dirs,
        error: error instanceof Error ? error.message : String(error),
      });
      return;
    }
    const current = watcher;
    void (async () => {
      try {
        for await (const event of current) {
          if (!event.paths.some((path) => watched.has(resolve(path)))) {
            continue;
          }
          clearTimeout(timer);
          timer = setTimeout(() => {
            void trigger("a configuration file changed");
          }, debounceMs);
        }
      } catch {
        // Closed by stop() or by a new watch.
      }
    })();
  }

  const onHangUp = () => void trigger("SIGHUP");
  Deno.addSignalListener("SIGHUP", onHangUp);
  watch(options.files);
  return {
    trigger,
    stop() {
      stopped = true;
      clearTimeout(timer);
      Deno.removeSignalListener("SIGHUP", onHangUp);
      watcher?.close();
    },
  };
}

/**
 * The files a configuration was read from: the main file, the
 * FILTERS_CONFIG file and every token file.
 */
export function configFiles(
  config: DockgateConfig,
  configFile: string | undefined,
  env: Readonly<Record<string, string>>,
): string[] {
  const files = [
    configFile ?? env["DOCKGATE_CONFIG"],
    env["FILTERS_CONFIG"],
  ];
  const tokens = [
    ...config.tokens,
    ...Object.values(config.profiles).flatMap((profile) => profile.tokens),
  ];
  for (const token of tokens) {
    if ("file" in token) files.push(token.file);
  }
  return files.filter((file): file is string =>
    file !== undefined && file.trim() !== ""
  );
}
