import { add, ceil, divide, multiply, rational, toNumber, toRational } from './rational.js';
import { calibrateGaussian, gaussianBudget } from './gaussian-plan.js';
import { gaussianReleaseThreshold } from './gaussian-threshold.js';
import { releaseThreshold } from './threshold.js';
import { binWidth, quantileGrid, quantileLevels, quantileSensitivity } from './quantile.js';
import { isqrt } from './discrete-gaussian.js';
import type {
  AggregatePlan,
  MeasureBounds,
  Mechanism,
  NoiseInfo,
  PlanAggregate,
  PlanInput,
  QueryPlan,
  Quantity,
  Rational,
} from './types.js';

/**
 * The per-query privacy plan: which noisy quantities are computed, the L1
 * sensitivity of each, its share of epsilon and its discrete Laplace scale.
 * Every unit contributes at most m rows to the whole query (the enclave's
 * rank filter enforces it), which bounds all sensitivities:
 * - rows: a unit adds at most m rows over all groups, so L1 = m;
 * - distinct units: a unit is in at most m groups, one per group, so L1 = m;
 * - sum on the grid: at most m values of magnitude <= ceil(max(|lower|, |upper|) / g);
 * - non-NULL count of a measure: at most m rows, so L1 = m.
 * Epsilon is split equally over the mechanisms that run; a quantity asked
 * twice (sum and avg of one measure, count_units with selection) is noised
 * once and reused, which is post-processing and costs nothing more.
 * With the row of suppressed groups (docs/privacy.md, section 5b) one more
 * mechanism runs, `other_units`, that row's distinct units with L1 = 1 (a
 * unit counts once in it, however many suppressed groups it is in); the
 * row's other values come from the query's own mechanisms, as one more cell.
 */

interface Need {
  id: string;
  quantity: Quantity;
  measure?: string;
  sensitivity: bigint;
  level?: Mechanism['level'];
  bounds?: MeasureBounds;
  otherRow?: boolean;
}

/** Id of the distinct-unit mechanism of the row of suppressed groups. */
export const OTHER_UNITS = 'other_units';

/** Largest grid magnitude a clamped value can take: ceil(max(|lower|, |upper|) / g), rounded up. */
export function gridBound(bounds: MeasureBounds): bigint {
  const { lower, upper, granularity } = bounds;
  if (!(lower < upper) || !(granularity > 0)) {
    throw new RangeError('measure bounds need lower < upper and a positive granularity');
  }
  const magnitude = toRational(Math.max(Math.abs(lower), Math.abs(upper)), 'up');
  return ceil(divide(magnitude, toRational(granularity, 'down')));
}

function measureOf(agg: PlanAggregate): { measure: string; bounds: MeasureBounds } {
  if (agg.measure === undefined || agg.bounds === undefined) {
    throw new TypeError(`aggregate ${agg.alias} (${agg.fn}) needs a measure and its bounds`);
  }
  return { measure: agg.measure, bounds: agg.bounds };
}

/** The quantities one aggregate needs, value first (sum first for avg). */
function needsOf(agg: PlanAggregate, m: bigint): Need[] {
  switch (agg.fn) {
    case 'count':
      return [{ id: 'rows', quantity: 'rows', sensitivity: m }];
    case 'count_units':
      return [{ id: 'units', quantity: 'units', sensitivity: m }];
    case 'sum':
    case 'avg': {
      const { measure, bounds } = measureOf(agg);
      const sum: Need = {
        id: `sum:${measure}`,
        quantity: 'sum_grid',
        measure,
        sensitivity: m * gridBound(bounds),
      };
      if (agg.fn === 'sum') return [sum];
      return [sum, { id: `non_null:${measure}`, quantity: 'non_null', measure, sensitivity: m }];
    }
    case 'median':
    case 'p90': {
      const { measure, bounds } = measureOf(agg);
      const level = quantileLevels[agg.fn];
      const sensitivity = quantileSensitivity(level, m);
      return [
        { id: `${agg.fn}:${measure}`, quantity: 'quantile', measure, sensitivity, level, bounds },
      ];
    }
  }
}

