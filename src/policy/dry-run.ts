import { canonicalJson } from '../shared/canonical-json.js';
import type { AuditRecord } from '../audit/entry.js';
import { toRecord } from '../audit/entry.js';
import type { Db } from '../ledger/schema.js';
import { isVeilError } from '../errors/registry.js';
import { sqlToChecked } from '../frontend/sql/index.js';
import type { CheckedQuery } from '../query/checked.js';
import { planOf } from '../query/answer.js';
import { queryRequest } from '../query/request.js';
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
}

type Outcome = { refused: string } | { fingerprint: string };

/** Everything an answer depends on besides the data and the noise draws. */
function fingerprint(q: CheckedQuery): string {
  const plan = planOf(q);
  const stmt = rewrite(q);
  return canonicalJson({
    epsilon: plan.epsilonCharged,
    delta: plan.deltaCharged,
    tau: plan.selection?.tau ?? null,
    noise: plan.aggregates.map((a) => a.noise),
    sql: stmt.sql,
    params: stmt.params.map(String),
  });
}

async function outcomeUnder(entry: AuditRecord, policy: LoadedPolicy): Promise<Outcome> {
  const policies = new Map([[policy.dataset, policy]]);
  const text = entry.query ?? '';
  try {
    if (text.trimStart().startsWith('{')) {
      const parsed = queryRequest.safeParse(JSON.parse(text));
      if (!parsed.success) return { refused: 'VEIL_QUERY_INVALID' };
      return { fingerprint: fingerprint(checkQuery(parsed.data, policies)) };
    }
    const opts = entry.epsilon > 0 ? { epsilon: entry.epsilon } : {};
    return { fingerprint: fingerprint(await sqlToChecked(text, policies, opts)) };
  } catch (err) {
    return { refused: isVeilError(err) ? err.code : 'VEIL_INTERNAL' };
  }
}

/**
 * Replays logged queries through the checks and the privacy plan under the
 * active and the proposed policy, without touching the enclave or a budget.
 */
export async function dryRun(
  entries: AuditRecord[],
  active: LoadedPolicy,
  proposed: LoadedPolicy,
): Promise<DryRunReport> {
  const report: DryRunReport = {
    replayed: 0,
    unchanged: 0,
    newlyRefused: 0,
    newlyAccepted: 0,
    answeredDifferently: 0,
    stillRefused: 0,
    refusedByCode: {},
  };
  for (const entry of entries) {
    if (!entry.query) continue;
    report.replayed++;
    const before = await outcomeUnder(entry, active);
    const after = await outcomeUnder(entry, proposed);
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
