import type { LoadedPolicy } from './load.js';

/**
 * Column classes are enforced across versions, not only within one: the
 * schema refuses an identifier as a dimension or measure, but a new version
 * could first call the column a quasi-identifier. Through the API, a column
 * the active version classes `identifier` stays one (and stays classified);
 * only a policy file, which the operator deploys, can reclassify it.
 */

/** Why a proposed version may not go through the API; empty when it may. */
export function classificationProblems(proposed: LoadedPolicy, active: LoadedPolicy): string[] {
  const problems: string[] = [];
  for (const [column, cls] of Object.entries(active.columns)) {
    if (cls !== 'identifier') continue;
    const now = proposed.columns[column];
    if (now !== 'identifier') {
      problems.push(
        `columns.${column}: "${column}" is an identifier in ${active.version} and stays one; ` +
          `the API cannot make it ${now === undefined ? 'unclassified' : `"${now}"`}`,
      );
    }
  }
  return problems;
}
