import t from 'tap';
import { laplaceHalfWidth } from '../../src/privacy/accuracy.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';

/**
 * The row of suppressed groups over HTTP, on the bundled NYC data (1,000
 * complaints; no ZIP code reaches the threshold at epsilon 1, so nearly
 * everything is in the row): it is asked for with `"other": true` (JSON or
 * SQL body), carries the noisy total of the withheld groups, is priced by
 * the quote, is charged what the plan says, and is part of the question:
 * a repeat is free and identical, the same query without it is another.
 */

const nyc = 'nyc311_street_flooding';
const body = {
  dataset: nyc,
  groupBy: ['zip'],
  aggregates: [
    { fn: 'count', as: 'n' },
    { fn: 'count_units', as: 'households' },
    { fn: 'sum', column: 'hours_to_close', as: 'hours' },
  ],
  epsilon: 1,
  other: true,
};
const sql =
  'SELECT SUM(hours_to_close) AS h, zip, COUNT(DISTINCT unit) AS u, COUNT(*) AS c ' +
  `FROM ${nyc} GROUP BY zip`;

type Row = Record<string, string | number | null>;

async function spent(g: TestGateway, token: string) {
  const b = await g.call('/v1/budget', { token });
  return b.json.budgets.find((x: { dataset: string }) => x.dataset === nyc);
}

/** The truth over the kept rows of every ZIP not released on its own row. */
async function truthOutside(g: TestGateway, released: string[]) {
  const list = released.map((z) => `'${z.replace(/'/g, "''")}'`).join(', ');
  const [row] = await g.gw.enclave.rawForTest(
    `SELECT count(*), count(DISTINCT unit_id),
       sum(round(least(greatest(CASE WHEN isfinite(hours_to_close) THEN hours_to_close END,
         0), 168) / 0.1))
     FROM ${nyc} WHERE row_rank <= 2 AND zip IS NOT NULL
     ${released.length ? `AND zip NOT IN (${list})` : ''}`,
  );
  return { rows: Number(row![0]), units: Number(row![1]), hours: Number(row![2]) / 10 };
}

t.test('the row carries the noisy total of the withheld groups, priced and charged', async (t) => {
  const g = await startTestGateway({}, 'other-row-http');
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');

  const quote = await g.call('/v1/query/quote', { token: buyer, body });
  t.equal(quote.status, 200, quote.text);
  t.equal(quote.json.epsilon, 1);
  t.equal(quote.json.delta, 1e-5, 'half of δ for the groups, half for the row');
  t.match(quote.json.otherRow, { tau: Number, halfWidth: { n: 24, households: 12 } });
  t.equal(quote.json.intervals.halfWidth.households, 24, 'the groups: b = 8; the row: b = 4');
  const plain = await g.call('/v1/query/quote', { token: buyer, body: { ...body, other: false } });
  t.equal(plain.json.otherRow, null);
  t.ok(
    quote.json.partitionSelection.tau > plain.json.partitionSelection.tau,
    `the groups' tau rises (${plain.json.partitionSelection.tau} to ` +
      `${quote.json.partitionSelection.tau}): one more share of ε, half of δ`,
  );

  const runs = g.gw.enclave.statementsRun;
  const a = await g.call('/v1/query', { token: buyer, body });
  t.equal(a.status, 200, a.text);
  t.equal(g.gw.enclave.statementsRun - runs, 2, 'the groups, then the row of the withheld ones');
  t.equal(a.json.privacy.epsilon, quote.json.epsilon, 'charged what the quote said');
  t.equal(a.json.privacy.delta, quote.json.delta);
  t.match(await spent(g, buyer), { epsilonSpent: 1, deltaSpent: 1e-5 });
  t.match(a.json.other, {
    released: true,
    keys: { zip: 'OTHER' },
    tau: quote.json.otherRow.tau,
    halfWidth: quote.json.otherRow.halfWidth,
  });
  t.equal(a.json.other.noise.households.scale, 4, 'b = 1 / (ε/4)');
  t.equal(a.json.noise.households.scale, 8, 'the groups: b = m / (ε/4)');

  const rows = a.json.rows as Row[];
  const others = rows.filter((r) => r.zip === 'OTHER');
  t.equal(others.length, 1, 'one row of suppressed groups');
  t.equal(rows.at(-1), others[0], 'last, after the released groups in key order');
  t.equal(a.json.privacy.groupsReleased, rows.length);
  const released = rows.filter((r) => r.zip !== 'OTHER').map((r) => String(r.zip));
  const truth = await truthOutside(g, released);
  t.ok(truth.units > 500, `${truth.units} households are in withheld ZIP codes`);
  const row = others[0]!;
  // Each bound fails by chance with probability 1e-6 (two-sided discrete Laplace tail).
  const bound = (scale: number) => laplaceHalfWidth(scale, 1 - 1e-6);
  t.ok(Math.abs(Number(row.n) - truth.rows) <= bound(a.json.noise.n.scale), `n ${row.n}`);
  t.ok(Math.abs(Number(row.households) - truth.units) <= bound(4), `units ${row.households}`);
  const hoursBound = bound(a.json.noise.hours.scale / 0.1) * 0.1;
  t.ok(Math.abs(Number(row.hours) - truth.hours) <= hoursBound, `hours ${row.hours}`);
  t.not(row.households, truth.units, 'noisy (this seeded draw is not 0)');

  const audit = await g.gw.store.audit.list({ limit: 1000 });
  const entry = audit.entries.find((e) => e.queryId === a.json.queryId)!;
  t.equal(entry.epsilon, 1);
  t.match(entry.rewrittenSql, /unnest/, 'the row statement is in the audit entry');
  t.notMatch(entry.rewrittenSql, new RegExp(released[0] ?? 'no-zip-released'), 'no key in it');

  const again = await g.call('/v1/query', { token: buyer, body: { sql, epsilon: 1, other: true } });
  t.equal(again.status, 200, again.text);
  t.equal(g.gw.enclave.statementsRun - runs, 2, 'a repeat runs nothing');
  t.same(again.json.privacy.epsilon, 0);
  t.same(again.json.cached, { queryId: a.json.queryId, epsilon: 1, delta: 1e-5 });
  const respelled = (again.json.rows as Row[]).map((r) => [r.zip, r.c, r.u, r.h]);
  t.same(
    respelled,
    rows.map((r) => [r.zip, r.n, r.households, r.hours]),
    'the same noisy numbers, SQL spelling, other aliases',
  );
  t.same(again.json.other.keys, { zip: 'OTHER' });
  t.same(again.json.other.noise.u, a.json.other.noise.households);
  t.match(await spent(g, buyer), { epsilonSpent: 1 });

  const without = await g.call('/v1/query', { token: buyer, body: { ...body, other: false } });
  t.equal(without.status, 200);
  t.equal(without.json.cached, undefined, 'without the row it is another question');
  t.equal(without.json.privacy.epsilon, 1);
  t.equal(without.json.other, undefined);
  t.notOk((without.json.rows as Row[]).some((r) => r.zip === 'OTHER'));
  t.equal(g.gw.enclave.statementsRun - runs, 3, 'and runs its one statement only');
});

