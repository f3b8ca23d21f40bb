import { createSigner } from 'fast-jwt';
import t from 'tap';
import { startTestGateway, testSecret, type TestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';

const nyc = 'nyc311_street_flooding';
const boroughs = ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'];

/** True distinct units of one released group, with the same rank filter the rewrite uses. */
async function trueUnits(
  g: TestGateway,
  dataset: string,
  where: Record<string, string>,
  m: number,
) {
  const cols = Object.keys(where);
  const cond = cols.map((c, i) => ` AND "${c}" = $${i + 2}`).join('');
  const rows = await g.gw.enclave.run(
    `SELECT count(DISTINCT unit_id) FROM ${dataset} WHERE row_rank <= $1${cond}`,
    [m, ...cols.map((c) => where[c]!)],
  );
  return Number(rows[0]![0]);
}

t.test('bundled policies over real HTTP on the real NYC file', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme-insurance');

  t.test('health and catalogue', async (t) => {
    const h = await g.call('/health');
    t.same(h.json, { status: 'ok', datasets: 2 });
    const c = await g.call('/v1/datasets', { token: buyer });
    t.equal(c.status, 200);
    const ids = c.json.datasets.map((d: { id: string }) => d.id).sort();
    t.same(ids, ['gulou_flooding', nyc]);
    const d = c.json.datasets.find((x: { id: string }) => x.id === nyc);
    t.equal(d.k, 5);
    t.same(d.publicKeys, undefined);
    t.same(d.dimensions.find((x: { name: string }) => x.name === 'created').levels, [
      'day',
      'week',
      'month',
    ]);
    t.equal(d.budget.epsilonLimit, 20);
    t.equal(d.budget.epsilonSpent, 0);
  });

  t.test('a public-key dimension releases every key, and only those', async (t) => {
    const r = await g.call('/v1/query', {
      token: buyer,
      body: { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] },
    });
    t.equal(r.status, 200);
    t.same(
      r.json.rows.map((x: { borough: string }) => x.borough),
      boroughs,
    );
    t.equal(r.json.privacy.delta, 0, 'no partition selection, so no delta');
    const months = await g.call('/v1/query', {
      token: buyer,
      body: {
        dataset: nyc,
        groupBy: ['created:month', 'borough'],
        aggregates: [{ fn: 'count', as: 'n' }],
      },
    });
    t.equal(months.json.rows.length, 20, '4 months x 5 boroughs');
    t.same(
      [...new Set(months.json.rows.map((x: Record<string, string>) => x['created:month']))],
      ['2022-11', '2022-12', '2023-01', '2023-02'],
    );
    t.ok(
      months.json.rows.every((x: { n: unknown }) => Number.isInteger(x.n)),
      'counts are integers',
    );
  });

  t.test('answer shape is the documented contract', async (t) => {
    const r = await g.call('/v1/query', {
      token: buyer,
      body: {
        dataset: nyc,
        groupBy: ['borough'],
        aggregates: [
          { fn: 'count' },
          { fn: 'count_units' },
          { fn: 'sum', column: 'hours_to_close' },
          { fn: 'avg', column: 'hours_to_close', as: 'mean' },
        ],
      },
    });
    t.equal(r.status, 200);
    t.match(r.json, {
      queryId: String,
      dataset: nyc,
      policyVersion: /^v\d+-[0-9a-f]{8}$/,
      privacy: { epsilon: 1, delta: 0, remaining: { epsilon: Number, delta: Number } },
      noise: {
        count: { mechanism: 'discrete_laplace', scale: Number },
        count_units: { mechanism: 'discrete_laplace', scale: Number },
        sum_hours_to_close: { mechanism: 'discrete_laplace', scale: Number },
        mean: { mechanism: 'discrete_laplace', scale: Number },
      },
    });
    t.same(Object.keys(r.json.rows[0]), [
      'borough',
      'count',
      'count_units',
      'sum_hours_to_close',
      'mean',
    ]);
    for (const row of r.json.rows)
      t.ok(row.mean >= 0 && row.mean <= 168, 'avg stays within the clamp range');
  });

  t.test('SQL and JSON forms give the same answer shape', async (t) => {
    const r = await g.call('/v1/query', {
      token: buyer,
      body: {
        sql: 'SELECT borough, COUNT(*) AS complaints FROM nyc311_street_flooding GROUP BY borough',
      },
    });
    t.equal(r.status, 200);
    t.same(
      r.json.rows.map((x: { borough: string }) => x.borough),
      boroughs,
    );
    t.same(Object.keys(r.json.rows[0]), ['borough', 'complaints']);
    const bad = await g.call('/v1/query', {
      token: buyer,
      body: { sql: 'SELECT * FROM nyc311_street_flooding' },
    });
    t.equal(bad.status, 400);
    t.equal(bad.json.error.code, 'VEIL_SQL_SELECT_STAR');
    t.equal(bad.json.error.position, 7, 'the position points at the star');
    const log = await g.call('/v1/audit/entries?code=VEIL_SQL_SELECT_STAR', {
      token: g.token('auditor'),
    });
    t.equal(log.json.entries.length, 1, 'the SQL refusal is audited with its code');
    t.equal(log.json.entries[0].query, 'SELECT * FROM nyc311_street_flooding', 'as received');
    t.equal(log.json.entries[0].epsilon, 0, 'and charged nothing');
  });

  t.test('bad tokens get 401, wrong roles 403', async (t) => {
    const body = { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] };
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const signWith = (key: string, payload: object) =>
      createSigner({ key, algorithm: 'HS256', noTimestamp: true })(payload);
    const cases: [string, string | undefined, number, string][] = [
      ['no token', undefined, 401, 'VEIL_AUTH_MISSING'],
      ['garbage', 'not-a-jwt', 401, 'VEIL_AUTH_INVALID'],
      [
        'wrong secret',
        signWith('another-secret-another-secret-1234', { sub: 'x', role: 'buyer', exp: now + 60 }),
        401,
        'VEIL_AUTH_INVALID',
      ],
      [
        'unsigned (alg none)',
        `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', role: 'buyer', exp: now + 60 })}.`,
        401,
        'VEIL_AUTH_INVALID',
      ],
      [
        'expired',
        signWith(testSecret, { sub: 'x', role: 'buyer', exp: now - 60 }),
        401,
        'VEIL_AUTH_INVALID',
      ],
      ['no exp', signWith(testSecret, { sub: 'x', role: 'buyer' }), 401, 'VEIL_AUTH_INVALID'],
      ['no role', signWith(testSecret, { sub: 'x', exp: now + 60 }), 401, 'VEIL_AUTH_CLAIMS'],
      [
        'unknown role',
        signWith(testSecret, { sub: 'x', role: 'admin', exp: now + 60 }),
        401,
        'VEIL_AUTH_CLAIMS',
      ],
      ['no sub', signWith(testSecret, { role: 'buyer', exp: now + 60 }), 401, 'VEIL_AUTH_CLAIMS'],
      ['auditor queries', g.token('auditor'), 403, 'VEIL_AUTH_FORBIDDEN'],
      ['bureau queries', g.token('bureau'), 403, 'VEIL_AUTH_FORBIDDEN'],
    ];
    for (const [name, token, status, code] of cases) {
      const r = await g.call('/v1/query', { body, ...(token ? { token } : {}) });
      t.equal(r.status, status, `${name}: status`);
      t.equal(r.json?.error?.code, code, `${name}: code`);
    }
    const audit = await g.call('/v1/audit/entries', { token: buyer });
    t.equal(audit.status, 403, 'a buyer cannot read the audit log');
    const budget = await g.call('/v1/budget', { token: g.token('auditor') });
    t.equal(budget.status, 403, 'an auditor has no budget route');
  });

  t.test('no identifier value appears in any response body or log line', async (t) => {
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    const file = new URL(
      '../../datasets/nyc311_street_flooding_sj_2022-11_to_2023-02.csv',
      import.meta.url,
    ).pathname;
    const reader = await conn.runAndReadAll(
      `SELECT incident_address, bbl, latitude, longitude, x_coordinate_state_plane, y_coordinate_state_plane, unique_key FROM read_csv('${file}', all_varchar = true)`,
    );
    const words = new Set<string>();
    const numbers = new Set<string>();
    for (const row of reader.getRowsJS()) {
      const [address, bbl, lat, lon, x, y, key] = row.map((v) =>
        v === null ? '' : String(v).trim(),
      );
      if (address && address.length >= 6) words.add(address);
      for (const n of [
        bbl?.replace(/\.0+$/, ''),
        lat,
        lon,
        x?.replace(/\.0+$/, ''),
        y?.replace(/\.0+$/, ''),
        key,
      ]) {
        if (n && n.length >= 6) numbers.add(n);
      }
    }
    conn.closeSync();
    db.closeSync();
    t.ok(words.size > 500 && numbers.size > 2000, 'the file has identifiers to look for');
    await g.call('/v1/query', {
      token: buyer,
      body: {
        dataset: nyc,
        groupBy: ['zip', 'created:day'],
        aggregates: [{ fn: 'count' }, { fn: 'avg', column: 'hours_to_close' }],
      },
    });
    await g.call('/v1/query', {
      token: buyer,
      body: { dataset: nyc, groupBy: ['incident_address'], aggregates: [{ fn: 'count' }] },
    });
    await g.call('/v1/query', {
      token: buyer,
      body: {
        dataset: nyc,
        groupBy: ['zip'],
        aggregates: [{ fn: 'count' }],
        filters: [{ column: 'bbl', op: 'eq', value: '3074300053' }],
      },
    });
    const texts = [...g.bodies, ...g.logs];
    t.ok(texts.length > 20, 'responses and logs were captured');
    const leaks: string[] = [];
    for (const text of texts) {
      for (const w of words) if (text.includes(w)) leaks.push(w);
      for (const n of numbers) {
        const at = text.indexOf(n);
        if (
          at >= 0 &&
          !/[0-9]/.test(text[at - 1] ?? '') &&
          !/[0-9]/.test(text[at + n.length] ?? '')
        )
          leaks.push(n);
      }
    }
    t.same(leaks, [], 'no address, BBL, coordinate or request number leaked');
  });

  t.test('bad bodies get 400 with a code and change nothing', async (t) => {
    const before = await g.call('/v1/budget', { token: buyer });
    const runs = g.gw.enclave.statementsRun;
    const cases: [string, { raw?: string; body?: unknown }, number, string][] = [
      ['invalid JSON', { raw: '{"dataset": ' }, 400, 'VEIL_BODY_INVALID_JSON'],
      ['array body', { body: [1, 2] }, 400, 'VEIL_QUERY_INVALID'],
      ['wrong type', { body: { dataset: nyc, aggregates: 'count' } }, 400, 'VEIL_QUERY_INVALID'],
      [
        'unknown field',
        { body: { dataset: nyc, aggregates: [{ fn: 'count' }], rows: true } },
        400,
        'VEIL_QUERY_INVALID',
      ],
      [
        'unknown dataset',
        { body: { dataset: 'nope', aggregates: [{ fn: 'count' }] } },
        404,
        'VEIL_QUERY_UNKNOWN_DATASET',
      ],
      [
        'unknown column',
        { body: { dataset: nyc, groupBy: ['color'], aggregates: [{ fn: 'count' }] } },
        400,
        'VEIL_QUERY_UNKNOWN_COLUMN',
      ],
      [
        'identifier',
        { body: { dataset: nyc, groupBy: ['bbl'], aggregates: [{ fn: 'count' }] } },
        400,
        'VEIL_QUERY_IDENTIFIER',
      ],
      [
        'identifier in a sum',
        { body: { dataset: nyc, aggregates: [{ fn: 'sum', column: 'latitude' }] } },
        400,
        'VEIL_QUERY_IDENTIFIER',
      ],
      [
        'level not allowed',
        {
          body: {
            dataset: 'gulou_flooding',
            groupBy: ['called:week'],
            aggregates: [{ fn: 'count' }],
          },
        },
        400,
        'VEIL_QUERY_LEVEL_NOT_ALLOWED',
      ],
      [
        'epsilon above max',
        { body: { dataset: nyc, aggregates: [{ fn: 'count' }], epsilon: 5 } },
        400,
        'VEIL_QUERY_EPSILON',
      ],
      [
        'NaN-like epsilon',
        { raw: `{"dataset":"${nyc}","aggregates":[{"fn":"count"}],"epsilon":1e999}` },
        400,
        'VEIL_QUERY_INVALID',
      ],
      [
        'sum without column',
        { body: { dataset: nyc, aggregates: [{ fn: 'sum' }] } },
        400,
        'VEIL_QUERY_BAD_AGGREGATE',
      ],
      [
        'between with one value',
        {
          body: {
            dataset: nyc,
            aggregates: [{ fn: 'count' }],
            filters: [{ column: 'created:month', op: 'between', values: ['2022-12'] }],
          },
        },
        400,
        'VEIL_QUERY_BAD_FILTER',
      ],
      [
        'duplicate output name',
        {
          body: { dataset: nyc, aggregates: [{ fn: 'count' }, { fn: 'count_units', as: 'count' }] },
        },
        400,
        'VEIL_QUERY_DUPLICATE_NAME',
      ],
    ];
    for (const [name, req, status, code] of cases) {
      const r = await g.call('/v1/query', { token: buyer, ...req });
      t.equal(r.status, status, `${name}: status`);
      t.equal(r.json?.error?.code, code, `${name}: code`);
      t.type(r.json?.error?.message, 'string', `${name}: a sentence`);
    }
    const after = await g.call('/v1/budget', { token: buyer });
    t.same(after.json, before.json, 'no budget spent');
    t.equal(g.gw.enclave.statementsRun, runs, 'the enclave ran nothing');
    const audit = await g.call(
      '/v1/audit/entries?outcome=refused&buyer=acme-insurance&limit=1000',
      {
        token: g.token('auditor'),
      },
    );
    const codes = audit.json.entries.map((e: { code: string }) => e.code);
    for (const [, , , code] of cases) t.ok(codes.includes(code), `refusal ${code} is audited`);
    const verify = await g.call('/v1/audit/verify', { token: g.token('auditor') });
    t.equal(verify.json.ok, true, 'the audit chain verifies');
  });
});

