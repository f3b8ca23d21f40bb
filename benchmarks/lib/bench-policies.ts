import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { LoadedPolicy } from '../../src/policy/load.js';

/**
 * Budgets so large that a benchmark never runs out. The policies are the
 * committed ones with only their budgets changed, so every check, plan and
 * threshold the benchmark exercises is the real one.
 */
const hugeBudgets = {
  period: 'year',
  perBuyer: { epsilon: 1e12, delta: 0.999 },
  dataset: { epsilon: 1e13, delta: 0.999 },
  buyers: {},
};

/** Writes the bench-only policy directory (a temp dir) and returns its path. */
export function writeBenchPolicyDir(sourceDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'veil-bench-policies-'));
  for (const file of readdirSync(sourceDir).filter((f) => f.endsWith('.yaml'))) {
    const policy = parse(readFileSync(join(sourceDir, file), 'utf8')) as Record<string, unknown>;
    policy.budgets = hugeBudgets;
    writeFileSync(join(dir, file), stringify(policy));
  }
  return dir;
}

/** Same change on already loaded policies, for the in-process benchmark. */
export function withHugeBudgets(policies: Map<string, LoadedPolicy>): Map<string, LoadedPolicy> {
  for (const p of policies.values())
    p.budgets = structuredClone(hugeBudgets) as LoadedPolicy['budgets'];
  return policies;
}
