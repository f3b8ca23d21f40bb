import type { AggregateFn } from '../query/request.js';
import type { QuantileLevel } from './quantile.js';

/**
 * The privacy stage's input and output types, in one place so the query
 * pipeline, the tests and the docs name the same shapes.
 */

/** An exact positive rational num/den; noise scales are rationals so sampling needs no floats. */
export interface Rational {
  num: bigint;
  den: bigint;
}

/** Clamping bounds and grid step of a measure, as the policy states them. */
export interface MeasureBounds {
  lower: number;
  upper: number;
  granularity: number;
}

/** One aggregate of the query, as the plan needs it (bounds only for sum and avg). */
export interface PlanAggregate {
  fn: AggregateFn;
  alias: string;
  measure?: string;
  bounds?: MeasureBounds;
}

/** What the plan is computed from: the checked query's aggregates and the policy's parameters. */
export interface PlanInput {
  aggregates: PlanAggregate[];
  /** The query's total epsilon, split over the mechanisms that run. */
  epsilon: number;
  /** The policy's delta, charged only when partition selection runs. */
  delta: number;
  /** Minimum number of distinct units in a released group. */
  k: number;
  /** Rows one unit may contribute to the whole query (m). */
  maxContributions: number;
  /** True when some grouped column has no public key list, so groups must be selected. */
  needsSelection: boolean;
  /** The policy's noise: discrete Laplace (pure ε, the default) or discrete Gaussian (zCDP). */
  mechanism?: NoiseKind;
  /** True when a public column has an "other" row: only cells with that key are thresholded. */
  otherCells?: boolean;
  /**
   * True when the buyer asked for the row of suppressed groups (docs/privacy.md, section 5b):
   * one more mechanism, the row's own distinct-unit count, and half of delta for its threshold.
   * Needs `needsSelection`.
   */
  otherRow?: boolean;
}

/** The policy's choice of noise distribution; `laplace` when a policy says nothing. */
export type NoiseKind = 'laplace' | 'gaussian';

/** The true quantity a mechanism adds noise to. */
export type Quantity = 'units' | 'rows' | 'sum_grid' | 'non_null' | 'quantile';

/** One discrete Laplace mechanism that runs over every group, with its calibration. */
export interface Mechanism {
  /** `units`, `rows`, `sum:<measure>` or `non_null:<measure>`; aggregates refer to it by id. */
  id: string;
  quantity: Quantity;
  measure?: string;
  /** L1 sensitivity over all groups: counts in units/rows, sums in grid steps. */
  sensitivity: bigint;
  /** This mechanism's share of the query's epsilon. */
  epsilon: number;
  epsilonExact: Rational;
  /** Discrete Laplace scale b = sensitivity / epsilon, exact (in grid steps for sums). */
  scale: Rational;
  scaleValue: number;
  /** Absent or `discrete_laplace`: the sampler reads `scale`; `discrete_gaussian`: `sigma2`. */
  distribution?: NoiseInfo['mechanism'];
  /** Discrete Gaussian only: the exact variance parameter σ² = Δ₂² / (2ρ). */
  sigma2?: Rational;
  /** Discrete Gaussian only: the squared L2 sensitivity Δ₂² over all groups. */
  l2SensitivitySquared?: bigint;
  /** Discrete Gaussian only: this mechanism's share of the query's ρ (zCDP). */
  rho?: Rational;
  /** Quantile only (exponential mechanism, quantile.ts): the level q and the measure's bounds. */
  level?: QuantileLevel;
  bounds?: MeasureBounds;
  /**
   * Quantile only: the ε of its exponential mechanism; the equal share in a Laplace plan,
   * √(2ρ_i) rounded down in a Gaussian one (ε-DP implies ε²/2-zCDP).
   */
  quantileEpsilon?: Rational;
  /**
   * True for the mechanism that runs on the row of suppressed groups only: its distinct units,
   * counted once over all those groups (L1 = 1). Every other mechanism also gives that row its
   * values, as one more cell whose rows are disjoint from the released groups'.
   */
  otherRow?: boolean;
}

/** Partition selection: release a group iff its true units >= k and its noisy units >= tau. */
export interface SelectionPlan {
  /** Id of the mechanism whose noisy value is compared with tau (always `units`). */
  mechanism: string;
  k: number;
  tau: number;
  /** True when only cells holding an "other" key are selected; the listed cells are public. */
  onlyOther?: boolean;
}

/**
 * The row of suppressed groups: released iff its true distinct units (over the rows of every
 * group that failed selection) are >= k and its noisy count reaches its own tau.
 */
export interface OtherRowPlan {
  /** Id of its distinct-unit mechanism (`other_units`, L1 = 1). */
  mechanism: string;
  k: number;
  tau: number;
  /** Its share of the policy's delta: half, the selection of the groups keeps the other half. */
  delta: number;
}