t.test('loose policy: groups near k are released, none below k', async (t) => {
  const dir = policyDir((_ds, p) => {
    p.epsilon = { default: 50, max: 50 };
    p.delta = 1e-3;
    p.budgets.perBuyer = { epsilon: 100000, delta: 0.5 };
    p.budgets.dataset = { epsilon: 100000, delta: 0.9 };
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: dir });
  t.teardown(() => g.close());
  const buyer = g.token('buyer');
  let released = 0;
  let nearK = 0;
  for (const groupBy of [
    ['community_board'],
    ['zip'],
    ['community_board', 'created:month'],
    ['created:day'],
    ['status', 'channel'],
  ]) {
    const r = await g.call('/v1/query', {
      token: buyer,
      body: { dataset: nyc, groupBy, aggregates: [{ fn: 'count_units' }] },
    });
    t.equal(r.status, 200);
    for (const row of r.json.rows) {
      const where: Record<string, string> = {};
      for (const gb of groupBy) where[gb.replace(':', '_')] = row[gb];
      const units = await trueUnits(g, nyc, where, 2);
      t.ok(units >= 5, `${JSON.stringify(where)} has ${units} >= k units`);
      released++;
      if (units <= 7) nearK++;
    }
  }
  t.ok(released > 50, `many groups released (${released})`);
  t.ok(nearK > 5, `groups just above k are released too (${nearK}), so the floor was exercised`);
});

