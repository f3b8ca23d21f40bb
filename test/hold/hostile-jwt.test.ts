import { rmSync } from 'node:fs';
import t from 'tap';
import { startTestGateway, testSecret } from '../fixtures/gateway.js';
import { chargeRows, dataDir, ledgerView, nyc } from '../fixtures/hold.js';
import { forge, nowSeconds } from '../fixtures/jwt-forge.js';

const query = { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] };

/** Each hostile token with the status and code the gateway must answer it with. */
function hostileTokens(buyerToken: string) {
  const hs = { alg: 'HS256', typ: 'JWT' };
  const good = { sub: 'mallory', role: 'buyer', exp: nowSeconds() + 600 };
  const [head, body, sig] = buyerToken.split('.') as [string, string, string];
  const edited = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  const escalated = Buffer.from(JSON.stringify({ ...edited, role: 'auditor' })).toString(
    'base64url',
  );
  return [
    ['alg none, unsigned', forge({ alg: 'none', typ: 'JWT' }, good), 'VEIL_AUTH_INVALID'],
    ['alg none, signed anyway', forge({ alg: 'none' }, good, testSecret), 'VEIL_AUTH_INVALID'],
    ['RS256 header over an HMAC', forge({ alg: 'RS256' }, good, testSecret), 'VEIL_AUTH_INVALID'],
    ['HS512', forge({ alg: 'HS512' }, good, testSecret, 'sha512'), 'VEIL_AUTH_INVALID'],
    ['HS384', forge({ alg: 'HS384' }, good, testSecret, 'sha384'), 'VEIL_AUTH_INVALID'],
    [
      'wrong secret',
      forge(hs, good, 'another-secret-that-is-long-enough-000'),
      'VEIL_AUTH_INVALID',
    ],
    ['expired', forge(hs, { ...good, exp: nowSeconds() - 60 }, testSecret), 'VEIL_AUTH_INVALID'],
    [
      'not yet valid',
      forge(hs, { ...good, nbf: nowSeconds() + 3600 }, testSecret),
      'VEIL_AUTH_INVALID',
    ],
    ['no exp', forge(hs, { sub: 'mallory', role: 'buyer' }, testSecret), 'VEIL_AUTH_INVALID'],
    ['missing sub', forge(hs, { role: 'buyer', exp: good.exp }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['missing role', forge(hs, { sub: 'm', exp: good.exp }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['unknown role', forge(hs, { ...good, role: 'admin' }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['sub is a number', forge(hs, { ...good, sub: 42 }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['sub is empty', forge(hs, { ...good, sub: '' }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['role as a list', forge(hs, { ...good, role: ['buyer'] }, testSecret), 'VEIL_AUTH_CLAIMS'],
    ['payload edited to auditor', `${head}.${escalated}.${sig}`, 'VEIL_AUTH_INVALID'],
    ['signature dropped', `${head}.${body}.`, 'VEIL_AUTH_INVALID'],
    ['two segments', `${head}.${body}`, 'VEIL_AUTH_INVALID'],
    ['garbage', 'not-a-token', 'VEIL_AUTH_INVALID'],
    [
      'header not JSON',
      `${Buffer.from('{x').toString('base64url')}.${body}.${sig}`,
      'VEIL_AUTH_INVALID',
    ],
  ] as const;
}

t.test('hostile tokens are refused with 401/403 codes, audited and free', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir });
  const cases = hostileTokens(g.token('buyer', 'mallory'));
  for (const [name, token, code] of cases) {
    const r = await g.call('/v1/query', { token, body: query });
    t.equal(r.status, 401, `${name}: 401`);
    t.equal(r.json?.error?.code, code, `${name}: ${code}`);
    t.notMatch(
      r.text,
      /secret-that|mallory|"exp"/i,
      `${name}: the message leaks no claim or secret`,
    );
  }
  const auditorRoute = await g.call('/v1/audit/entries', { token: g.token('buyer', 'mallory') });
  t.equal(auditorRoute.status, 403, 'a buyer token cannot read the audit log');
  t.equal(auditorRoute.json.error.code, 'VEIL_AUTH_FORBIDDEN');
  const bureauQuery = await g.call('/v1/query', { token: g.token('bureau'), body: query });
  t.equal(bureauQuery.json.error.code, 'VEIL_AUTH_FORBIDDEN', 'a bureau cannot query');
  const lines = g.logs.filter((l) => l.includes('"event":"request"'));
  t.equal(lines.filter((l) => l.includes('VEIL_AUTH_')).length, cases.length + 2, 'all logged');
  await g.close();
  const view = await ledgerView(dir);
  t.equal(view.entries.filter((e) => e.code?.startsWith('VEIL_AUTH_')).length, cases.length + 2);
  t.equal(view.entries.filter((e) => e.epsilon > 0).length, 0, 'nothing charged');
  t.same(chargeRows(dir), [], 'no reservation was even made');
  rmSync(dir, { recursive: true, force: true });
});