function checkInput(input: PlanInput): void {
  const { epsilon, delta, k, maxContributions } = input;
  if (!(Number.isFinite(epsilon) && epsilon > 0)) throw new RangeError('epsilon must be positive');
  if (!(delta >= 0 && delta < 1)) throw new RangeError('delta must lie in [0, 1)');
  if ((selects(input) || input.mechanism === 'gaussian') && !(delta > 0)) {
    throw new RangeError('partition selection and Gaussian noise need a positive delta');
  }
  if (input.otherRow === true && !input.needsSelection) {
    throw new RangeError('the row of suppressed groups needs partition selection');
  }
  if (!Number.isInteger(k) || k < 1) throw new RangeError('k must be a positive integer');
  if (!Number.isInteger(maxContributions) || maxContributions < 1) {
    throw new RangeError('maxContributions must be a positive integer');
  }
  if (input.aggregates.length === 0) throw new RangeError('a query needs an aggregate');
}

function calibrate(need: Need, share: Rational): Mechanism {
  if (need.quantity === 'quantile') return calibrateQuantile(need, share, share);
  const scale = divide(rational(need.sensitivity), share);
  return {
    ...need,
    epsilon: toNumber(share),
    epsilonExact: share,
    scale,
    scaleValue: toNumber(scale),
  };
}

/**
 * An exponential mechanism (quantile.ts) run with ε = `quantileEpsilon`; `share` is its
 * nominal share of the query's ε. Its scale is 2 Δ_u / ε, the EM's temperature.
 */
function calibrateQuantile(need: Need, share: Rational, quantileEpsilon: Rational): Mechanism {
  if (quantileEpsilon.num <= 0n) throw new RangeError('epsilon is too small for a quantile');
  const scale = divide(rational(2n * need.sensitivity), quantileEpsilon);
  return {
    ...need,
    epsilon: toNumber(share),
    epsilonExact: share,
    scale,
    scaleValue: toNumber(scale),
    quantileEpsilon,
  };
}

/** √(2ρ) rounded down to a multiple of 10^-9: an ε-DP mechanism with it is ρ-zCDP. */
function epsilonForRho(rho: Rational): Rational {
  const scaled = (2n * rho.num * 10n ** 18n) / rho.den;
  return rational(isqrt(scaled), 10n ** 9n);
}

function noiseInfo(agg: PlanAggregate, used: Mechanism[]): NoiseInfo {
  const [value, count] = used as [Mechanism, Mechanism | undefined];
  if (value.quantity === 'quantile') {
    const bounds = measureOf(agg).bounds;
    const width = binWidth(quantileGrid(bounds), bounds);
    return { mechanism: 'exponential', scale: value.scaleValue, binWidth: width };
  }
  const mechanism = value.distribution ?? 'discrete_laplace';
  if (agg.fn === 'count' || agg.fn === 'count_units') {
    return { mechanism, scale: value.scaleValue };
  }
  const g = toRational(measureOf(agg).bounds.granularity, 'down');
  const scale = toNumber(multiply(value.scale, g));
  if (count === undefined) return { mechanism, scale };
  return { mechanism, scale, countScale: count.scaleValue };
}

const otherRowNote =
  'The row of suppressed groups counts its distinct units once over all of them ' +
  '(one more mechanism, L1 = 1, its own threshold); its other values come from the ' +
  "query's mechanisms as one more cell, whose rows no released group holds: charged once.";

function reuseNote(agg: PlanAggregate, id: string, selection: boolean): string {
  if (id === 'units' && selection) {
    return (
      `${agg.alias} is the noisy distinct-unit count drawn for partition selection: ` +
      'released as is (post-processing), charged once.'
    );
  }
  return (
    `${agg.alias} reuses the noisy ${id} already drawn for an earlier aggregate ` +
    '(post-processing), charged once.'
  );
}

/** The distinct quantities to noise, selection first, and a note for every reuse. */
function collectNeeds(input: PlanInput, perAggregate: Need[][]) {
  const m = BigInt(input.maxContributions);
  const needs = new Map<string, Need>();
  if (selects(input)) needs.set('units', { id: 'units', quantity: 'units', sensitivity: m });
  const notes: string[] = [];
  perAggregate.forEach((list, i) => {
    const agg = input.aggregates[i]!;
    for (const need of list) {
      if (!needs.has(need.id)) needs.set(need.id, need);
      else notes.push(reuseNote(agg, need.id, selects(input)));
    }
  });
  if (input.otherRow === true) {
    needs.set(OTHER_UNITS, {
      id: OTHER_UNITS,
      quantity: 'units',
      sensitivity: 1n,
      otherRow: true,
    });
    notes.push(otherRowNote);
  }
  return { needs: [...needs.values()], notes };
}

/** Equal shares: epsilon (rounded down to a rational) divided by the number of mechanisms. */
function equalShare(epsilon: number, count: number): Rational {
  const total = toRational(epsilon, 'down');
  if (total.num <= 0n) throw new RangeError('epsilon is too small to represent');
  return divide(total, rational(BigInt(count)));
}