t.test('an exhausted budget refuses with its code and the enclave runs nothing', async (t) => {
  const dir = policyDir((_ds, p) => {
    p.budgets.buyers = { 'small-buyer': { epsilon: 2.5, delta: 1e-3 } };
    p.epsilon.max = 2;
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: dir });
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'small-buyer');
  const q = (epsilon: number, dim = 'borough') => ({
    dataset: nyc,
    groupBy: [dim],
    aggregates: [{ fn: 'count' }],
    epsilon,
  });
  t.equal((await g.call('/v1/query', { token: buyer, body: q(1) })).status, 200);
  const second = await g.call('/v1/query', { token: buyer, body: q(1, 'created:month') });
  t.equal(second.json.privacy.remaining.epsilon, 0.5);
  const runs = g.gw.enclave.statementsRun;
  const refused = await g.call('/v1/query', { token: buyer, body: q(1, 'status') });
  t.equal(refused.status, 429);
  t.equal(refused.json.error.code, 'VEIL_BUDGET_EXHAUSTED');
  t.equal(g.gw.enclave.statementsRun, runs, 'nothing ran in the enclave');
  const budget = await g.call('/v1/budget', { token: buyer });
  const row = budget.json.budgets.find((b: { dataset: string }) => b.dataset === nyc);
  t.equal(row.epsilonSpent, 2);
  t.equal(row.epsilonLimit, 2.5);
  t.equal(
    (await g.call('/v1/query', { token: buyer, body: q(0.5) })).status,
    200,
    'what is left can be spent',
  );
  const log = await g.call('/v1/audit/entries?buyer=small-buyer&dataset=nyc311_street_flooding', {
    token: g.token('auditor'),
  });
  const outcomes = log.json.entries.map(
    (e: { outcome: string; code: string | null }) => `${e.outcome}:${e.code}`,
  );
  t.same(outcomes.filter((o: string) => o.startsWith('answered')).length, 3);
  t.ok(outcomes.includes('refused:VEIL_BUDGET_EXHAUSTED'));
});

