import t from 'tap';
import { storedTime } from '../../src/http/routes/audit.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { boroughCount } from './helpers.js';

/**
 * The audit listing's `from` and `to` are inclusive instants, whatever their
 * precision: entries are stored as toISOString text, so a bound written
 * without milliseconds must not be compared as text against them.
 */

t.test('bounds are converted to the stored form, rounding towards a smaller window', (t) => {
  t.equal(storedTime('2026-12-03T23:55:00Z', 'from'), '2026-12-03T23:55:00.000Z');
  t.equal(storedTime('2026-12-03T23:55:00Z', 'to'), '2026-12-03T23:55:00.000Z');
  t.equal(storedTime('2026-12-03T23:55:00.4Z', 'to'), '2026-12-03T23:55:00.400Z');
  t.equal(storedTime('2026-12-03T23:55:00.446100Z', 'from'), '2026-12-03T23:55:00.447Z');
  t.equal(storedTime('2026-12-03T23:55:00.446900Z', 'to'), '2026-12-03T23:55:00.446Z');
  t.equal(storedTime('2026-12-03T23:55:00.446000Z', 'from'), '2026-12-03T23:55:00.446Z');
  t.end();
});

t.test('a window in whole seconds lists exactly the entries inside it', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const auditor = g.token('auditor');
  for (let i = 0; i < 6; i++) {
    await g.call('/v1/query', { token: buyer, body: boroughCount(0.1 + i / 100) });
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  const all = (await g.call('/v1/audit/entries?limit=1000', { token: auditor })).json.entries;
  const first = all[0].at as string;
  const from = `${first.slice(0, 19)}Z`;
  const to = new Date(Date.parse(from) + 1000).toISOString().replace('.000Z', 'Z');
  const inside = all
    .filter((e: any) => Date.parse(e.at) >= Date.parse(from) && Date.parse(e.at) <= Date.parse(to))
    .map((e: any) => e.seq);
  t.ok(inside.includes(all[0].seq), 'the window holds the first entry');
  const listed = await g.call(`/v1/audit/entries?limit=1000&from=${from}&to=${to}`, {
    token: auditor,
  });
  t.equal(listed.status, 200);
  t.same(
    listed.json.entries.map((e: any) => e.seq),
    inside,
    `entries from ${from} to ${to}, both inclusive`,
  );
  const exact = await g.call(
    `/v1/audit/entries?from=${first.replace('Z', '001Z')}&to=${first.replace('Z', '999Z')}`,
    { token: auditor },
  );
  t.notOk(
    exact.json.entries.some((e: any) => e.seq === all[0].seq),
    'a from past the entry, by a microsecond, leaves it out',
  );
  const around = await g.call(`/v1/audit/entries?from=${first}&to=${first.replace('Z', '999Z')}`, {
    token: auditor,
  });
  t.ok(
    around.json.entries.some((e: any) => e.seq === all[0].seq),
    'and at its instant keeps it',
  );
});
