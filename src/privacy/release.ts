import { sampleDiscreteGaussian } from './discrete-gaussian.js';
import { sampleDiscreteLaplace } from './discrete-laplace.js';
import { fromGrid } from './grid.js';
import { binValue, quantileGrid, sampleQuantileBin } from './quantile.js';
import { cryptoSource, type RandomSource } from './random.js';
import type {
  AggregatePlan,
  Mechanism,
  QueryPlan,
  ReleaseInput,
  ReleaseResult,
  ReleasedRow,
  TrueGroup,
} from './types.js';

/**
 * Turns the enclave's true per-group values into released rows. Two cases:
 * - every grouped column has a public key list: every combination of keys
 *   is released, missing ones as zero, all with noise, no threshold, so the
 *   set of keys tells nothing;
 * - otherwise partition selection: a group is released iff its true
 *   distinct-unit count is >= k and its noisy count is >= tau.
 * A column with a key list releases only listed keys in both cases, plus,
 * when the policy names an "other" label for it, one cell per combination
 * holding that label (the enclave maps every unlisted key to it); such a
 * cell depends on the data, so it is released only if it passes the
 * threshold, with the same units mechanism and tau as selection.
 * Selected rows come sorted by key (`byKeys`), never in the enclave's order.
 * With the row of suppressed groups, the keys of every withheld group are
 * handed back (`suppressedKeys`) for that row's enclave statement, and the
 * row itself is released by other-row.ts once its true values are known.
 */

type Noisy = Map<string, bigint>;

export function integer(value: bigint | number): bigint {
  if (typeof value === 'bigint') return value;
  if (!Number.isSafeInteger(value)) {
    throw new RangeError('enclave counts and grid sums are integers');
  }
  return BigInt(value);
}

function trueValue(group: TrueGroup, mech: Mechanism): bigint {
  if (mech.quantity === 'rows') return integer(group.rows);
  if (mech.quantity === 'units') return integer(group.units);
  const measure = group.measures[mech.measure!];
  if (measure === undefined) throw new TypeError(`a group lacks the values of ${mech.id}`);
  return integer(mech.quantity === 'sum_grid' ? measure.sumGrid : measure.nonNull);
}

/** One draw from the mechanism's own distribution: σ² for a Gaussian, else the Laplace scale. */
function sampleNoise(mech: Mechanism, random: RandomSource): bigint {
  if (mech.distribution === 'discrete_gaussian') {
    return sampleDiscreteGaussian(mech.sigma2!, random);
  }
  return sampleDiscreteLaplace(mech.scale, random);
}

export function addNoise(group: TrueGroup, mech: Mechanism, random: RandomSource): bigint {
  if (mech.quantity === 'quantile') return BigInt(drawBin(group, mech, random));
  return trueValue(group, mech) + sampleNoise(mech, random);
}

/**
 * A quantile's chosen bin, by the exponential mechanism over the group's
 * histogram; a group without one (an empty public cell) has all-zero counts.
 */
function drawBin(group: TrueGroup, mech: Mechanism, random: RandomSource): number {
  const grid = quantileGrid(mech.bounds!);
  const given = group.histograms?.[mech.measure!];
  if (given !== undefined && given.length !== grid.bins) {
    throw new RangeError(`the histogram of ${mech.id} needs one count per bin`);
  }
  const histogram = given?.map(integer) ?? new Array<bigint>(grid.bins).fill(0n);
  const { level, quantileEpsilon, sensitivity } = mech;
  return sampleQuantileBin(histogram, level!, quantileEpsilon!, sensitivity, random);
}

/**
 * Noisy values of every mechanism not already in `noisy`; the mechanism of the row of
 * suppressed groups runs on that row only (other-row.ts gives it its draw first).
 */
export function drawAll(
  plan: QueryPlan,
  group: TrueGroup,
  noisy: Noisy,
  random: RandomSource,
): Noisy {
  for (const mech of plan.mechanisms) {
    if (mech.otherRow !== true && !noisy.has(mech.id)) {
      noisy.set(mech.id, addNoise(group, mech, random));
    }
  }
  return noisy;
}

