import { dimensionColumn } from '../query/checked.js';
import type { LoadedPolicy } from './load.js';

/**
 * Problems with a policy that names columns its dataset's enclave table does
 * not have. The schema check alone cannot see them: a bureau could classify
 * a raw identifier as a quasi-identifier and make it a dimension, and every
 * query on it would then fail in the enclave instead of at the policy.
 */
export function missingColumns(
  policy: LoadedPolicy,
  columns: ReadonlyMap<string, ReadonlySet<string>>,
): string[] {
  const table = columns.get(policy.dataset);
  if (table === undefined) return [`dataset: the enclave has no table "${policy.dataset}"`];
  const problems: string[] = [];
  for (const [name, d] of Object.entries(policy.dimensions)) {
    for (const level of d.levels) {
      const column = dimensionColumn(name, level, d.levels);
      if (!table.has(column)) {
        problems.push(`dimensions.${name}: the enclave has no column "${column}" (level ${level})`);
      }
    }
  }
  for (const name of Object.keys(policy.measures)) {
    if (!table.has(name)) problems.push(`measures.${name}: the enclave has no column "${name}"`);
  }
  return problems;
}
