/**
 * Bounded waiting, so no test step can hang the suite.
 *
 * @module
 */

/** Marker for a deadline that ran out first. */
export const LATE: unique symbol = Symbol("late");

/**
 * Resolves with what `promise` resolves to, or with {@linkcode LATE} when
 * `ms` pass first. The timer is cleared either way.
 */
export async function raceDeadline<T>(
  promise: Promise<T>,
  ms: number,
): Promise<T | typeof LATE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), Math.max(0, ms));
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The message of a thrown value, without the "Error: " prefix. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
