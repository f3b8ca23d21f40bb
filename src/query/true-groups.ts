import type { TrueGroup } from '../privacy/types.js';
import type { EnclaveStatement } from '../rewrite/rewrite.js';

/**
 * The enclave's result rows as the privacy stage reads them: the key
 * columns, rows, distinct units, then per measure its grid sum and non-NULL
 * count (the column order of every statement built by src/rewrite).
 */
export function toTrueGroups(rows: unknown[][], stmt: EnclaveStatement): TrueGroup[] {
  const n = stmt.keyColumns;
  return rows.map((r) => {
    const measures: TrueGroup['measures'] = {};
    stmt.measures.forEach((m, i) => {
      measures[m] = { sumGrid: toInt(r[n + 2 + 2 * i]), nonNull: toInt(r[n + 3 + 2 * i]) };
    });
    return {
      keys: r.slice(0, n).map((k) => (k === null ? null : String(k))),
      rows: toInt(r[n]),
      units: toInt(r[n + 1]),
      measures,
    };
  });
}

function toInt(v: unknown): number {
  return v === null || v === undefined ? 0 : Number(v);
}
