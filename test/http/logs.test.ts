import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';

t.test('one log line per request, levels by status, no bodies or values', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const token = g.token('buyer', 'acme-logs');
  const sql =
    'SELECT community_board, COUNT(*) AS n FROM nyc311_street_flooding ' +
    "WHERE borough = 'QUEENS' GROUP BY ALL";
  const calls = [
    await g.call('/v1/query', { token, body: { sql } }),
    await g.call('/v1/query', {
      token,
      body: {
        dataset: 'nyc311_street_flooding',
        aggregates: [{ fn: 'count' }],
        filters: [{ column: 'incident_address', op: 'eq', value: '123 SECRET LANE' }],
      },
    }),
    await g.call('/v1/query', { body: { sql } }),
    await g.call('/v1/nothing?borough=STATEN%20ISLAND', { token }),
  ];
  t.same(
    calls.map((c) => c.status),
    [200, 400, 401, 404],
  );
  const lines = g.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const requests = lines.filter((l) => l.event === 'request');
  t.equal(requests.length, 4, 'one line per request');
  t.same(
    requests.map((l) => [l.route, l.status, l.code ?? null, l.level]),
    [
      ['/v1/query', 200, null, 30],
      ['/v1/query', 400, 'VEIL_QUERY_IDENTIFIER', 30],
      ['/v1/query', 401, 'VEIL_AUTH_MISSING', 30],
      ['unknown', 404, 'VEIL_NOT_FOUND', 30],
    ],
  );
  t.equal(requests[0]!.buyer, 'acme-logs', 'the buyer id is logged');
  t.type(requests[0]!.ms, 'number');
  const all = g.logs.join('\n');
  for (const value of ['QUEENS', 'SELECT', '123 SECRET LANE', 'STATEN', 'community_board', token]) {
    t.notOk(all.includes(value), `no log line holds ${value.slice(0, 20)}`);
  }
});

t.test('a 5xx is one line at error, naming the failure class, never its message', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  g.gw.store.ledger.standing = () => Promise.reject(new RangeError('2803 CONEY ISLAND AVENUE'));
  const r = await g.call('/v1/budget', { token: g.token('buyer', 'acme-5xx') });
  t.equal(r.status, 500);
  t.equal(r.json.error.code, 'VEIL_INTERNAL');
  const lines = g.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const failed = lines.filter((l) => (l.level as number) >= 50);
  t.same(
    failed.map((l) => [l.event, l.route, l.status, l.code, l.error, l.buyer]),
    [['request', '/v1/budget', 500, 'VEIL_INTERNAL', 'RangeError', 'acme-5xx']],
    'the request line alone, at error',
  );
  t.notOk(`${g.logs.join('\n')}${r.text}`.includes('CONEY'), 'the message stays out of both');
});