t.test('names of built-in object properties are refused, not looked up', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'constructor');
  const cases: [unknown, string][] = [
    [{ dataset: nyc, aggregates: [{ fn: 'sum', column: 'valueOf' }] }, 'VEIL_QUERY_UNKNOWN_COLUMN'],
    [
      {
        dataset: nyc,
        aggregates: [{ fn: 'count' }],
        filters: [{ column: 'constructor', op: 'eq', value: 'x' }],
      },
      'VEIL_QUERY_UNKNOWN_COLUMN',
    ],
    [
      { dataset: nyc, groupBy: ['__proto__'], aggregates: [{ fn: 'count' }] },
      'VEIL_QUERY_UNKNOWN_COLUMN',
    ],
    [{ dataset: 'toString', aggregates: [{ fn: 'count' }] }, 'VEIL_QUERY_UNKNOWN_DATASET'],
  ];
  for (const [body, code] of cases) {
    const r = await g.call('/v1/query', { token: buyer, body });
    t.equal(r.json?.error?.code, code, JSON.stringify(body));
  }
  const ok = await g.call('/v1/query', {
    token: buyer,
    body: { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] },
  });
  t.equal(
    ok.json.privacy.remaining.epsilon,
    19,
    'a buyer named "constructor" gets the default budget',
  );
});