function clamp(x: number, lower: number, upper: number): number {
  return Math.min(upper, Math.max(lower, x));
}

/** One aggregate's released value from the group's noisy quantities (post-processing only). */
function aggregateValue(agg: AggregatePlan, noisy: Noisy): number {
  const value = noisy.get(agg.value)!;
  if (agg.fn === 'count' || agg.fn === 'count_units') return Number(value);
  if (agg.fn === 'median' || agg.fn === 'p90') {
    return binValue(Number(value), quantileGrid(agg.bounds!), agg.bounds!);
  }
  const { lower, upper, granularity } = agg.bounds!;
  const sum = fromGrid(value, granularity);
  if (agg.fn === 'sum') return sum;
  const count = Number(noisy.get(agg.count!)!);
  return clamp(sum / Math.max(1, count), lower, upper);
}

export function toRow(plan: QueryPlan, keys: (string | null)[], noisy: Noisy): ReleasedRow {
  const values: Record<string, number> = {};
  const denominators: Record<string, number> = {};
  for (const agg of plan.aggregates) {
    values[agg.alias] = aggregateValue(agg, noisy);
    if (agg.fn === 'avg') denominators[agg.alias] = Number(noisy.get(agg.count!)!);
  }
  return Object.keys(denominators).length ? { keys, values, denominators } : { keys, values };
}

function keyId(keys: readonly (string | null)[]): string {
  return JSON.stringify(keys);
}

function listed(group: TrueGroup, input: ReleaseInput): boolean {
  return input.publicKeys.every(
    (list, i) =>
      list === undefined ||
      list.includes(group.keys[i]!) ||
      (input.otherKeys?.[i] !== undefined && group.keys[i] === input.otherKeys[i]),
  );
}

/** True when one of the group's keys is its column's "other" label. */
function hasOther(group: TrueGroup, otherKeys: ReleaseInput['otherKeys']): boolean {
  return (otherKeys ?? []).some((other, i) => other !== undefined && group.keys[i] === other);
}

/** Partition selection over every group: the released rows are all the enclave's groups kept. */
function selectedOnly(input: ReleaseInput, groups: TrueGroup[], random: RandomSource) {
  const suppressed: TrueGroup[] | undefined = input.plan.other ? [] : undefined;
  const rows = releaseSelected(input, groups, random, suppressed);
  return { rows, fromEnclave: rows.length, suppressed };
}

