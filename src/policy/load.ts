import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodError } from 'zod';
import { canonicalJson } from '../shared/canonical-json.js';
import { registrationProblems } from './catalogue.js';
import { policySchema, type Policy } from './schema.js';

/** A validated policy with its public key ranges expanded and a content version. */
export interface LoadedPolicy extends Policy {
  /** `<sha256 prefix>` of the canonical policy: answers name it, so a buyer knows the rules. */
  version: string;
  /** Public keys per dimension and level, ranges expanded to lists. */
  publicKeyLists: Record<string, Record<string, string[]>>;
}

/** Raised when a policy file is unreadable or invalid; the message names each bad key. */
export class PolicyFileError extends Error {
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`policy ${file} is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'PolicyFileError';
  }
}

function zodProblems(err: ZodError): string[] {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
}

/** Validates a parsed policy object; `source` names it in errors. */
export function validatePolicy(raw: unknown, source: string): LoadedPolicy {
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new PolicyFileError(source, zodProblems(parsed.error));
  const policy = parsed.data;
  const publicKeyLists: LoadedPolicy['publicKeyLists'] = {};
  const problems: string[] = [];
  for (const [dim, d] of Object.entries(policy.dimensions)) {
    for (const [level, keys] of Object.entries(d.publicKeys ?? {})) {
      const list = Array.isArray(keys) ? keys : expandRange(level, keys.from, keys.to);
      if (list === undefined) {
        problems.push(
          `dimensions.${dim}.publicKeys.${level}: a range is supported for day, month and ` +
            'year levels only, with from <= to',
        );
        continue;
      }
      (publicKeyLists[dim] ??= {})[level] = list;
    }
  }
  problems.push(...otherLabelClashes(policy, publicKeyLists));
  if (problems.length) throw new PolicyFileError(source, problems);
  const version = createHash('sha256').update(canonicalJson(policy)).digest('hex').slice(0, 12);
  return { ...policy, version, publicKeyLists };
}

/**
 * The row of suppressed groups carries `otherLabel` in a column with no label of its own; a
 * public key equal to it would make that row and a real group look alike.
 */
function otherLabelClashes(policy: Policy, lists: LoadedPolicy['publicKeyLists']): string[] {
  const label = policy.otherLabel;
  if (label === undefined) return [];
  return Object.entries(lists).flatMap(([dim, levels]) =>
    Object.entries(levels)
      .filter(([, keys]) => policy.dimensions[dim]!.other === undefined && keys.includes(label))
      .map(([level]) => `otherLabel: "${label}" is a public key of ${dim}:${level}; pick another`),
  );
}

/** Reads and validates every `*.yaml` in a folder, keyed by dataset id. */
export function loadPolicies(dir: string): Map<string, LoadedPolicy> {
  const out = new Map<string, LoadedPolicy>();
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort()) {
    const path = join(dir, file);
    let raw: unknown;
    try {
      raw = parseYaml(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new PolicyFileError(path, [`not valid YAML: ${(err as Error).message}`]);
    }
    const policy = validatePolicy(raw, path);
    if (out.has(policy.dataset))
      throw new PolicyFileError(path, [`dataset: "${policy.dataset}" is defined twice`]);
    const clash = registrationProblems(policy, undefined, out.values());
    if (clash.length) throw new PolicyFileError(path, clash);
    out.set(policy.dataset, policy);
  }
  return out;
}

const formats: Record<string, { re: RegExp; step: (d: Date) => void; fmt: (d: Date) => string }> = {
  year: {
    re: /^\d{4}$/,
    step: (d) => d.setUTCFullYear(d.getUTCFullYear() + 1),
    fmt: (d) => d.toISOString().slice(0, 4),
  },
  month: {
    re: /^\d{4}-\d{2}$/,
    step: (d) => d.setUTCMonth(d.getUTCMonth() + 1),
    fmt: (d) => d.toISOString().slice(0, 7),
  },
  day: {
    re: /^\d{4}-\d{2}-\d{2}$/,
    step: (d) => d.setUTCDate(d.getUTCDate() + 1),
    fmt: (d) => d.toISOString().slice(0, 10),
  },
};

function expandRange(level: string, from: string, to: string): string[] | undefined {
  const f = formats[level];
  if (!f || !f.re.test(from) || !f.re.test(to) || from > to) return undefined;
  const d = new Date(
    `${from}${level === 'year' ? '-01-01' : level === 'month' ? '-01' : ''}T00:00:00Z`,
  );
  const out: string[] = [];
  while (f.fmt(d) <= to && out.length <= 10000) {
    out.push(f.fmt(d));
    f.step(d);
  }
  return out.length > 10000 ? undefined : out;
}