/** How an answer's noise field describes one aggregate, in the answer's own units. */
export interface NoiseInfo {
  mechanism: 'discrete_laplace' | 'discrete_gaussian' | 'exponential';
  /**
   * Discrete Laplace: the scale b. Discrete Gaussian: σ (the standard deviation parameter).
   * Exponential: 2 Δ_u / ε, the utility drop (in rank units times the quantile's denominator)
   * that divides a bin's probability by e.
   */
  scale: number;
  /** For avg: the scale of the noisy count of non-NULL values that divides the noisy sum. */
  countScale?: number;
  /** For a quantile: the width of one bin of its grid, in the measure's units. */
  binWidth?: number;
}

/** How one requested aggregate is computed from the noisy quantities. */
export interface AggregatePlan {
  fn: AggregateFn;
  alias: string;
  measure?: string;
  bounds?: MeasureBounds;
  /** Mechanism giving the value (the sum for avg). */
  value: string;
  /** For avg: mechanism giving the noisy count of non-NULL values. */
  count?: string;
  noise: NoiseInfo;
}

/** The per-query privacy plan: every mechanism that runs and the total cost. */
export interface QueryPlan {
  mechanisms: Mechanism[];
  selection: SelectionPlan | undefined;
  aggregates: AggregatePlan[];
  /** Epsilon charged: the query's epsilon, equal to the sum of the mechanisms' shares. */
  epsilonCharged: number;
  epsilonChargedExact: Rational;
  /** Delta charged: the policy delta when selection runs, else 0. */
  deltaCharged: number;
  /** Present when the buyer asked for the row of suppressed groups. */
  other?: OtherRowPlan;
  /** Plain sentences explaining reuse of noisy values (post-processing, no extra charge). */
  notes: string[];
  /** Gaussian plans only: the query's total ρ (zCDP), the exact sum of the mechanisms' ρ. */
  rhoExact?: Rational;
  rho?: number;
  /** Gaussian plans only: the δ of converting ρ to (epsilonCharged, δ); part of deltaCharged. */
  deltaConversion?: number;
}

/** Per-measure true values of one group: sum of round(clamped / granularity), non-NULL count. */
export interface TrueMeasure {
  sumGrid: bigint | number;
  nonNull: bigint | number;
}

/** One group as the enclave returns it, before any noise. */
export interface TrueGroup {
  /** One key per grouped column, in groupBy order; null for a NULL key. */
  keys: (string | null)[];
  rows: bigint | number;
  units: bigint | number;
  /** Keyed by measure name, for every measure a sum or avg uses. */
  measures: Record<string, TrueMeasure>;
  /** Per measure a quantile uses: counts of clamped values per bin of its grid (quantile.ts). */
  histograms?: Record<string, readonly (bigint | number)[]>;
}

/** A public key list of one grouped column, or undefined when the column's keys are not public. */
export type PublicKeyList = readonly (string | null)[] | undefined;

/** Everything `release` needs. */
export interface ReleaseInput {
  plan: QueryPlan;
  groups: TrueGroup[];
  /** One entry per grouped column, in groupBy order. */
  publicKeys: PublicKeyList[];
  /** Per grouped column, the policy's "other" label, if any: such cells are thresholded. */
  otherKeys?: (string | undefined)[];
  /**
   * With a plan that has the row of suppressed groups: that row's keys. A group with exactly
   * these keys is counted into that row rather than released on its own, so that no answer
   * holds two rows with the same keys.
   */
  otherRowKeys?: string[];
}

/** One released group: its keys and one noisy value per aggregate alias. */
export interface ReleasedRow {
  keys: (string | null)[];
  values: Record<string, number>;
  /**
   * For each avg alias: the noisy non-NULL count that divided its noisy sum.
   * Already noisy, so stating it costs nothing; the per-cell interval of an
   * avg is derived from it (src/privacy/accuracy.ts).
   */
  denominators?: Record<string, number>;
}

/** The released answer rows and the counts the audit log records. */
export interface ReleaseResult {
  rows: ReleasedRow[];
  released: number;
  /** Groups the enclave returned that are not in the answer. */
  suppressed: number;
  noise: Record<string, NoiseInfo>;
  /**
   * With a plan that has the row of suppressed groups: the keys of every group the enclave
   * returned and the threshold withheld. These are true data (which groups exist), so they go
   * back to the enclave as one bound parameter of the row's statement and nowhere else: never
   * into an answer, a log or the audit entry.
   */
  suppressedKeys?: (string | null)[][];
  /** With a plan that has the row of suppressed groups: whether it passed its threshold. */
  other?: { released: boolean };
}

/** What `releaseOther` needs: the plan and the true values of the row of suppressed groups. */
export interface OtherReleaseInput {
  plan: QueryPlan;
  /** Keys: the row's labels; values: over the kept rows of every suppressed group (enclave). */
  group: TrueGroup;
}
