import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import t from 'tap';
import { verifyExport } from '../../src/audit/export.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { boroughCount } from './helpers.js';

const nyc = 'nyc311_street_flooding';

t.test('privacy-loss report equals the ledger after a mixed session', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const acme = g.token('buyer', 'acme');
  const zeta = g.token('buyer', 'zeta');
  const auditor = g.token('auditor');
  const sql = 'SELECT severity, COUNT(*) FROM gulou_flooding GROUP BY severity';
  const session: [string, unknown, number][] = [
    [acme, boroughCount(1), 200],
    [acme, boroughCount(1), 200],
    [acme, boroughCount(0.5), 200],
    [acme, boroughCount(5), 400],
    [acme, { ...boroughCount(), groupBy: ['incident_address'] }, 400],
    [zeta, { sql, epsilon: 0.25 }, 200],
    [zeta, { sql, epsilon: 0.25 }, 200],
    [zeta, { sql: 'SELECT * FROM gulou_flooding' }, 400],
  ];
  for (const [token, body, status] of session) {
    t.equal((await g.call('/v1/query', { token, body })).status, status);
  }
  const report = await g.call('/v1/audit/privacy-loss', { token: auditor });
  t.equal(report.status, 200);
  t.equal(report.json.alarm, false);
  const rows = report.json.rows.map((r: any) => [
    r.buyer,
    r.dataset,
    r.log.epsilon,
    r.ledger.epsilon,
  ]);
  t.same(rows, [
    ['acme', nyc, 1.5, 1.5],
    ['zeta', 'gulou_flooding', 0.25, 0.25],
  ]);
  const budget = await g.call('/v1/budget', { token: acme });
  const spent = budget.json.budgets.find((b: any) => b.dataset === nyc).epsilonSpent;
  t.equal(spent, report.json.rows[0].ledger.epsilon);
});

t.test("release register, export, verify and a buyer's own entries", async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const acme = g.token('buyer', 'acme');
  const auditor = g.token('auditor');
  const answer = await g.call('/v1/query', {
    token: acme,
    body: { ...boroughCount(1), aggregates: [{ fn: 'count' }, { fn: 'count_units' }] },
  });
  t.equal(answer.status, 200);
  await g.call('/v1/query', { token: g.token('buyer', 'other'), body: boroughCount(2) });

  const cells = await g.call(`/v1/audit/releases?queryId=${answer.json.queryId}`, {
    token: auditor,
  });
  t.equal(cells.json.cells.length, answer.json.rows.length * 2);
  const first = answer.json.rows[0];
  t.match(cells.json.cells[0], {
    dataset: nyc,
    buyer: 'acme',
    keys: { borough: first.borough },
    column: 'count',
    value: first.count,
  });
  t.same(
    cells.json.cells.filter((c: any) => c.column === 'count_units').map((c: any) => c.value),
    answer.json.rows.map((r: any) => r.count_units),
  );

  const verify = await g.call('/v1/audit/verify', { token: auditor });
  t.match(verify.json, { ok: true, checkpoints: Number });

  const key = await g.call('/v1/audit/key', { token: auditor });
  t.match(key.json.publicKey, /^-----BEGIN PUBLIC KEY-----/);
  const exported = await g.call('/v1/audit/export', { token: auditor });
  t.equal(exported.status, 200);
  const result = verifyExport(exported.text, key.json.publicKey);
  t.match(result, { ok: true });
  t.ok(result.ok && result.entries >= 4);
  const tampered = exported.text.replace('"buyer":"acme"', '"buyer":"acmf"');
  t.match(verifyExport(tampered, key.json.publicKey), { ok: false, reason: /contents/ });

  const mine = await g.call('/v1/audit/mine', { token: acme });
  t.ok(mine.json.entries.length >= 1);
  t.ok(mine.json.entries.every((e: any) => e.buyer === 'acme'));
});

t.test(
  'a changed ledger raises the privacy-loss alarm and a rewritten log fails verify',
  async (t) => {
    const g = await startTestGateway();
    t.teardown(() => g.close());
    const acme = g.token('buyer', 'acme');
    const auditor = g.token('auditor');
    t.equal((await g.call('/v1/query', { token: acme, body: boroughCount(1) })).status, 200);
    const raw = new BetterSqlite3(join(g.dir, LEDGER_FILE));
    raw.prepare("UPDATE budget_charges SET epsilon = 0.5 WHERE buyer = 'acme'").run();
    raw.prepare('UPDATE audit_entries SET status = 299 WHERE seq = 1').run();
    raw.close();
    const report = await g.call('/v1/audit/privacy-loss', { token: auditor });
    t.equal(report.json.alarm, true);
    t.match(report.json.rows[0], { buyer: 'acme', log: { epsilon: 1 }, ledger: { epsilon: 0.5 } });
    const verify = await g.call('/v1/audit/verify', { token: auditor });
    t.match(verify.json, { ok: false, brokenAt: 1 });
  },
);