function sumOfShares(mechanisms: Mechanism[]): Rational {
  return mechanisms.reduce((acc, mech) => add(acc, mech.epsilonExact), rational(0n));
}

/**
 * The threshold of a units mechanism for the plan's noise, Laplace tail or Gaussian tail: `m`
 * is the number of cells one unit can lift from k - 1 to k units, `delta` the chance allowed.
 */
function thresholdOf(units: Mechanism, delta: number, m: number, k: number): number {
  if (units.sigma2 !== undefined) {
    return gaussianReleaseThreshold({ sigma2: units.sigma2, delta, m, k });
  }
  return releaseThreshold({ epsilonSel: units.epsilonExact, delta, m, k });
}

/**
 * The selection delta: the policy's, or half of it when the row of suppressed groups takes
 * the other half for its own threshold (so the query's delta stays the policy's).
 */
function selectionDelta(input: PlanInput): number {
  return input.otherRow === true ? input.delta / 2 : input.delta;
}

/** Calibrates every need: Laplace with ε/n each, or Gaussian with ρ/n each (gaussian-plan.ts). */
function calibrateAll(input: PlanInput, needs: Need[]) {
  const share = equalShare(input.epsilon, needs.length);
  if (input.mechanism !== 'gaussian') {
    return { mechanisms: needs.map((need) => calibrate(need, share)), gaussian: undefined };
  }
  const m = BigInt(input.maxContributions);
  const gaussian = gaussianBudget(input.epsilon, input.delta, needs.length);
  // The other row's units are one cell: a unit changes it by at most 1, so Δ₂² = 1.
  const mechanisms = needs.map((need) =>
    need.quantity === 'quantile'
      ? { ...calibrateQuantile(need, share, epsilonForRho(gaussian.share)), rho: gaussian.share }
      : calibrateGaussian(need, need.otherRow === true ? 1n : m, gaussian.share, share),
  );
  return { mechanisms, gaussian };
}

/** Builds the plan for one query; throws RangeError on parameters no policy can hold. */
export function planQuery(input: PlanInput): QueryPlan {
  checkInput(input);
  const m = BigInt(input.maxContributions);
  const perAggregate = input.aggregates.map((agg) => needsOf(agg, m));
  const { needs, notes } = collectNeeds(input, perAggregate);
  const { mechanisms, gaussian } = calibrateAll(input, needs);
  const byId = new Map(mechanisms.map((mech) => [mech.id, mech]));
  const aggregates = input.aggregates.map((agg, i): AggregatePlan => {
    const used = perAggregate[i]!.map((need) => byId.get(need.id)!);
    const plan: AggregatePlan = { ...agg, value: used[0]!.id, noise: noiseInfo(agg, used) };
    if (used[1]) plan.count = used[1].id;
    return plan;
  });
  const { k, maxContributions } = input;
  const selection: QueryPlan['selection'] = selects(input)
    ? {
        mechanism: 'units',
        k,
        tau: thresholdOf(byId.get('units')!, selectionDelta(input), maxContributions, k),
      }
    : undefined;
  if (selection && !input.needsSelection) selection.onlyOther = true;
  const deltaSelection = selection ? input.delta : 0;
  const plan: QueryPlan = {
    mechanisms,
    selection,
    aggregates,
    epsilonCharged: input.epsilon,
    epsilonChargedExact: sumOfShares(mechanisms),
    deltaCharged: deltaSelection + (gaussian?.deltaConversion ?? 0),
    notes,
  };
  if (input.otherRow === true) {
    const delta = input.delta / 2;
    const tau = thresholdOf(byId.get(OTHER_UNITS)!, delta, 1, k);
    plan.other = { mechanism: OTHER_UNITS, k, tau, delta };
  }
  if (gaussian) {
    plan.rhoExact = sumOfRho(mechanisms);
    plan.rho = toNumber(plan.rhoExact);
    plan.deltaConversion = gaussian.deltaConversion;
  }
  return plan;
}

/** True when some groups are thresholded: all of them, or only the "other" cells. */
function selects(input: PlanInput): boolean {
  return input.needsSelection || input.otherCells === true;
}

/** The query's ρ: the exact sum of the Gaussian mechanisms' shares (zCDP composition). */
export function sumOfRho(mechanisms: Mechanism[]): Rational {
  return mechanisms.reduce((acc, mech) => add(acc, mech.rho ?? rational(0n)), rational(0n));
}
