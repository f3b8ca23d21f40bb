/**
 * Seeded pseudo-random numbers for the synthetic data generator only. The
 * generator must give the same bytes for the same seed on every machine, so it
 * cannot use node:crypto; nothing privacy-relevant (noise, ranks, salts) may
 * ever use this module.
 */

/** A stream of uniform numbers in [0, 1), fully determined by its seed. */
export type Uniform = () => number;

/** 32-bit avalanche mix of two integers: a stateless hash for per-entity attributes. */
export function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(b, 0xc2b2ae35)) | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform in [0, 1) derived from two integers, for attributes fixed per entity. */
export function hashUnit(a: number, b: number): number {
  return mix32(a, b) / 4294967296;
}

/**
 * A small counter-based generator: each draw hashes a running counter with
 * the seed. It is fast, has no short cycles for the few billion draws a
 * benchmark file needs, and its output depends on nothing but the seed.
 */
export function seededUniform(seed: number): Uniform {
  const key = mix32(seed >>> 0, 0x5bd1e995);
  let counter = 0;
  return () => {
    counter = (counter + 1) | 0;
    const hi = mix32(key, counter);
    const lo = mix32(hi, counter ^ 0x27d4eb2f);
    return (hi * 2097152 + (lo >>> 11)) / 9007199254740992;
  };
}

/** A standard normal draw (Box-Muller), for log-normal depths and durations. */
export function normal(u: Uniform): number {
  const a = 1 - u();
  return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
}

/** An index in [0, n) drawn uniformly. */
export function pick(u: Uniform, n: number): number {
  return Math.floor(u() * n);
}

/**
 * The index whose share of the running sums holds `x` in [0, 1): an index drawn with
 * probability proportional to `cumulative[i] - cumulative[i - 1]` when `x` is uniform.
 */
export function pickWeighted(cumulative: Float64Array, x: number): number {
  const target = x * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Running sums of weights, the input `pickWeighted` expects. */
export function cumulate(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  return out;
}
