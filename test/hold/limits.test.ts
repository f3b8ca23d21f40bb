import { rmSync } from 'node:fs';
import t from 'tap';
import { readConfig } from '../../src/config/config.js';
import { Enclave } from '../../src/enclave/enclave.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { chargeRows, dataDir, distinctQuery, ledgerView, nyc } from '../fixtures/hold.js';
import { policyDir } from '../fixtures/policies.js';

/** A statement that runs for many seconds on two threads: a long scan DuckDB can interrupt. */
const SLOW_SQL = 'SELECT count(*) FROM range(20000000000) t(x) WHERE x % 7 = 3';
/** A statement that must hold far more than 32 MB at once: one string of 50 million numbers. */
const HUNGRY_SQL = "SELECT length(string_agg(x::VARCHAR, ',')) FROM range(50000000) t(x)";

t.test('body, SQL length and group-key limits answer with their codes', async (t) => {
  const g = await startTestGateway({ VEIL_BODY_LIMIT: '2048', VEIL_SQL_MAX_LENGTH: '200' });
  t.teardown(() => g.close());
  const token = g.token('buyer', 'limits');
  const big = await g.call('/v1/query', { token, raw: JSON.stringify({ sql: 'x'.repeat(4000) }) });
  t.equal(big.status, 413);
  t.equal(big.json.error.code, 'VEIL_BODY_TOO_LARGE');
  const sql = `SELECT borough, COUNT(*) FROM ${nyc} GROUP BY borough`;
  const long = await g.call('/v1/query', { token, body: { sql: sql + ' '.repeat(200) } });
  t.equal(long.status, 400);
  t.equal(long.json.error.code, 'VEIL_SQL_TOO_LONG');
  t.equal(long.json.error.limit, 200);
  const ok = await g.call('/v1/query', { token, body: { sql } });
  t.equal(ok.status, 200, 'SQL under the limit is answered');
  const keys = Array.from({ length: 9 }, () => 'borough');
  const many = await g.call('/v1/query', {
    token,
    body: { dataset: nyc, groupBy: keys, aggregates: [{ fn: 'count' }] },
  });
  t.equal(many.status, 400, 'more than 8 group keys');
  t.equal(many.json.error.code, 'VEIL_QUERY_INVALID');
  t.same(many.json.error.path, ['groupBy']);
});

t.test('the number of public cells in an answer is capped by maxGroups', async (t) => {
  const policies = policyDir((dataset, p) => {
    if (dataset === nyc) p.maxGroups = 10;
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: policies });
  t.teardown(async () => {
    await g.close();
    rmSync(policies, { recursive: true, force: true });
  });
  const token = g.token('buyer', 'cells');
  const body = {
    dataset: nyc,
    groupBy: ['borough', 'created:month'],
    aggregates: [{ fn: 'count' }],
  };
  const r = await g.call('/v1/query', { token, body });
  t.equal(r.status, 400, '5 boroughs x 4 months = 20 cells > 10');
  t.equal(r.json.error.code, 'VEIL_QUERY_TOO_MANY_GROUPS');
});

t.test('an enclave statement past the time limit is interrupted', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir });
  await g.close();
  const enclave = await Enclave.open({ dataDir: dir, timeoutMs: 100, threads: 2 });
  t.teardown(() => {
    enclave.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await t.rejects(enclave.run(SLOW_SQL, []), { code: 'VEIL_ENCLAVE_TIMEOUT' });
  const rows = await enclave.run('SELECT 41 + 1', []);
  t.same(rows, [[42]], 'the interrupted connection serves the next statement');
});

t.test('a timed-out query is refused with 503 and its reservation released', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_QUERY_TIMEOUT_MS: '100' });
  const real = g.gw.enclave.run.bind(g.gw.enclave);
  g.gw.enclave.run = () => real(SLOW_SQL, []);
  const token = g.token('buyer', 'slow');
  const r = await g.call('/v1/query', { token, body: distinctQuery(0) });
  t.equal(r.status, 503);
  t.equal(r.json.error.code, 'VEIL_ENCLAVE_TIMEOUT');
  t.equal(r.json.error.limitMs, 100);
  const budget = await g.call('/v1/budget', { token });
  const spent = budget.json.budgets.find((b: { dataset: string }) => b.dataset === nyc);
  t.equal(spent?.epsilonSpent ?? 0, 0, 'nothing was charged');
  await g.close();
  t.same(
    chargeRows(dir).map((c) => c.status),
    ['released'],
    'the reservation was released, since no number left the gateway',
  );
  const view = await ledgerView(dir);
  const entry = view.entries.find((e) => e.code === 'VEIL_ENCLAVE_TIMEOUT');
  t.equal(entry?.epsilon, 0, 'the timeout is audited with no charge');
  rmSync(dir, { recursive: true, force: true });
});

