import { cellsOf } from '../audit/releases.js';
import type { Enclave } from '../enclave/enclave.js';
import { VeilError, isVeilError } from '../errors/registry.js';
import type { Principal } from '../http/principal.js';
import { periodKey } from '../ledger/period.js';
import type { Store } from '../ledger/store.js';
import type { LoadedPolicy } from '../policy/load.js';
import { planQuery } from '../privacy/mechanisms.js';
import type { RandomSource } from '../privacy/random.js';
import { release } from '../privacy/release.js';
import type { NoiseInfo, PublicKeyList, ReleaseResult, ReleasedRow } from '../privacy/types.js';
import { rewrite } from '../rewrite/rewrite.js';
import { attachHistogram, histogramStatement, quantileMeasures } from '../rewrite/histogram.js';
import { recordAnswered, runInEnclave } from '../telemetry/query-stages.js';
import { inSpan } from '../telemetry/tracing.js';
import { needsSelection, otherKeyOf, type CheckedQuery } from './checked.js';
import { AnswerAlreadyStored } from '../ledger/answers.js';
import { otherRowKeys, otherRowSql, withOtherRow, type OtherRowAnswer } from './other-row.js';
import { toTrueGroups } from './true-groups.js';
import {
  answerRepeat,
  findStored,
  keyOf,
  remainingFor,
  serveStored,
  shapeStored,
  storedInput,
  toStored,
  type AnswerIntervals,
  type StoredAnswer,
} from './repeat.js';
import { newQueryId } from './query-id.js';

/** What the query path needs from the running gateway. */
export interface AnswerContext {
  enclave: Enclave;
  store: Store;
  random: RandomSource;
  now?: () => Date;
}

/** Where a query came from, for its audit entry. */
export interface QueryOrigin {
  principal: Principal;
  requestId: string;
  route: string;
  method: string;
  /** The query as received (JSON or SQL text), recorded in the audit log. */
  text: string;
}

/** The answer body: a contract clients rely on (extend, never rename). */
export interface QueryAnswer {
  queryId: string;
  dataset: string;
  policyVersion: string;
  dataVersion: string;
  rows: Record<string, string | number | null>[];
  privacy: {
    epsilon: number;
    delta: number;
    remaining: { epsilon: number; delta: number };
    /**
     * Groups in the answer before orderBy/limit. The number suppressed is
     * deliberately absent: with the released count it would tell the buyer
     * how many groups exist, without noise (only auditors see it).
     */
    groupsReleased: number;
  };
  noise: Record<string, NoiseInfo>;
  /** Each cell's 95% interval half-width (src/privacy/accuracy.ts). */
  intervals: AnswerIntervals;
  /** On a repeated question: the answer repeated and what it was charged; this one costs 0. */
  cached?: { queryId: string; epsilon: number; delta: number };
  /** When the buyer asked for the row of suppressed groups (`"other": true`). */
  other?: OtherRowAnswer;
}

/**
 * Answers a checked query: plan the noise, reserve its cost, run the
 * rewritten statement in the enclave, add noise and threshold the groups
 * (with `"other": true`, then run and release the row of the withheld
 * ones, other-row.ts), then charge and audit in one transaction, and wait
 * for the store's durability barrier before anything is returned: the
 * reservation needs no flush of its own, since the barrier covers every
 * earlier commit.
 * If anything fails after the reservation, it is released and the failure
 * audited, so no number leaves without its charge and no charge stays
 * without an answer.
 */
