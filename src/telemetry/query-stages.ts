import type { Enclave } from '../enclave/enclave.js';
import { instruments } from './metrics.js';
import { inSpan } from './tracing.js';

/**
 * The enclave stage, timed and traced: the span and the histogram carry the
 * dataset, the statement's size and the number of groups it returned, never
 * the statement's parameters (they hold the buyer's filter values).
 */
export async function runInEnclave(
  enclave: Enclave,
  dataset: string,
  stmt: { sql: string; params: readonly unknown[] },
): Promise<unknown[][]> {
  const attrs = { 'veil.dataset': dataset, 'veil.sql.length': stmt.sql.length };
  return inSpan('veil.enclave', attrs, async (span) => {
    const started = performance.now();
    try {
      const rows = await enclave.run(stmt.sql, stmt.params);
      span.setAttribute('veil.enclave.groups', rows.length);
      return rows;
    } finally {
      const ms = performance.now() - started;
      instruments().enclaveMs.record(ms, { 'veil.dataset': dataset });
    }
  });
}

/** Counts an answered query's charge and suppressed groups, by dataset. */
export function recordAnswered(
  dataset: string,
  epsilon: number,
  counts: { released: number; suppressed: number },
): void {
  const attrs = { 'veil.dataset': dataset };
  instruments().epsilonSpent.add(epsilon, attrs);
  instruments().groupsSuppressed.add(counts.suppressed, attrs);
}
