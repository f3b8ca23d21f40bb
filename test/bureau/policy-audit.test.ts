import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';
import { send } from './helpers.js';

/**
 * A policy change is an entry of the hash-chained log with its dataset, the
 * version it made active and that version's full hash, so the plain policy
 * history can be checked against the signed chain.
 */

const nyc = 'nyc311_street_flooding';

t.test('a PUT is audited with the version it activated and its hash', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const auditor = g.token('auditor');
  const policy = (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json.policy;
  const put = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, { ...policy, k: 6 });
  t.equal(put.status, 200);
  const again = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, { ...policy, k: 6 });
  t.equal(again.json.changed, false);
  const history = (await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau)).json.versions;
  const entries = (
    await g.call(`/v1/audit/entries?dataset=${nyc}&buyer=dep`, { token: auditor })
  ).json.entries.filter((e: any) => e.route === '/v1/policies/:dataset' && e.method === 'PUT');
  t.same(
    entries.map((e: any) => [e.policyVersion, JSON.parse(e.query)]),
    [
      [put.json.version, { action: 'policy_put', changed: true, hash: history[1].hash }],
      [put.json.version, { action: 'policy_put', changed: false, hash: history[1].hash }],
    ],
  );
  t.equal(new Set(entries.map((e: any) => e.requestId)).size, 2, 'one entry per request');
  t.ok(history[1].hash.startsWith(put.json.version.split('-')[1]), 'the id names the hash');
});