export async function answerQuery(
  ctx: AnswerContext,
  asked: CheckedQuery,
  origin: QueryOrigin,
): Promise<QueryAnswer> {
  const repeat = await answerRepeat(ctx, asked, origin);
  if (repeat) return repeat;
  const q: CheckedQuery = { ...asked, proven: ctx.enclave.proven.get(asked.dataset) };
  const { policy } = q;
  const plan = planOf(q);
  const queryId = newQueryId();
  const period = periodKey(policy.budgets.period, (ctx.now ?? (() => new Date()))());
  const limits = budgetLimits(policy, origin.principal.sub);
  const budgetAttrs = { 'veil.epsilon': plan.epsilonCharged, 'veil.delta': plan.deltaCharged };
  await inSpan('veil.budget', budgetAttrs, () =>
    ctx.store.ledger.reserve({
      queryId,
      buyer: origin.principal.sub,
      dataset: q.dataset,
      period,
      epsilon: plan.epsilonCharged,
      delta: plan.deltaCharged,
      limits,
    }),
  );
  const stmt = await inSpan('veil.rewrite', { 'veil.groupby.size': q.groupBy.length }, () =>
    rewrite(q, {
      units: plan.mechanisms.some((m) => m.quantity === 'units'),
      rows: plan.mechanisms.some((m) => m.quantity === 'rows'),
    }),
  );
  const histograms = quantileMeasures(q).map((m) => histogramStatement(q, m));
  const auditBase = {
    requestId: origin.requestId,
    role: origin.principal.role,
    route: origin.route,
    method: origin.method,
    query: origin.text,
    rewrittenSql: [...[stmt, ...histograms].map((s) => s.sql), ...otherRowSql(q)].join(';\n'),
    policyVersion: policy.version,
  };
  let result;
  let stored: StoredAnswer;
  try {
    const groups = toTrueGroups(await runInEnclave(ctx.enclave, q.dataset, stmt), stmt);
    for (const h of histograms) {
      attachHistogram(groups, h, await runInEnclave(ctx.enclave, q.dataset, h));
    }
    const publicKeys =
      plan.selection && !plan.selection.onlyOther
        ? q.groupBy.map(() => undefined)
        : q.groupBy.map((g) => releasedKeys(q, g));
    const attrs = { 'veil.groups.true': groups.length };
    const released = await inSpan('veil.release', attrs, async (s) => {
      const otherKeys = q.groupBy.map(otherKeyOf);
      const otherRow = plan.other ? { otherRowKeys: otherRowKeys(q) } : {};
      const r = release({ plan, groups, publicKeys, otherKeys, ...otherRow }, ctx.random);
      s.setAttributes({
        'veil.groups.released': r.released,
        'veil.groups.suppressed': r.suppressed,
      });
      return capRows(plan.other ? await withOtherRow(ctx, q, plan, r) : r, policy.maxGroups);
    });
    result = released;
    stored = toStored(q, plan, released, {
      queryId,
      policyVersion: policy.version,
      dataVersion: ctx.enclave.datasets.get(q.dataset)?.dataVersion ?? 'unknown',
    });
    const answer = storedInput(keyOf(ctx, q, origin.principal.sub), origin.principal.sub, stored);
    await inSpan('veil.audit', {}, () =>
      ctx.store.commitWithAudit(queryId, {
        ...auditBase,
        answer,
        status: 200,
        groupsReleased: released.released,
        groupsSuppressed: released.suppressed,
        released: cellsOf(
          labelRows(q, released.rows),
          q.groupBy.map((g) => g.label),
          q.aggregates.map((a) => a.alias),
        ),
      }),
    );
    recordAnswered(q.dataset, plan.epsilonCharged, released);
  } catch (err) {
    if (err instanceof AnswerAlreadyStored) {
      await ctx.store.ledger.release(queryId);
      return serveStored(ctx, q, origin, (await findStored(ctx, q, origin.principal.sub))!);
    }
    const veil = isVeilError(err)
      ? err
      : new VeilError('VEIL_INTERNAL', 'internal error; nothing was charged');
    await ctx.store.releaseWithAudit(queryId, {
      ...auditBase,
      outcome: veil.status >= 500 ? 'error' : 'refused',
      status: veil.status,
      code: veil.code,
    });
    await ctx.store.durable();
    throw veil;
  }
  await ctx.store.durable();
  const { remaining } = await remainingFor(ctx, q, origin.principal.sub);
  const shaped = shapeStored(q, stored);
  return {
    queryId,
    dataset: q.dataset,
    policyVersion: policy.version,
    dataVersion: ctx.enclave.datasets.get(q.dataset)?.dataVersion ?? 'unknown',
    rows: shaped.rows,
    privacy: {
      epsilon: plan.epsilonCharged,
      delta: plan.deltaCharged,
      remaining,
      groupsReleased: result.released,
    },
    noise: shaped.noise,
    intervals: shaped.intervals,
    ...(shaped.other ? { other: shaped.other } : {}),
  };
}

