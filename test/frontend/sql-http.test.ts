import { readFileSync } from 'node:fs';
import t from 'tap';
import { errorRegistry, type ErrorCode } from '../../src/errors/registry.js';
import { startTestGateway } from '../fixtures/gateway.js';

// The golden refusals of the SQL front end, sent over real HTTP to a gateway
// on the bundled data: each one must reach the buyer as the golden file says
// (status, code, position, a sentence), run nothing in the enclave, charge
// nothing, and be in the audit log with the code the buyer saw, filed under
// the text as received.

interface Refused {
  name: string;
  sql: string;
  epsilon?: number;
  code: ErrorCode;
  position: number;
}

const golden = JSON.parse(readFileSync(new URL('./golden/sql.json', import.meta.url), 'utf8')) as {
  refused: Refused[];
};

/** The refusals the SQL issue names one by one; each must be among the golden cases. */
const named: [string, ErrorCode][] = [
  ['select star', 'VEIL_SQL_SELECT_STAR'],
  ['bare column not grouped', 'VEIL_SQL_UNGROUPED_COLUMN'],
  ['identifier in the select list', 'VEIL_QUERY_IDENTIFIER'],
  ['identifier in where', 'VEIL_QUERY_IDENTIFIER'],
  ['identifier in group by', 'VEIL_QUERY_IDENTIFIER'],
  ['identifier inside sum', 'VEIL_QUERY_IDENTIFIER'],
  ['expression inside sum', 'VEIL_SQL_AGGREGATE_EXPRESSION'],
  ['having', 'VEIL_SQL_HAVING'],
  ['two selects', 'VEIL_SQL_MULTIPLE_STATEMENTS'],
  ['read_csv', 'VEIL_SQL_FORBIDDEN_FUNCTION'],
  ['a file as a table', 'VEIL_SQL_UNKNOWN_TABLE'],
  ['glob', 'VEIL_SQL_FORBIDDEN_FUNCTION'],
  ['read_text', 'VEIL_SQL_FORBIDDEN_FUNCTION'],
  ['copy', 'VEIL_SQL_NOT_SELECT'],
  ['attach', 'VEIL_SQL_NOT_SELECT'],
  ['install', 'VEIL_SQL_NOT_SELECT'],
  ['load', 'VEIL_SQL_NOT_SELECT'],
  ['set', 'VEIL_SQL_NOT_SELECT'],
  ['pragma', 'VEIL_SQL_NOT_SELECT'],
  ['export database', 'VEIL_SQL_NOT_SELECT'],
  ['getenv', 'VEIL_SQL_FORBIDDEN_FUNCTION'],
  ['join', 'VEIL_SQL_UNSUPPORTED'],
  ['subquery in where', 'VEIL_SQL_UNSUPPORTED'],
  ['subquery in from', 'VEIL_SQL_UNSUPPORTED'],
  ['cte', 'VEIL_SQL_UNSUPPORTED'],
  ['union', 'VEIL_SQL_UNSUPPORTED'],
  ['window function', 'VEIL_SQL_UNSUPPORTED'],
  ['not a dataset', 'VEIL_SQL_UNKNOWN_TABLE'],
  ['date_trunc hour', 'VEIL_QUERY_LEVEL_NOT_ALLOWED'],
  ['empty text', 'VEIL_SQL_PARSE'],
];

t.test('every golden SQL refusal reaches the buyer as documented', async (t) => {
  for (const [name, code] of named) {
    const c = golden.refused.find((r) => r.name === name);
    t.equal(c?.code, code, `the golden file refuses "${name}" with ${code}`);
  }

  const g = await startTestGateway({ VEIL_RATE_LIMIT: '0' });
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'sql-refusals');
  const auditor = g.token('auditor');
  const before = await g.call('/v1/budget', { token: buyer });
  const runs = g.gw.enclave.statementsRun;

  for (const c of golden.refused) {
    const body = c.epsilon === undefined ? { sql: c.sql } : { sql: c.sql, epsilon: c.epsilon };
    const r = await g.call('/v1/query', { token: buyer, body });
    t.equal(r.status, 400, `${c.name}: HTTP 400`);
    t.equal(errorRegistry[c.code].status, 400, `${c.name}: ${c.code} is registered as a 400`);
    t.equal(r.json?.error?.code, c.code, `${c.name}: code`);
    t.equal(r.json?.error?.position, c.position, `${c.name}: position`);
    const message: unknown = r.json?.error?.message;
    t.ok(typeof message === 'string' && message.length > 20, `${c.name}: a sentence`);
  }

  t.equal(g.gw.enclave.statementsRun, runs, 'the enclave ran nothing');
  const after = await g.call('/v1/budget', { token: buyer });
  t.same(after.json, before.json, 'no budget was spent');
  t.ok(
    after.json.budgets.every((b: { epsilonSpent: number }) => b.epsilonSpent === 0),
    'the budget is untouched',
  );

  const log = await g.call('/v1/audit/entries?buyer=sql-refusals&limit=1000', {
    token: auditor,
  });
  const entries = (log.json.entries as { query: string; code: string; outcome: string }[]).filter(
    (e) => e.outcome === 'refused',
  );
  t.equal(entries.length, golden.refused.length, 'one audit entry per refusal');
  t.same(
    entries.map((e) => [e.query, e.code]),
    golden.refused.map((c) => [c.sql, c.code]),
    'each with the text as received and the code the buyer saw',
  );
  const filed = (log.json.entries as { query: string; dataset: string | null }[]).filter(
    (e) => e.dataset !== null,
  );
  t.ok(filed.length > golden.refused.length / 2, 'most refusals are filed under their dataset');
  t.ok(
    filed.every((e) => e.query.includes(e.dataset!)),
    'each under the dataset its SQL names',
  );
  const star = golden.refused.find((c) => c.code === 'VEIL_SQL_SELECT_STAR')!;
  const byDataset = await g.call(
    '/v1/audit/entries?buyer=sql-refusals&dataset=nyc311_street_flooding&limit=1000',
    { token: auditor },
  );
  t.ok(
    byDataset.json.entries.some((e: { query: string }) => e.query === star.sql),
    'a dataset filter finds an SQL refusal',
  );
  const verify = await g.call('/v1/audit/verify', { token: auditor });
  t.equal(verify.json.ok, true, 'the audit chain verifies');
});

t.test('an overlong SQL text is refused with a position in code points', async (t) => {
  const g = await startTestGateway({ VEIL_SQL_MAX_LENGTH: '200' });
  t.teardown(() => g.close());
  const buyer = g.token('buyer');
  const sql = 'SELECT COUNT(*) FROM nyc311_street_flooding';
  const ok = await g.call('/v1/query', {
    token: buyer,
    body: { sql: `${sql} WHERE borough = '${'😀'.repeat(120)}'` },
  });
  t.equal(ok.status, 200, '182 code points (302 UTF-16 units) are within a limit of 200');
  const long = await g.call('/v1/query', {
    token: buyer,
    body: { sql: `${sql} WHERE borough = '${'😀'.repeat(200)}'` },
  });
  t.equal(long.status, 400);
  t.equal(long.json.error.code, 'VEIL_SQL_TOO_LONG');
  t.equal(long.json.error.length, sql.length + 19 + 200);
  t.equal(long.json.error.limit, 200);
  t.equal(long.json.error.position, 200, 'the first character past the limit');
});
