import BetterSqlite3 from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { listCells } from '../../src/audit/releases.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import { openStore } from '../../src/ledger/store.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { boroughCount } from './helpers.js';

/**
 * The release register must let an auditor see every cell that ever left,
 * however many: it is read in pages, and the pages together are the whole
 * register, each cell once.
 */

t.test('the register pages through every released cell exactly once', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const auditor = g.token('auditor');
  const answers = [];
  for (let i = 0; i < 5; i++) {
    const body = {
      ...boroughCount(0.2 + i / 100),
      aggregates: [{ fn: 'count' }, { fn: 'sum', column: 'hours_to_close' }],
    };
    const a = await g.call('/v1/query', { token: buyer, body });
    t.equal(a.status, 200);
    answers.push(a.json);
  }
  const expected = answers.flatMap((a) =>
    a.rows.flatMap((r: any) => [
      JSON.stringify([a.queryId, r.borough, 'count', r.count]),
      JSON.stringify([a.queryId, r.borough, 'sum_hours_to_close', r.sum_hours_to_close]),
    ]),
  );
  t.equal(expected.length, 50, 'five answers of five boroughs and two columns');

  const seen: string[] = [];
  let after: number | null = 0;
  let pages = 0;
  while (after !== null) {
    const page = await g.call(`/v1/audit/releases?limit=7&after=${after}`, { token: auditor });
    t.equal(page.status, 200);
    for (const c of page.json.cells) {
      seen.push(JSON.stringify([c.queryId, c.keys.borough, c.column, c.value]));
    }
    after = page.json.nextAfter;
    pages += 1;
    t.ok(pages <= 8, 'the paging ends');
  }
  t.equal(pages, 8, '50 cells in pages of 7: seven full pages and one of one');
  t.equal(new Set(seen).size, seen.length, 'no cell twice');
  t.same([...seen].sort(), [...expected].sort(), 'every released cell, with its noisy value');

  const one = await g.call(`/v1/audit/releases?queryId=${answers[2].queryId}`, { token: auditor });
  t.equal(one.json.cells.length, 10);
  t.equal(one.json.nextAfter, null);
  const bad = await g.call('/v1/audit/releases?after=-1', { token: auditor });
  t.equal(bad.status, 400);
  t.equal(bad.json.error.code, 'VEIL_QUERY_INVALID');
});

t.test('a limited answer registers every row it released, not only those shown', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const auditor = g.token('auditor');
  const limited = await g.call('/v1/query', {
    token: buyer,
    body: { ...boroughCount(0.7), orderBy: [{ column: 'count', desc: true }], limit: 1 },
  });
  t.equal(limited.status, 200);
  t.equal(limited.json.rows.length, 1);
  const whole = await g.call('/v1/query', { token: buyer, body: boroughCount(0.7) });
  t.equal(whole.json.privacy.epsilon, 0, 'the same question without the limit is a free repeat');
  t.equal(whole.json.rows.length, 5);
  const reg = await g.call(`/v1/audit/releases?queryId=${limited.json.queryId}`, {
    token: auditor,
  });
  const registered = reg.json.cells.map((c: any) => [c.keys.borough, c.value]).sort();
  t.same(
    registered,
    whole.json.rows.map((r: any) => [r.borough, r.count]).sort(),
    'every row the repeat hands out was registered when first released',
  );
});

t.test('a store with the per-cell register is moved to one row per answer at start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-register-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await (await openStore(dir)).close();
  const raw = new BetterSqlite3(join(dir, LEDGER_FILE));
  raw.exec(`CREATE TABLE released_cells (query_id text not null, dataset text not null,
    buyer text not null, at text not null, keys text not null, "column" text not null,
    value double precision)`);
  const insert = raw.prepare('INSERT INTO released_cells VALUES (?, ?, ?, ?, ?, ?, ?)');
  const at = (s: number) => `2026-01-01T00:00:0${s}.000Z`;
  insert.run('q2', 'floods', 'acme', at(2), '{"b":"x"}', 'count', 7);
  insert.run('q1', 'floods', 'acme', at(1), '{"b":"y"}', 'count', 3);
  insert.run('q1', 'floods', 'acme', at(1), '{"b":"x"}', 'count', 4);
  insert.run('q1', 'floods', 'acme', at(1), '{"b":"x"}', 'sum', null);
  raw.close();

  const store = await openStore(dir);
  t.teardown(() => store.close());
  const page = await listCells(store.db, { limit: 10 });
  t.same(
    page.cells.map((c) => [c.queryId, c.keys.b, c.column, c.value]),
    [
      ['q1', 'x', 'count', 4],
      ['q1', 'x', 'sum', null],
      ['q1', 'y', 'count', 3],
      ['q2', 'x', 'count', 7],
    ],
    'every old cell, in the register order',
  );
  const second = await listCells(store.db, { limit: 3, after: 2 });
  t.same(
    second.cells.map((c) => [c.queryId, c.keys.b]),
    [
      ['q1', 'y'],
      ['q2', 'x'],
    ],
    'paging crosses from one answer into the next',
  );
  t.equal(second.nextAfter, null);
  const tables = await store.db.introspection.getTables();
  t.notOk(
    tables.some((tb) => tb.name === 'released_cells'),
    'the old table is gone',
  );
});
