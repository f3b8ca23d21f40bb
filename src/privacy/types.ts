import type { AggregateFn } from '../query/request.js';

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
}

/** The true quantity a mechanism adds noise to. */
export type Quantity = 'units' | 'rows' | 'sum_grid' | 'non_null';

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
}

/** Partition selection: release a group iff its true units >= k and its noisy units >= tau. */
export interface SelectionPlan {
  /** Id of the mechanism whose noisy value is compared with tau (always `units`). */
  mechanism: string;
  k: number;
  tau: number;
}

/** How an answer's noise field describes one aggregate, in the answer's own units. */
export interface NoiseInfo {
  mechanism: 'discrete_laplace';
  scale: number;
  /** For avg: the scale of the noisy count of non-NULL values that divides the noisy sum. */
  countScale?: number;
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
  /** Plain sentences explaining reuse of noisy values (post-processing, no extra charge). */
  notes: string[];
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
}

/** A public key list of one grouped column, or undefined when the column's keys are not public. */
export type PublicKeyList = readonly (string | null)[] | undefined;

/** Everything `release` needs. */
export interface ReleaseInput {
  plan: QueryPlan;
  groups: TrueGroup[];
  /** One entry per grouped column, in groupBy order. */
  publicKeys: PublicKeyList[];
}

/** One released group: its keys and one noisy value per aggregate alias. */
export interface ReleasedRow {
  keys: (string | null)[];
  values: Record<string, number>;
}

/** The released answer rows and the counts the audit log records. */
export interface ReleaseResult {
  rows: ReleasedRow[];
  released: number;
  /** Groups the enclave returned that are not in the answer. */
  suppressed: number;
  noise: Record<string, NoiseInfo>;
}
