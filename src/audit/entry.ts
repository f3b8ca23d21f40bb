import type { AuditEntryTable, AuditOutcome } from '../ledger/schema.js';

export type { AuditOutcome } from '../ledger/schema.js';

/**
 * What a caller records about one request. Only `outcome` is required: a
 * request refused before authentication has no buyer, dataset or query.
 * `epsilon`/`delta` are what this request was charged (0 when nothing was).
 */
export interface AuditEntryInput {
  at?: string;
  requestId?: string | null;
  queryId?: string | null;
  buyer?: string | null;
  role?: string | null;
  route?: string | null;
  method?: string | null;
  status?: number | null;
  outcome: AuditOutcome;
  code?: string | null;
  dataset?: string | null;
  period?: string | null;
  /** The query exactly as received (JSON text or SQL text). */
  query?: string | null;
  rewrittenSql?: string | null;
  policyVersion?: string | null;
  epsilon?: number;
  delta?: number;
  groupsReleased?: number | null;
  groupsSuppressed?: number | null;
  /** Set on a repeated question served from a stored answer: the query id it repeats. */
  cachedFrom?: string | null;
}

/** A stored entry, with its place in the chain. */
export interface AuditRecord {
  seq: number;
  at: string;
  requestId: string | null;
  queryId: string | null;
  buyer: string | null;
  role: string | null;
  route: string | null;
  method: string | null;
  status: number | null;
  outcome: AuditOutcome;
  code: string | null;
  dataset: string | null;
  period: string | null;
  query: string | null;
  rewrittenSql: string | null;
  policyVersion: string | null;
  epsilon: number;
  delta: number;
  groupsReleased: number | null;
  groupsSuppressed: number | null;
  cachedFrom: string | null;
  prevHash: string;
  hash: string;
}

/** The columns the hash covers: all of them but `hash`. */
export type HashedFields = Omit<AuditEntryTable, 'hash'>;

/**
 * Turns an input into the row fields for position `seq`. Missing fields become
 * null (never undefined) so that the hash is the same before and after storage.
 */
export function toHashedFields(
  input: AuditEntryInput,
  seq: number,
  prevHash: string,
  at: string,
): HashedFields {
  assertValid(input);
  return {
    seq,
    at: input.at ?? at,
    request_id: input.requestId ?? null,
    query_id: input.queryId ?? null,
    buyer: input.buyer ?? null,
    role: input.role ?? null,
    route: input.route ?? null,
    method: input.method ?? null,
    status: input.status ?? null,
    outcome: input.outcome,
    code: input.code ?? null,
    dataset: input.dataset ?? null,
    period: input.period ?? null,
    query: input.query ?? null,
    rewritten_sql: input.rewrittenSql ?? null,
    policy_version: input.policyVersion ?? null,
    epsilon: input.epsilon ?? 0,
    delta: input.delta ?? 0,
    groups_released: input.groupsReleased ?? null,
    groups_suppressed: input.groupsSuppressed ?? null,
    cached_from: input.cachedFrom ?? null,
    prev_hash: prevHash,
  };
}

function assertValid(input: AuditEntryInput): void {
  const costOk = [input.epsilon ?? 0, input.delta ?? 0].every((v) => Number.isFinite(v) && v >= 0);
  const counts = [input.status, input.groupsReleased, input.groupsSuppressed];
  const countsOk = counts.every((v) => v === undefined || v === null || Number.isSafeInteger(v));
  if (!costOk || !countsOk) {
    throw new RangeError('audit entry needs finite epsilon/delta >= 0 and integer counts');
  }
}

/** The camel-case view of a stored row. */
export function toRecord(row: AuditEntryTable): AuditRecord {
  return {
    seq: row.seq,
    at: row.at,
    requestId: row.request_id,
    queryId: row.query_id,
    buyer: row.buyer,
    role: row.role,
    route: row.route,
    method: row.method,
    status: row.status,
    outcome: row.outcome,
    code: row.code,
    dataset: row.dataset,
    period: row.period,
    query: row.query,
    rewrittenSql: row.rewritten_sql,
    policyVersion: row.policy_version,
    epsilon: row.epsilon,
    delta: row.delta,
    groupsReleased: row.groups_released,
    groupsSuppressed: row.groups_suppressed,
    cachedFrom: row.cached_from ?? null,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}