t.test('DuckDB memory and thread limits reach the enclave; bad ones stop the start', async (t) => {
  const g = await startTestGateway({ VEIL_DUCKDB_MEMORY: '300MB', VEIL_DUCKDB_THREADS: '1' });
  t.teardown(() => g.close());
  const [[memory, threads]] = (await g.gw.enclave.rawForTest(
    "SELECT current_setting('memory_limit'), current_setting('threads')",
  )) as [[string, number]];
  t.match(String(memory), /^(286\.1 MiB|300\.0 MB|300MB)$/, 'memory limit applied');
  t.equal(Number(threads), 1, 'thread limit applied');
  t.throws(() => readConfig({ VEIL_DUCKDB_MEMORY: 'lots' }), /VEIL_DUCKDB_MEMORY/);
  t.throws(() => readConfig({ VEIL_DUCKDB_THREADS: '0' }), /VEIL_DUCKDB_THREADS/);
  t.throws(() => readConfig({ VEIL_QUERY_TIMEOUT_MS: '1' }), /VEIL_QUERY_TIMEOUT_MS/);
  t.throws(() => readConfig({ VEIL_RATE_LIMIT: '-1' }), /VEIL_RATE_LIMIT/);
});

t.test(
  'a query past the enclave memory limit fails with its code and charges nothing',
  async (t) => {
    const dir = dataDir();
    const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_DUCKDB_MEMORY: '32MB' });
    const real = g.gw.enclave.run.bind(g.gw.enclave);
    g.gw.enclave.run = () => real(HUNGRY_SQL, []);
    const token = g.token('buyer', 'hungry');
    const r = await g.call('/v1/query', { token, body: distinctQuery(0) });
    t.equal(r.status, 500);
    t.equal(r.json.error.code, 'VEIL_ENCLAVE_FAILED');
    t.notMatch(r.text, /memory|MiB|MB/i, 'the engine message stays inside');
    await g.close();
    t.same(
      chargeRows(dir).map((c) => c.status),
      ['released'],
      'the reservation was released: no number left the gateway',
    );
    const view = await ledgerView(dir);
    t.equal(view.entries.find((e) => e.code === 'VEIL_ENCLAVE_FAILED')?.epsilon, 0, 'audited free');
    rmSync(dir, { recursive: true, force: true });
  },
);

t.test('the per-buyer rate limit answers 429 VEIL_RATE_LIMITED, per sub', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_RATE_LIMIT: '5' });
  const a = g.token('buyer', 'eager');
  const statuses: number[] = [];
  for (let i = 0; i < 7; i++) {
    statuses.push((await g.call('/v1/query', { token: a, body: distinctQuery(i) })).status);
  }
  t.same(statuses, [200, 200, 200, 200, 200, 429, 429]);
  const limited = await g.call('/v1/query', { token: a, body: distinctQuery(99) });
  t.equal(limited.json.error.code, 'VEIL_RATE_LIMITED');
  t.ok(limited.json.error.retryAfterSeconds > 0, 'says when to retry');
  const other = await g.call('/v1/query', {
    token: g.token('buyer', 'patient'),
    body: distinctQuery(0),
  });
  t.equal(other.status, 200, 'another buyer is not limited by the first');
  await g.close();
  const view = await ledgerView(dir);
  const refused = view.entries.filter((e) => e.code === 'VEIL_RATE_LIMITED');
  t.equal(refused.length, 3, 'each limited request is audited');
  t.ok(
    refused.every((e) => e.epsilon === 0 && e.buyer === 'eager'),
    'and charged nothing',
  );
  t.equal(chargeRows(dir).length, 6, 'only the answered queries reserved budget');
  rmSync(dir, { recursive: true, force: true });
});