/**
 * At most `maxGroups` rows leave in one answer. The cut is made after noise
 * and thresholding, so which rows remain depends only on released values
 * (post-processing); `released` keeps the count before the cut, which tells
 * the buyer the answer was cut and is itself a function of noisy values.
 * A released row of suppressed groups (always last) is kept through the cut.
 */
function capRows(r: ReleaseResult, maxGroups: number): ReleaseResult {
  if (r.rows.length <= maxGroups) return r;
  if (r.other?.released !== true) return { ...r, rows: r.rows.slice(0, maxGroups) };
  return { ...r, rows: [...r.rows.slice(0, maxGroups - 1), r.rows[r.rows.length - 1]!] };
}

/** The privacy plan of a checked query under its policy; the quote route prices the same plan. */
export function planOf(q: CheckedQuery) {
  const { policy } = q;
  return planQuery({
    aggregates: q.aggregates.map((a) => ({
      fn: a.fn,
      alias: a.alias,
      measure: a.measure,
      bounds: a.measure ? policy.measures[a.measure] : undefined,
    })),
    epsilon: q.epsilon,
    delta: policy.delta,
    k: policy.k,
    maxContributions: policy.contribution.maxContributions,
    needsSelection: needsSelection(q),
    mechanism: policy.mechanism,
    otherCells: q.groupBy.some((g) => otherKeyOf(g) !== undefined),
    otherRow: q.otherRow === true,
  });
}

/** Re-exported where the pipeline has always found it; checked.ts holds it. */
export { needsSelection };

/**
 * A grouped column's public keys as released. When the policy makes NULL its
 * own group (`nulls: group`) and no filter narrows the column, the NULL cell
 * is public too: always released, with noise, never merged into another key.
 */
function releasedKeys(q: CheckedQuery, g: CheckedQuery['groupBy'][number]): PublicKeyList {
  if (!g.publicKeys || g.nulls !== 'group') return g.publicKeys;
  if (q.filters.some((f) => f.dimension === g.dimension)) return g.publicKeys;
  return [...g.publicKeys, null];
}

/** The buyer's own limit (the policy's entry for them, else the default) and the dataset cap. */
export function budgetLimits(policy: LoadedPolicy, buyer: string) {
  return {
    buyer: Object.hasOwn(policy.budgets.buyers, buyer)
      ? policy.budgets.buyers[buyer]!
      : policy.budgets.perBuyer,
    dataset: policy.budgets.dataset,
  };
}

/**
 * Every released row keyed by the groupBy entries as written, before orderBy
 * and limit: the release register records all of them, since a repeat
 * without the limit hands out the rest from the stored answer at no charge.
 */
function labelRows(q: CheckedQuery, rows: ReleasedRow[]): QueryAnswer['rows'] {
  return rows.map((r) => {
    const row: Record<string, string | number | null> = {};
    q.groupBy.forEach((g, i) => (row[g.label] = r.keys[i] ?? null));
    for (const a of q.aggregates) row[a.alias] = r.values[a.alias] ?? null;
    return row;
  });
}

export function compareRows(
  a: Record<string, string | number | null>,
  b: Record<string, string | number | null>,
  order: CheckedQuery['orderBy'],
): number {
  for (const { output, desc } of order) {
    const x = a[output];
    const y = b[output];
    if (x === y) continue;
    if (x === null) return 1;
    if (y === null) return -1;
    const c = x < y ? -1 : 1;
    return desc ? -c : c;
  }
  return 0;
}
