/**
 * The statistics the attack figures rest on: the membership bound of
 * epsilon-DP, binomial and chi-square tails for test margins with a stated
 * false-failure rate, a seeded generator for the attacker's own choices, and
 * least squares for reconstruction.
 */

/**
 * Largest success rate of any membership guess (prior 1/2) against an
 * epsilon-DP release: e^eps / (1 + e^eps). A higher rate means a leak.
 */
export function membershipBound(epsilon: number): number {
  return Math.exp(epsilon) / (1 + Math.exp(epsilon));
}

function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/**
 * Smallest k with P(Binomial(n, p) >= k) <= alpha: a correct system whose
 * success probability is at most p reaches k successes with chance at most
 * alpha, so a test may fail at k with that false-failure rate.
 */
export function binomialCritical(n: number, p: number, alpha: number): number {
  const logPmf = (k: number) => logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log(1 - p);
  let tail = 0;
  for (let k = n; k >= 0; k--) {
    tail += Math.exp(logPmf(k));
    if (tail > alpha) return k + 1;
  }
  return 0;
}

/** P(chi-square with `df` degrees of freedom >= x), by the series of the lower gamma. */
export function chiSquareTail(x: number, df: number): number {
  const a = df / 2;
  const z = x / 2;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10_000 && term > sum * 1e-15; n++) {
    term *= z / (a + n);
    sum += term;
  }
  const logLower = a * Math.log(z) - z + Math.log(sum) - logGamma(a);
  return Math.max(0, 1 - Math.exp(logLower));
}

function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  let s = 0.99999999999980993;
  const y = x - 1;
  c.forEach((ci, i) => (s += ci / (y + i + 1)));
  const t = y + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(s);
}

/** Pearson's chi-square statistic of observed counts against a uniform spread. */
export function chiSquareUniform(counts: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  const e = n / counts.length;
  return counts.reduce((s, c) => s + (c - e) ** 2 / e, 0);
}

/** mulberry32: the attacker's reproducible choices (not noise; the gateway draws that). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), a | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Least squares x minimizing |Ax - y|, through the normal equations
 * (A'A) x = A'y solved by Gaussian elimination with partial pivoting.
 */
export function leastSquares(a: number[][], y: number[]): number[] {
  const n = a[0]!.length;
  const m = Array.from({ length: n }, (_, i) => {
    const row = Array.from({ length: n }, (_, j) => a.reduce((s, r) => s + r[i]! * r[j]!, 0));
    return [...row, a.reduce((s, r, k) => s + r[i]! * y[k]!, 0)];
  });
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r;
    [m[c], m[p]] = [m[p]!, m[c]!];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r]![c]! / m[c]![c]!;
      for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!;
    }
  }
  return m.map((row, i) => row[n]! / row[i]!);
}