/** Orders two keys: NULL first, then strings by UTF-16 code units, column by column. */
function compareKey(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/**
 * Orders selected rows by their keys alone. The enclave returns groups in
 * the order their first row is stored (DuckDB's hash aggregate), which is a
 * fact about the records, not about the released values: an answer in that
 * order would tell which record comes first, and a cut to maxGroups rows
 * would keep rows by it. Sorted by key, the order is post-processing.
 */
export function byKeys(a: ReleasedRow, b: ReleasedRow): number {
  for (let i = 0; i < Math.max(a.keys.length, b.keys.length); i++) {
    const c = compareKey(a.keys[i] ?? null, b.keys[i] ?? null);
    if (c !== 0) return c;
  }
  return 0;
}

/** Public cells, plus the "other" cells that pass the threshold when the plan has them. */
function releaseMixed(input: ReleaseInput, groups: TrueGroup[], random: RandomSource) {
  const others = groups.filter((g) => hasOther(g, input.otherKeys));
  const plain = groups.filter((g) => !hasOther(g, input.otherKeys));
  const rows = releasePublic(input, plain, random);
  const otherRows = input.plan.selection ? releaseSelected(input, others, random) : [];
  return { rows: [...rows, ...otherRows], fromEnclave: plain.length + otherRows.length };
}

function checkShapes(input: ReleaseInput): void {
  const seen = new Set<string>();
  for (const group of input.groups) {
    if (group.keys.length !== input.publicKeys.length) {
      throw new RangeError('every group needs one key per grouped column');
    }
    const id = keyId(group.keys);
    if (seen.has(id)) throw new RangeError('the enclave returned the same group twice');
    seen.add(id);
  }
  const allPublic = input.publicKeys.every((list) => list !== undefined);
  if (isPublicPlan(input.plan) && !allPublic) {
    throw new RangeError(
      'a plan without partition selection needs a key list for every grouped column',
    );
  }
}

/** Every combination of the lists' keys, first column slowest, in list order. */
export function keyProduct(lists: readonly (readonly (string | null)[])[]): (string | null)[][] {
  return lists.reduce<(string | null)[][]>(
    (combos, list) => combos.flatMap((combo) => list.map((key) => [...combo, key])),
    [[]],
  );
}

/** A group with no rows: zero counts and, for every measure the plan reads, zero sums. */
export function emptyGroup(keys: (string | null)[], plan: QueryPlan): TrueGroup {
  const measures: TrueGroup['measures'] = {};
  for (const mech of plan.mechanisms) {
    if (mech.measure !== undefined) measures[mech.measure] = { sumGrid: 0n, nonNull: 0n };
  }
  return { keys, rows: 0n, units: 0n, measures };
}

function releasePublic(input: ReleaseInput, groups: TrueGroup[], random: RandomSource) {
  const byKey = new Map(groups.map((g) => [keyId(g.keys), g]));
  const lists = input.publicKeys as readonly (readonly (string | null)[])[];
  return keyProduct(lists).map((keys) => {
    const group = byKey.get(keyId(keys)) ?? emptyGroup(keys, input.plan);
    return toRow(input.plan, keys, drawAll(input.plan, group, new Map(), random));
  });
}

/**
 * Thresholded release of `groups`; when `suppressed` is given (a plan with the row of
 * suppressed groups), every group withheld is pushed onto it, and so is a group whose keys are
 * that row's keys, which is never released on its own.
 */
function releaseSelected(
  input: ReleaseInput,
  groups: TrueGroup[],
  random: RandomSource,
  suppressed?: TrueGroup[],
) {
  const { plan } = input;
  const selection = plan.selection!;
  const units = plan.mechanisms.find((mech) => mech.id === selection.mechanism)!;
  const merged = input.otherRowKeys ? keyId(input.otherRowKeys) : undefined;
  const rows: ReleasedRow[] = [];
  for (const group of groups) {
    if (merged !== undefined && keyId(group.keys) === merged) {
      suppressed?.push(group);
      continue;
    }
    const noisyUnits =
      integer(group.units) < BigInt(selection.k) ? undefined : addNoise(group, units, random);
    if (noisyUnits === undefined || noisyUnits < BigInt(selection.tau)) {
      suppressed?.push(group);
      continue;
    }
    const noisy = drawAll(plan, group, new Map([[units.id, noisyUnits]]), random);
    rows.push(toRow(plan, group.keys, noisy));
  }
  return rows.sort(byKeys);
}

/**
 * Releases a query's groups under its plan. Without selection every
 * grouped column must have a key list; with selection a list only drops
 * unlisted keys (a filter on a non-public column can make the pipeline
 * select partitions even when every grouped column is public). `random` defaults to the
 * CSPRNG; tests pass a seeded source. The suppressed count (groups from
 * the enclave left out) is for the audit log, not for the buyer.
 */
export function release(input: ReleaseInput, random: RandomSource = cryptoSource): ReleaseResult {
  checkShapes(input);
  const groups = input.groups.filter((group) => listed(group, input));
  const { rows, fromEnclave, suppressed } = isPublicPlan(input.plan)
    ? { ...releaseMixed(input, groups, random), suppressed: undefined }
    : selectedOnly(input, groups, random);
  const noise = Object.fromEntries(input.plan.aggregates.map((agg) => [agg.alias, agg.noise]));
  const result: ReleaseResult = {
    rows,
    released: rows.length,
    suppressed: input.groups.length - fromEnclave,
    noise,
  };
  if (suppressed) result.suppressedKeys = suppressed.map((g) => g.keys);
  return result;
}

/** Listed cells are public unless the plan selects every group (not only "other" cells). */
function isPublicPlan(plan: QueryPlan): boolean {
  return plan.selection === undefined || plan.selection.onlyOther === true;
}
