/**
 * Small statistics over samples.
 *
 * @module
 */

/** The `p`th percentile (nearest rank) of `values`; 0 for no values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] ?? 0;
}

/** The median of `values`; 0 for no values. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}
