import { BUDGET_TOLERANCE } from '../ledger/limits.js';
import type { Db } from '../ledger/schema.js';

/** Spending of one buyer on one dataset in one period, from both sources. */
export interface PrivacyLossRow {
  buyer: string;
  dataset: string;
  period: string;
  /**
   * Recomputed from the audit log alone: answered query entries that cost
   * something (a free repeat costs nothing and has no charge).
   */
  log: { epsilon: number; delta: number; queries: number };
  /** Charged in the budget ledger (reservations in flight are left out). */
  ledger: { epsilon: number; delta: number; queries: number };
  /** True when the two differ beyond rounding: an alarm. */
  alarm: boolean;
}

/** The report: every row, and one flag for the whole. */
export interface PrivacyLossReport {
  alarm: boolean;
  rows: PrivacyLossRow[];
}

/** Filters of the report; each narrows both sources the same way. */
export interface PrivacyLossFilter {
  buyer?: string;
  dataset?: string;
  period?: string;
}

type Sums = { buyer: string; dataset: string; period: string; e: number; d: number; n: number };

/** The filter's set fields as (column, value) pairs; both sources name them alike. */
function scopeOf(f: PrivacyLossFilter): ['buyer' | 'dataset' | 'period', string][] {
  const pairs: ['buyer' | 'dataset' | 'period', string | undefined][] = [
    ['buyer', f.buyer],
    ['dataset', f.dataset],
    ['period', f.period],
  ];
  return pairs.filter((p): p is ['buyer' | 'dataset' | 'period', string] => p[1] !== undefined);
}

async function fromLog(db: Db, f: PrivacyLossFilter): Promise<Sums[]> {
  let q = db
    .selectFrom('audit_entries')
    .select((eb) => [
      'buyer',
      'dataset',
      'period',
      eb.fn.sum<number>('epsilon').as('e'),
      eb.fn.sum<number>('delta').as('d'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('outcome', '=', 'answered')
    .where('query_id', 'is not', null)
    .where((eb) => eb.or([eb('epsilon', '>', 0), eb('delta', '>', 0)]));
  for (const [column, value] of scopeOf(f)) q = q.where(column, '=', value);
  const rows = await q.groupBy(['buyer', 'dataset', 'period']).execute();
  return rows.map((r) => ({
    ...r,
    buyer: r.buyer ?? '',
    dataset: r.dataset ?? '',
    period: r.period ?? '',
  }));
}

async function fromLedger(db: Db, f: PrivacyLossFilter): Promise<Sums[]> {
  let q = db
    .selectFrom('budget_charges')
    .select((eb) => [
      'buyer',
      'dataset',
      'period',
      eb.fn.sum<number>('epsilon').as('e'),
      eb.fn.sum<number>('delta').as('d'),
      eb.fn.countAll<number>().as('n'),
    ])
    .where('status', '=', 'charged')
    .where((eb) => eb.or([eb('epsilon', '>', 0), eb('delta', '>', 0)]));
  for (const [column, value] of scopeOf(f)) q = q.where(column, '=', value);
  return q.groupBy(['buyer', 'dataset', 'period']).execute();
}

function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= BUDGET_TOLERANCE * Math.max(1, Math.abs(a), Math.abs(b));
}

/**
 * Per buyer, dataset and period: epsilon and delta spent as the log alone
 * tells it beside what the ledger charged. The two are written in one
 * transaction, so any difference means one of them was altered.
 */
export async function privacyLossReport(
  db: Db,
  f: PrivacyLossFilter = {},
): Promise<PrivacyLossReport> {
  const key = (s: Sums) => JSON.stringify([s.buyer, s.dataset, s.period]);
  const merged = new Map<string, PrivacyLossRow>();
  const zero = { epsilon: 0, delta: 0, queries: 0 };
  const slot = (s: Sums) => {
    const row = merged.get(key(s)) ?? {
      buyer: s.buyer,
      dataset: s.dataset,
      period: s.period,
      log: zero,
      ledger: zero,
      alarm: false,
    };
    merged.set(key(s), row);
    return row;
  };
  const amount = (s: Sums) => ({ epsilon: Number(s.e), delta: Number(s.d), queries: Number(s.n) });
  for (const s of await fromLog(db, f)) slot(s).log = amount(s);
  for (const s of await fromLedger(db, f)) slot(s).ledger = amount(s);
  const rows = [...merged.values()].sort((a, b) => (key2(a) < key2(b) ? -1 : 1));
  for (const r of rows) {
    r.alarm = !(
      close(r.log.epsilon, r.ledger.epsilon) &&
      close(r.log.delta, r.ledger.delta) &&
      r.log.queries === r.ledger.queries
    );
  }
  return { alarm: rows.some((r) => r.alarm), rows };
}

function key2(r: PrivacyLossRow): string {
  return `${r.buyer}\u0000${r.dataset}\u0000${r.period}`;
}