t.test('buyers never learn how many groups were suppressed', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'curious');
  const probe = (zip: string) =>
    g.call('/v1/query', {
      token: buyer,
      body: {
        sql: `SELECT zip, COUNT(*) FROM nyc311_street_flooding WHERE day(created) = '2023-02-14' AND zip = '${zip}' GROUP BY 1`,
      },
    });
  const one = await probe('11235');
  const none = await probe('11234');
  t.same(one.json.rows, [], 'a one-household group is not released');
  t.same(Object.keys(one.json.privacy).sort(), Object.keys(none.json.privacy).sort());
  t.equal(one.json.privacy.groupsSuppressed, undefined, 'no suppressed count in the answer');
  t.equal(one.json.privacy.groupsReleased, none.json.privacy.groupsReleased);
  const mine = await g.call('/v1/audit/mine', { token: buyer });
  t.equal(mine.status, 200);
  t.ok(mine.json.entries.length >= 2);
  t.ok(
    mine.json.entries.every((e: object) => !('groupsSuppressed' in e)),
    'nor in the buyer view of the audit log',
  );
  const audit = await g.call(
    '/v1/audit/entries?buyer=curious&outcome=answered&dataset=nyc311_street_flooding',
    {
      token: g.token('auditor'),
    },
  );
  t.same(
    audit.json.entries.map((e: { groupsSuppressed: number }) => e.groupsSuppressed),
    [1, 0],
    'auditors see it',
  );
});

t.test('a loose accuracy target cannot buy a query below the minimum epsilon', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const r = await g.call('/v1/query', {
    token: g.token('buyer'),
    body: {
      dataset: nyc,
      groupBy: ['borough'],
      aggregates: [{ fn: 'count' }],
      accuracy: { aggregate: 'count', halfWidth: 1e300 },
    },
  });
  t.equal(r.status, 200);
  t.equal(r.json.privacy.epsilon, 0.001);
});

t.test('bodies must be JSON, and organisations are trimmed ids', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const body = JSON.stringify({
    dataset: nyc,
    groupBy: ['borough'],
    aggregates: [{ fn: 'count' }],
  });
  const text = await g.call('/v1/query', {
    token: g.token('buyer'),
    raw: body,
    headers: { 'content-type': 'text/plain' },
  });
  t.equal(text.status, 415);
  t.equal(text.json.error.code, 'VEIL_BODY_UNSUPPORTED_TYPE');
  for (const sub of ['   ', 'acme ', ' acme', 'ac\u0000me']) {
    const r = await g.call('/v1/budget', { token: g.token('buyer', sub) });
    t.equal(r.json?.error?.code, 'VEIL_AUTH_CLAIMS', JSON.stringify(sub));
  }
  t.equal((await g.call('/v1/budget', { token: g.token('buyer', 'Acme Re, Ltd.') })).status, 200);
});

t.test('an answer carries at most maxGroups rows, cut after noise', async (t) => {
  const dir = policyDir((_ds, p) => {
    p.maxGroups = 10;
    p.epsilon = { default: 50, max: 50 };
    p.delta = 1e-3;
    p.budgets.perBuyer = { epsilon: 1000, delta: 0.5 };
    p.budgets.dataset = { epsilon: 1000, delta: 0.9 };
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: dir });
  t.teardown(() => g.close());
  const r = await g.call('/v1/query', {
    token: g.token('buyer'),
    body: { dataset: nyc, groupBy: ['zip'], aggregates: [{ fn: 'count_units' }] },
  });
  t.equal(r.status, 200);
  t.equal(r.json.rows.length, 10, 'cut to maxGroups');
  t.ok(
    r.json.privacy.groupsReleased > 10,
    `the count before the cut says so (${r.json.privacy.groupsReleased})`,
  );
  t.equal(r.json.privacy.epsilon, 50, 'charged as usual: the noise was drawn');
});