t.test('withheld groups of fewer than k households give no row', async (t) => {
  const g = await startTestGateway({}, 'other-row-few');
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const lonely = await g.gw.enclave.rawForTest(
    `SELECT zip FROM ${nyc} WHERE row_rank <= 2 AND zip IS NOT NULL
     GROUP BY zip HAVING count(DISTINCT unit_id) = 1 ORDER BY zip LIMIT 3`,
  );
  t.equal(lonely.length, 3, 'three ZIP codes with one household each');
  const zips = lonely.map((r) => String(r[0]));
  const [units] = await g.gw.enclave.rawForTest(
    `SELECT count(DISTINCT unit_id) FROM ${nyc}
     WHERE row_rank <= 2 AND zip IN (${zips.map((z) => `'${z}'`).join(', ')})`,
  );
  t.ok(Number(units![0]) < 5, `${Number(units![0])} households in all, below k`);
  const narrow = { ...body, filters: [{ column: 'zip', op: 'in', values: zips }] };
  const runs = g.gw.enclave.statementsRun;
  const a = await g.call('/v1/query', { token: buyer, body: narrow });
  t.equal(a.status, 200, a.text);
  t.same(a.json.rows, [], 'no group and no row');
  t.equal(a.json.other.released, false);
  t.equal(g.gw.enclave.statementsRun - runs, 2, 'the row was computed and withheld');
  t.equal(a.json.privacy.epsilon, 1, 'and charged: the mechanisms ran');
});

t.test('asking for the row where nothing is withheld is refused, free', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const runs = g.gw.enclave.statementsRun;
  const publicOnly = { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] };
  for (const refused of [
    { ...publicOnly, other: true },
    { dataset: nyc, aggregates: [{ fn: 'count' }], other: true },
    { sql: `SELECT borough, COUNT(*) FROM ${nyc} GROUP BY borough`, other: true },
  ]) {
    for (const route of ['/v1/query', '/v1/query/quote']) {
      const r = await g.call(route, { token: buyer, body: refused });
      t.equal(r.status, 400, r.text);
      t.equal(r.json.error.code, 'VEIL_QUERY_OTHER_ROW');
      t.same(r.json.error.path, ['other']);
    }
  }
  t.equal(g.gw.enclave.statementsRun, runs, 'nothing ran');
  t.equal((await spent(g, buyer))?.epsilonSpent ?? 0, 0, 'nothing was charged');
  const fine = await g.call('/v1/query', { token: buyer, body: { ...publicOnly, other: false } });
  t.equal(fine.status, 200, '"other": false is the default');
  t.equal(g.gw.enclave.statementsRun - runs, 1, 'one statement, as ever');
});

t.test('a median in the row is drawn from the histogram of the withheld rows', async (t) => {
  const g = await startTestGateway({}, 'other-row-median');
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const median = {
    dataset: nyc,
    groupBy: ['zip'],
    aggregates: [{ fn: 'count' }, { fn: 'median', column: 'hours_to_close', as: 'mid' }],
    other: true,
  };
  const runs = g.gw.enclave.statementsRun;
  const a = await g.call('/v1/query', { token: buyer, body: median });
  t.equal(a.status, 200, a.text);
  t.equal(g.gw.enclave.statementsRun - runs, 4, 'groups, their histogram, the row, its histogram');
  const row = (a.json.rows as Row[]).find((r) => r.zip === 'OTHER')!;
  t.ok(row, 'the row is released');
  const mid = Number(row.mid);
  t.ok(mid >= 0 && mid <= 168, `its median ${mid} is inside the bounds`);
  // Bins of 1.7 h (17 steps of 0.1) whose midpoints are 0.8 h past a bin's start.
  t.equal(Math.round((mid - 0.8) * 10) % 17, 0, 'and is a bin midpoint');
  t.same(a.json.other.noise.mid, a.json.noise.mid, 'the same exponential mechanism');
});
