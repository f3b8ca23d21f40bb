import { rmSync } from 'node:fs';
import t from 'tap';
import { errorRegistry } from '../../src/errors/registry.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { chargeRows, dataDir, ledgerView } from '../fixtures/hold.js';
import { hostileSql, jsonBodies, rawBodies } from '../fixtures/hostile.js';

/**
 * Inputs that look hostile but are legitimate queries, answered like any
 * other: a filter value with a zero-width space or in NFD/NFC form (it
 * matches no key), the output name "constructor", a quoted literal holding
 * `' OR '1'='1`, a line comment hiding a filter, and a dimension in 3,000 parentheses.
 */
const ANSWERABLE: Record<string, number[]> = { json: [25, 26, 27, 32], sql: [8, 26, 30] };

t.test('hostile bodies and SQL are refused with codes, audited, and charge nothing', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_RATE_LIMIT: '0' });
  const token = g.token('buyer', 'hostile');
  const outcomes: { family: string; i: number; status: number; code?: string }[] = [];
  const send = async (family: string, i: number, opts: { raw?: string; body?: unknown }) => {
    const r = await g.call('/v1/query', { token, ...opts });
    outcomes.push({ family, i, status: r.status, code: r.json?.error?.code });
    return r;
  };
  for (const [i, raw] of rawBodies.entries()) await send('raw', i, { raw });
  for (const [i, body] of jsonBodies.entries()) await send('json', i, { body });
  for (const [i, sql] of hostileSql.entries()) await send('sql', i, { body: { sql } });
  t.comment(
    `inputs tried: raw=${rawBodies.length} json=${jsonBodies.length} sql=${hostileSql.length}`,
  );
  const bad = outcomes.filter((o) => {
    if (ANSWERABLE[o.family]?.includes(o.i)) return o.status !== 200;
    return !(o.status >= 400 && o.status < 500 && o.code && o.code in errorRegistry);
  });
  t.same(bad, [], 'every hostile input is a 4xx with a registered code');
  await g.close();
  const view = await ledgerView(dir);
  const audited = view.entries.filter((e) => e.route === '/v1/query');
  t.equal(audited.length, outcomes.length, 'every request is audited');
  t.same(
    audited.map((e) => e.code),
    outcomes.map((o) => o.code ?? null),
    'with the code the client saw',
  );
  const charged = chargeRows(dir).filter((c) => c.status === 'charged');
  const paid = audited.filter((e) => e.outcome === 'answered' && e.epsilon > 0);
  t.same(
    charged.map((c) => c.id).sort(),
    paid.map((e) => e.queryId).sort(),
    'only answered queries were charged (a free repeat may charge nothing)',
  );
  t.equal(audited.filter((e) => e.outcome !== 'answered' && e.epsilon > 0).length, 0);
  const proto = Object.prototype as Record<string, unknown>;
  t.equal(proto.polluted, undefined, 'no prototype was polluted');
  t.equal(proto.role, undefined);
  rmSync(dir, { recursive: true, force: true });
});
