/**
 * Coarse deadlines for connections (the header and idle timeouts).
 *
 * A timer per request costs a timer object, its bookkeeping and its garbage
 * on the hottest path, for a deadline that almost never fires. Instead every
 * pending deadline sits in one set that a single shared timer sweeps while
 * the set is not empty. A deadline fires at most {@linkcode SWEEP_MS} late,
 * never early.
 *
 * @module
 */

/** How often pending deadlines are checked, in milliseconds. */
export const SWEEP_MS = 100;

/** A pending deadline; pass it to {@linkcode cancelDeadline}. */
export interface Deadline {
  readonly at: number;
  readonly onLate: () => void;
}

const pending = new Set<Deadline>();
let sweeper: ReturnType<typeof setInterval> | undefined;

function sweep() {
  const now = performance.now();
  for (const deadline of pending) {
    if (deadline.at > now) continue;
    pending.delete(deadline);
    try {
      deadline.onLate();
    } catch {
      // One connection's close failing must not stop the others' deadlines.
    }
  }
  stopWhenIdle();
}

function stopWhenIdle() {
  if (pending.size === 0 && sweeper !== undefined) {
    clearInterval(sweeper);
    sweeper = undefined;
  }
}

/** Calls `onLate` once `ms` have passed, unless cancelled first. */
export function startDeadline(ms: number, onLate: () => void): Deadline {
  const deadline = { at: performance.now() + ms, onLate };
  pending.add(deadline);
  sweeper ??= setInterval(sweep, SWEEP_MS);
  return deadline;
}

/** Cancels a deadline; one that already fired is left alone. */
export function cancelDeadline(deadline: Deadline): void {
  pending.delete(deadline);
  stopWhenIdle();
}
