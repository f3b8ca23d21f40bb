import { addNoise, drawAll, integer, toRow } from './release.js';
import { cryptoSource, type RandomSource } from './random.js';
import type { OtherReleaseInput, QueryPlan, ReleasedRow } from './types.js';

/**
 * The row of suppressed groups: one cell that carries the total of every
 * group partition selection withheld (docs/privacy.md, section 5b).
 *
 * Arguments: the query's plan, with `plan.other` (its own units mechanism
 * `other_units` of L1 sensitivity 1, k, and its tau for half the policy's
 * δ), and the row's true values, which the enclave computes over the kept
 * rows of the suppressed groups (src/rewrite/other.ts): rows, distinct
 * units, grid sums, non-NULL counts and histograms, each row counted once
 * and each unit counted once, however many suppressed groups it is in.
 *
 * Privacy claim: let R be the released groups (an output of the selection
 * mechanism). For every fixed R the row's true values are a function of
 * the data, the aggregates over the kept rows whose group is not in R, and
 * so disjoint from the rows of every released group. Removing a unit u
 * changes the row's distinct units by at most 1 and each value vector
 * (released groups and the row together) by at most the query's L1 bound,
 * so the row's values are one more cell of the query's own mechanisms at
 * no further ε, and its distinct units, `other_units`, cost one more equal
 * share. Its release rule is selection's on one cell, true units >= k and
 * noisy units >= tau, with tau = k + t chosen so that P(Z >= t) <= δ/2:
 * a neighbour that lifts the row from k - 1 to k units shows with
 * probability at most δ/2. Selection keeps the other δ/2, so by adaptive
 * sequential composition the query stays (ε, δ)-DP (Laplace), or
 * (ε, δ_conv + δ)-DP (Gaussian: the ρ shares compose adaptively in zCDP).
 *
 * Citation: Korolova et al., WWW 2009, and Wilson et al., PoPETs 2020
 * (thresholded release); Dwork and Roth 2014, Theorem 3.16 (adaptive
 * composition); Bun and Steinke, TCC 2016, Lemma 2.3 (zCDP composition).
 */

/**
 * Releases the row of suppressed groups, or nothing when it has fewer than
 * k true units or its noisy distinct units fall below its tau. Its
 * count_units, if asked, is that noisy count (post-processing), and each
 * other value is one fresh draw of the query's mechanism for it.
 */
export function releaseOther(
  input: OtherReleaseInput,
  random: RandomSource = cryptoSource,
): ReleasedRow | undefined {
  const { plan, group } = input;
  const other = plan.other;
  if (other === undefined) throw new TypeError('the plan has no row of suppressed groups');
  if (integer(group.units) < BigInt(other.k)) return undefined;
  const units = plan.mechanisms.find((mech) => mech.id === other.mechanism)!;
  const noisyUnits = addNoise(group, units, random);
  if (noisyUnits < BigInt(other.tau)) return undefined;
  const selection = plan.selection!.mechanism;
  const noisy = new Map([
    [units.id, noisyUnits],
    [selection, noisyUnits],
  ]);
  return toRow(plan, group.keys, drawAll(plan, group, noisy, random));
}

/**
 * The plan as the row of suppressed groups sees it: its distinct units come
 * from `other_units`, so a count_units there has that mechanism's scale;
 * every other aggregate has the query's own. Accuracy formulas applied to
 * this view give the row's half-widths (post-processing, no cost).
 */
export function otherRowView(plan: QueryPlan): QueryPlan {
  const other = plan.other;
  if (other === undefined) throw new TypeError('the plan has no row of suppressed groups');
  const selection = plan.selection!.mechanism;
  const units = plan.mechanisms.find((mech) => mech.id === other.mechanism)!;
  const mechanisms = plan.mechanisms.map((mech) =>
    mech.id === selection ? { ...units, id: selection } : mech,
  );
  const aggregates = plan.aggregates.map((agg) =>
    agg.value === selection
      ? { ...agg, noise: { mechanism: agg.noise.mechanism, scale: units.scaleValue } }
      : agg,
  );
  return { ...plan, mechanisms, aggregates };
}
