/**
 * The smallest integer n >= start for which `fits(n)` holds, where `fits`
 * is monotone (once true, true for every larger n): by doubling, then
 * bisection, so a bound near 10^10 takes about 70 calls, not 10^10.
 */
export function smallestFitting(start: number, fits: (n: number) => boolean): number {
  if (fits(start)) return start;
  let lo = start;
  let hi = Math.max(start * 2, start + 1);
  while (!fits(hi)) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (fits(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
