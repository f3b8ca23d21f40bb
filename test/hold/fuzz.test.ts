import { rmSync } from 'node:fs';
import fc from 'fast-check';
import t from 'tap';
import { errorRegistry } from '../../src/errors/registry.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { chargeRows, dataDir, ledgerView, nyc } from '../fixtures/hold.js';

/** Cases per front end: small in `npm test`, large in `npm run fuzz` (VEIL_FUZZ_RUNS). */
const RUNS = Number(process.env.VEIL_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.VEIL_FUZZ_SEED ?? 6);

const names = [
  'borough',
  'created:month',
  'created:day',
  'community_board',
  'zip',
  'bbl',
  'incident_address',
  'latitude',
  'hours_to_close',
  '__proto__',
  'constructor',
  'x',
];
const word = fc.oneof(fc.constantFrom(...names), fc.string({ maxLength: 12 }));
const value = fc.oneof(fc.string({ maxLength: 12 }), fc.double(), fc.integer(), fc.constant(null));

const jsonQuery = fc.record(
  {
    dataset: fc.oneof(fc.constant(nyc), fc.constant('gulou_flooding'), fc.string()),
    groupBy: fc.array(word, { maxLength: 4 }),
    aggregates: fc.array(
      fc.record(
        {
          fn: fc.constantFrom('count', 'count_units', 'sum', 'avg', 'max'),
          column: word,
          as: word,
        },
        { requiredKeys: ['fn'] },
      ),
      { maxLength: 3 },
    ),
    filters: fc.array(
      fc.record(
        {
          column: word,
          op: fc.constantFrom('eq', 'in', 'between', 'lt', 'gte', 'like'),
          value,
          values: fc.array(value, { maxLength: 3 }),
        },
        { requiredKeys: ['column', 'op'] },
      ),
      { maxLength: 2 },
    ),
    epsilon: fc.oneof(fc.double(), fc.constantFrom(0.5, 1, 2, 3)),
    limit: fc.integer(),
  },
  { requiredKeys: [] },
);

/** Mostly valid queries with varied parts, so that the answer path is fuzzed too. */
const nearValid = fc.record({
  dataset: fc.constant(nyc),
  groupBy: fc.subarray(['borough', 'created:month', 'community_board']),
  aggregates: fc.constant([{ fn: 'count' }]),
  filters: fc.array(
    fc.record({
      column: fc.constantFrom('borough', 'created:day'),
      op: fc.constantFrom('eq', 'gte', 'lt'),
      value: fc.oneof(fc.constantFrom('QUEENS', 'BRONX', '2022-12-01'), fc.string()),
    }),
    { maxLength: 2 },
  ),
  epsilon: fc.constantFrom(0.01, 0.05, 0.1),
});

const sqlToken = fc.constantFrom(
  'SELECT',
  'borough',
  'COUNT(*)',
  'COUNT(DISTINCT unit)',
  'SUM(hours_to_close)',
  'FROM',
  nyc,
  'WHERE',
  "borough = 'QUEENS'",
  'bbl',
  'incident_address',
  'GROUP BY',
  'ALL',
  'ORDER BY',
  'LIMIT 3',
  ',',
  '(',
  ')',
  ';',
  '--',
  '/*',
  '*/',
  "'",
  '"',
  'AND',
  'OR',
  'UNION',
  '*',
  'month(created)',
  "read_csv('x')",
  'AS',
  '__proto__',
);
/** SQL in the accepted subset with varied parts and literals, so the SQL answer path runs too. */
const nearValidSql = fc
  .record({
    dims: fc.subarray(['borough', 'month(created)', 'community_board'], { minLength: 1 }),
    agg: fc.constantFrom('COUNT(*)', 'COUNT(DISTINCT unit)', 'SUM(hours_to_close)'),
    where: fc.option(fc.oneof(fc.constantFrom('QUEENS', 'BRONX'), fc.string({ maxLength: 8 }))),
    limit: fc.option(fc.integer({ min: 0, max: 50 })),
  })
  .map(({ dims, agg, where, limit }) => {
    const filter = where === null ? '' : ` WHERE borough = '${where.replaceAll("'", "''")}'`;
    const tail = limit === null ? '' : ` LIMIT ${limit}`;
    return `SELECT ${dims.join(', ')}, ${agg} FROM ${nyc}${filter} GROUP BY ALL${tail}`;
  });

const sqlText = fc.oneof(
  fc.array(sqlToken, { maxLength: 14 }).map((ts) => ts.join(' ')),
  fc.string({ maxLength: 80 }),
  nearValidSql,
);

t.test('fuzzing both front ends over HTTP: no 5xx, no charge on refusal', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_RATE_LIMIT: '0' });
  const token = g.token('buyer', 'fuzzer');
  const seen: { family: 'json' | 'sql'; status: number; code?: string }[] = [];
  const property = async (family: 'json' | 'sql', body: unknown) => {
    const r = await g.call('/v1/query', { token, body });
    seen.push({ family, status: r.status, code: r.json?.error?.code });
    const coded = r.status === 200 || (r.json?.error?.code ?? '') in errorRegistry;
    return r.status < 500 && coded;
  };
  const opts = { numRuns: RUNS, seed: SEED, endOnFailure: true };
  await fc.assert(
    fc.asyncProperty(fc.oneof(jsonQuery, nearValid), (body) => property('json', body)),
    opts,
  );
  await fc.assert(
    fc.asyncProperty(sqlText, fc.option(fc.oneof(fc.double(), fc.constant(0.05))), (sql, epsilon) =>
      property('sql', epsilon === null ? { sql } : { sql, epsilon }),
    ),
    opts,
  );
  const answered = seen.filter((s) => s.status === 200).length;
  for (const family of ['json', 'sql'] as const) {
    const mine = seen.filter((s) => s.family === family);
    const ok = mine.filter((s) => s.status === 200).length;
    t.comment(`fuzz ${family}: ${mine.length} inputs, ${ok} answered, ${mine.length - ok} refused`);
  }
  t.equal(seen.filter((s) => s.status >= 500).length, 0, 'no 5xx');
  await g.close();
  const view = await ledgerView(dir);
  const charged = chargeRows(dir).filter((c) => c.status === 'charged');
  t.ok(charged.length <= answered, 'no more charges than answers');
  t.equal(view.entries.filter((e) => e.outcome !== 'answered' && e.epsilon > 0).length, 0);
  t.same(view.verify, { ok: true, entries: view.entries.length });
  rmSync(dir, { recursive: true, force: true });
});
