/**
 * Turning noisy grid counts back into the measure's units. A sum is noised
 * as an integer number of grid steps, so the released value is an exact
 * multiple of the granularity; printing it with the granularity's own
 * decimals keeps float artefacts (12.300000000000001) out of answers.
 */

/** Decimals of the granularity as JS prints it: 0.1 -> 1, 0.25 -> 2, 5 -> 0, 1e-7 -> 7. */
export function gridDecimals(granularity: number): number {
  const m = /^\d+(?:\.(\d+))?(?:e([+-]\d+))?$/.exec(String(granularity));
  if (!m) throw new RangeError('a granularity is a positive finite number');
  return Math.min(100, Math.max(0, (m[1] ?? '').length - Number(m[2] ?? '0')));
}

/** steps * granularity, rounded to the granularity's decimals. */
export function fromGrid(steps: bigint, granularity: number): number {
  return Number((Number(steps) * granularity).toFixed(gridDecimals(granularity)));
}
