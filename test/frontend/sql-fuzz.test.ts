import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { isVeilError } from '../../src/errors/registry.js';
import { closeSqlParser, sqlToChecked } from '../../src/frontend/sql/index.js';
import { loadPolicies } from '../../src/policy/load.js';
import type { CheckedQuery } from '../../src/query/checked.js';

// Property-based fuzzing of the SQL entry point: random texts, mutations of
// valid queries and long inputs either become a checked query over a known
// dataset, naming only its own dimensions and measures, or are refused with
// a VeilError that is a client error (4xx) and points into the text.
// Anything else (a raw Error, a crash, a 5xx) fails.
// The seed and run count are fixed, so a run is reproducible; `npm run fuzz`
// raises the count through VEIL_FUZZ_RUNS.

const policies = loadPolicies(new URL('../../policies', import.meta.url).pathname);
const golden = JSON.parse(readFileSync(new URL('./golden/sql.json', import.meta.url), 'utf8')) as {
  accepted: { sql: string }[];
  refused: { sql: string }[];
};
const seeds = [...golden.accepted, ...golden.refused].map((c) => c.sql).filter((s) => s.length > 0);

t.after(closeSqlParser);

const RUNS = Number(process.env.VEIL_FUZZ_RUNS ?? 500);

/** Splits SQL into tokens that keep quoted parts whole, so mutations look like SQL edits. */
function tokens(sql: string): string[] {
  return sql.match(/'[^']*'|"[^"]*"|\w+|\s+|[^\w\s]/g) ?? [];
}

/** Words and fragments that mutations insert: SQL keywords, names, hostile calls, odd literals. */
const vocabulary = [
  ...'SELECT FROM WHERE LIMIT AND OR NOT IN BETWEEN HAVING UNION JOIN WITH AS DISTINCT'.split(' '),
  ...'OFFSET NULL * ( ) , ; \' " -- /* */ $1 ? :: ALL'.split(' '),
  ...'borough created hours_to_close latitude phone unit household gulou_flooding'.split(' '),
  ...'constructor __proto__ valueOf nyc311_street_flooding'.split(' '),
  'GROUP BY',
  'ORDER BY',
  'count(*)',
  'sum(',
  'month(',
  "date_trunc('day', ",
  "read_csv('/etc/passwd')",
  "getenv('HOME')",
  "COPY t TO 'x'",
  'ATTACH',
  'PRAGMA',
  'SET',
  ...['1', '-1', '2.5', '1e308', '99999999999999999999', "'2022-11'"],
  ...['\u0000', '😀', 'é', '\n'],
];

type Mutation =
  | { kind: 'delete' | 'duplicate'; at: number }
  | { kind: 'swap'; at: number; with: number }
  | { kind: 'insert'; at: number; text: string };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('swap' as const), at: fc.nat(), with: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.oneof(fc.constantFrom(...vocabulary), fc.string({ unit: 'binary', maxLength: 6 })),
  }),
);

function mutate(sql: string, edits: Mutation[]): string {
  const toks = tokens(sql);
  for (const m of edits) {
    const at = toks.length === 0 ? 0 : m.at % toks.length;
    if (m.kind === 'delete') toks.splice(at, 1);
    else if (m.kind === 'duplicate' && toks[at] !== undefined) toks.splice(at, 0, toks[at]!);
    else if (m.kind === 'swap' && toks.length > 0) {
      const other = m.with % toks.length;
      [toks[at], toks[other]] = [toks[other]!, toks[at]!];
    } else if (m.kind === 'insert') toks.splice(at, 0, m.text);
  }
  return toks.join('');
}

const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([sql, edits]) => mutate(sql, edits));

const random = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 }),
  fc.array(fc.constantFrom(...vocabulary), { maxLength: 40 }).map((w) => w.join(' ')),
);

const long = fc
  .tuple(
    fc.integer({ min: 1000, max: 20000 }),
    fc.constantFrom(...seeds, '(', 'x', ' AND ', "'", '/*', '-', '😀'),
  )
  .map(([length, unit]) =>
    Array.from(unit.repeat(Math.ceil(length / unit.length)))
      .slice(0, length)
      .join(''),
  );

const anySql = fc.oneof(
  { arbitrary: mutated, weight: 7 },
  { arbitrary: random, weight: 2 },
  { arbitrary: long, weight: 1 },
);

/** An accepted query names only the policy's own dimensions and measures. */
function onlyPolicyNames(q: CheckedQuery): boolean {
  const policy = policies.get(q.dataset);
  if (!policy || q.aggregates.length === 0) return false;
  const dims = [...q.groupBy, ...q.filters].every((d) =>
    Object.hasOwn(policy.dimensions, d.dimension),
  );
  const measures = q.aggregates.every(
    (a) => a.measure === undefined || Object.hasOwn(policy.measures, a.measure),
  );
  return dims && measures;
}

t.test('any text is checked or refused with a positioned 4xx VeilError', async (t) => {
  const outcomes = { accepted: 0, refused: 0 };
  await fc.assert(
    fc.asyncProperty(anySql, async (sql) => {
      let err: unknown;
      try {
        const checked = await sqlToChecked(sql, policies);
        outcomes.accepted += 1;
        return onlyPolicyNames(checked);
      } catch (e) {
        err = e;
      }
      if (!isVeilError(err)) throw err;
      outcomes.refused += 1;
      const position = err.detail.position;
      const length = Array.from(sql).length;
      return (
        err.status >= 400 &&
        err.status < 500 &&
        Number.isInteger(position) &&
        position! >= 0 &&
        position! <= length
      );
    }),
    { seed: 20240611, numRuns: RUNS },
  );
  const { accepted, refused } = outcomes;
  t.comment(`sql front end: ${RUNS} inputs, ${accepted} checked, ${refused} refused`);
  t.ok(outcomes.accepted > 0, `${outcomes.accepted} accepted`);
  t.ok(outcomes.refused > 0, `${outcomes.refused} refused`);
  t.equal(outcomes.accepted + outcomes.refused, RUNS);
});
