import { canonicalJson } from '../shared/canonical-json.js';
import type { AuditRecord } from '../audit/entry.js';
import { toRecord } from '../audit/entry.js';
import type { Db } from '../ledger/schema.js';
import { isVeilError, VeilError } from '../errors/registry.js';
import { sqlToChecked } from '../frontend/sql/index.js';
import { applyAccuracy, splitAccuracy } from '../query/accuracy-target.js';
import type { CheckedQuery } from '../query/checked.js';
import { planOf } from '../query/answer.js';
import { queryRequest } from '../query/request.js';
import { hasOtherStatement } from '../rewrite/other.js';
import { rewrite } from '../rewrite/rewrite.js';
import { checkQuery } from './check.js';
import type { LoadedPolicy } from './load.js';

/**
 * Counts of what a proposed policy would change for recently logged queries.
 * Only counts and error codes: no query text, no value ever leaves.
 */
export interface DryRunReport {
  replayed: number;
  unchanged: number;
  /** Accepted under the active policy, refused under the proposed one. */
  newlyRefused: number;
  /** Refused under the active policy, accepted under the proposed one. */
  newlyAccepted: number;
  /** Accepted under both, but with another cost, noise, threshold or enclave statement. */
  answeredDifferently: number;
  /** Refused under both. */
  stillRefused: number;
  /** Refusals under the proposed policy, by code. */
  refusedByCode: Record<string, number>;
  /** Logged queries not replayed, by reason (not counted in `replayed`). */
  skipped: Record<string, number>;
}

/**
 * Why a logged query is not replayed. A repeat served from the answer store
 * is logged with epsilon 0 and no rewritten SQL; its question is the paid
 * answer's, so it is replayed with that entry's epsilon and statements, and
 * skipped only when the paid entry cannot be found.
 */
export const SKIP_REPEAT_OF_UNKNOWN = 'repeat_of_unknown_answer';

/** Finds the audit entry of a paid answer by its query id (the `cachedFrom` of a repeat). */
export type PaidAnswerLookup = (queryId: string) => Promise<AuditRecord | undefined>;

type Outcome = { refused: string } | { fingerprint: string };

/** Everything an answer depends on besides the data and the noise draws. */
function fingerprint(q: CheckedQuery): string {
  const plan = planOf(q);
  const stmt = rewrite(q);
  return canonicalJson({
    epsilon: plan.epsilonCharged,
    delta: plan.deltaCharged,
    tau: plan.selection?.tau ?? null,
    otherTau: plan.other?.tau ?? null,
    noise: plan.aggregates.map((a) => a.noise),
    sql: stmt.sql,
    params: stmt.params.map(String),
  });
}

/**
 * The checked query of a logged JSON body through the query route's own
 * path: the schema, the policy check, then a target accuracy (`"accuracy"`
 * instead of an epsilon) turned into the epsilon that reaches it under this
 * policy, which may differ from what it was under the active one.
 */
function jsonChecked(text: string, policies: ReadonlyMap<string, LoadedPolicy>): CheckedQuery {
  const { body, accuracy } = splitAccuracy(JSON.parse(text));
  const parsed = queryRequest.safeParse(body);
  if (!parsed.success) throw new VeilError('VEIL_QUERY_INVALID', 'the body is not a query');
  const checked = checkQuery(parsed.data, policies);
  return accuracy ? applyAccuracy(checked, accuracy) : checked;
}

/**
 * A logged SQL query checked again. The body's epsilon and `other` are not
 * in the SQL text: the epsilon is the one the entry was charged (the paid
 * answer's, for a repeat; none for a refusal, so the default applies), and
 * the row of suppressed groups was asked iff its statement was run.
 */
function sqlChecked(
  text: string,
  policies: ReadonlyMap<string, LoadedPolicy>,
  paid: AuditRecord,
): Promise<CheckedQuery> {
  const opts = {
    ...(paid.epsilon > 0 ? { epsilon: paid.epsilon } : {}),
    ...(hasOtherStatement(paid.rewrittenSql) ? { other: true } : {}),
  };
  return sqlToChecked(text, policies, opts);
}

async function outcomeUnder(
  entry: AuditRecord,
  paid: AuditRecord,
  policy: LoadedPolicy,
): Promise<Outcome> {
  const policies = new Map([[policy.dataset, policy]]);
  const text = entry.query ?? '';
  try {
    const checked = text.trimStart().startsWith('{')
      ? jsonChecked(text, policies)
      : await sqlChecked(text, policies, paid);
    return { fingerprint: fingerprint(checked) };
  } catch (err) {
    return { refused: isVeilError(err) ? err.code : 'VEIL_INTERNAL' };
  }
}

/**
 * Replays logged queries through the checks and the privacy plan under the
 * active and the proposed policy, without touching the enclave or a budget.
 * A repeat is replayed as the paid answer it repeated (`findPaid`; entries
 * in the window are looked up first).
 */
export async function dryRun(
  entries: AuditRecord[],
  active: LoadedPolicy,
  proposed: LoadedPolicy,
  findPaid: PaidAnswerLookup = async () => undefined,
): Promise<DryRunReport> {
  const report: DryRunReport = {
    replayed: 0,
    unchanged: 0,
    newlyRefused: 0,
    newlyAccepted: 0,
    answeredDifferently: 0,
    stillRefused: 0,
    refusedByCode: {},
    skipped: {},
  };
  const byId = new Map(entries.flatMap((e) => (e.queryId ? [[e.queryId, e] as const] : [])));
  for (const entry of entries) {
    if (!entry.query) continue;
    const paid = entry.cachedFrom
      ? (byId.get(entry.cachedFrom) ?? (await findPaid(entry.cachedFrom)))
      : entry;
    if (paid === undefined) {
      report.skipped[SKIP_REPEAT_OF_UNKNOWN] = (report.skipped[SKIP_REPEAT_OF_UNKNOWN] ?? 0) + 1;
      continue;
    }
    report.replayed++;
    const before = await outcomeUnder(entry, paid, active);
    const after = await outcomeUnder(entry, paid, proposed);
    if ('refused' in after) {
      report.refusedByCode[after.refused] = (report.refusedByCode[after.refused] ?? 0) + 1;
      if ('refused' in before) report.stillRefused++;
      else report.newlyRefused++;
    } else if ('refused' in before) report.newlyAccepted++;
    else if (before.fingerprint !== after.fingerprint) report.answeredDifferently++;
    else report.unchanged++;
  }
  return report;
}

/** The newest logged queries of a dataset, oldest first. */
export async function recentQueries(
  db: Db,
  dataset: string,
  limit: number,
): Promise<AuditRecord[]> {
  const rows = await db
    .selectFrom('audit_entries')
    .selectAll()
    .where('dataset', '=', dataset)
    .where('route', '=', '/v1/query')
    .where('query', 'is not', null)
    .orderBy('seq', 'desc')
    .limit(limit)
    .execute();
  return rows.reverse().map(toRecord);
}

/** The paid answer a repeat names, from the log: the answered entry with that query id. */
export function paidAnswerLookup(db: Db): PaidAnswerLookup {
  return async (queryId) => {
    const row = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('query_id', '=', queryId)
      .where('outcome', '=', 'answered')
      .where('cached_from', 'is', null)
      .executeTakeFirst();
    return row ? toRecord(row) : undefined;
  };
}
