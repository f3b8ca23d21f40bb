import t from 'tap';
import { dryRun, recentQueries, SKIP_REPEAT_OF_UNKNOWN } from '../../src/policy/dry-run.js';
import { loadPolicies } from '../../src/policy/load.js';
import { startTestGateway, type TestGateway } from '../fixtures/gateway.js';
import { boroughCount, send } from './helpers.js';

/**
 * A policy dry run replays logged queries as the query route would have
 * run them: a target accuracy through the accuracy search (under each
 * policy, so a higher maximum can make a refused target answerable), and a
 * repeat served from the answer store as the paid question it repeated
 * (its epsilon, and its row of suppressed groups), not at the default.
 */

const nyc = 'nyc311_street_flooding';

async function policyOf(g: TestGateway, bureau: string) {
  return (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json.policy;
}

async function dry(g: TestGateway, bureau: string, proposal: unknown, limit = 200) {
  const r = await send(g, 'POST', `/v1/policies/${nyc}/dry-run?limit=${limit}`, bureau, proposal);
  if (r.status !== 200) throw new Error(r.text);
  return r.json;
}

t.test('target accuracy bodies are replayed through the accuracy search', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const buyer = g.token('buyer', 'acme');
  // At the maximum epsilon 2 a borough count has b = 1 and a 95% half-width of 3.
  const tight = { ...boroughCount(), accuracy: { aggregate: 'count', halfWidth: 2 } };
  const loose = { ...boroughCount(), accuracy: { aggregate: 'count', halfWidth: 6 } };
  const refused = await g.call('/v1/query', { token: buyer, body: tight });
  t.equal(refused.json.error.code, 'VEIL_QUERY_ACCURACY_UNREACHABLE');
  const answered = await g.call('/v1/query', { token: buyer, body: loose });
  t.equal(answered.status, 200);
  const epsilon = answered.json.privacy.epsilon;
  t.ok(epsilon > 0.8 && epsilon < 1, `a half-width of 6 costs ${epsilon}`);

  const policy = await policyOf(g, bureau);
  const higher = await dry(g, bureau, { ...policy, epsilon: { default: 0.5, max: 5 } });
  t.match(higher, {
    replayed: 2,
    newlyAccepted: 1,
    unchanged: 1,
    answeredDifferently: 0,
    stillRefused: 0,
    refusedByCode: {},
    skipped: {},
  });
  t.comment('the tight target is reachable at max 5; the loose one costs the same under both');

  const lower = await dry(g, bureau, { ...policy, epsilon: { default: 0.5, max: 0.5 } });
  t.match(lower, {
    replayed: 2,
    newlyRefused: 1,
    stillRefused: 1,
    refusedByCode: { VEIL_QUERY_ACCURACY_UNREACHABLE: 2 },
  });
});

t.test('repeats are replayed with the epsilon and row of the answer they repeat', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const buyer = g.token('buyer', 'acme');
  const sql = { sql: `SELECT borough, COUNT(*) FROM ${nyc} GROUP BY borough`, epsilon: 0.5 };
  t.equal((await g.call('/v1/query', { token: buyer, body: sql })).status, 200);
  const repeat = await g.call('/v1/query', { token: buyer, body: sql });
  t.equal(repeat.json.privacy.epsilon, 0, 'served from the store, logged at epsilon 0');

  const policy = await policyOf(g, bureau);
  const proposal = { ...policy, epsilon: { default: 0.6, max: 0.6 } };
  t.match(await dry(g, bureau, proposal), {
    replayed: 2,
    unchanged: 2,
    answeredDifferently: 0,
    skipped: {},
  });
  t.match(
    await dry(g, bureau, proposal, 1),
    { replayed: 1, unchanged: 1, skipped: {} },
    'the paid answer is found in the log when it is outside the window',
  );

  const entries = await recentQueries(g.gw.store.db, nyc, 1);
  t.ok(entries[0]!.cachedFrom, 'the newest entry is the repeat');
  const active = loadPolicies(new URL('../../policies', import.meta.url).pathname).get(nyc)!;
  t.match(
    await dryRun(entries, active, active),
    { replayed: 0, skipped: { [SKIP_REPEAT_OF_UNKNOWN]: 1 } },
    'a repeat whose paid answer cannot be found is skipped, with the reason',
  );

  const zip = { sql: `SELECT zip, COUNT(*) FROM ${nyc} GROUP BY zip`, other: true };
  t.equal((await g.call('/v1/query', { token: buyer, body: zip })).status, 200);
  t.equal((await g.call('/v1/query', { token: buyer, body: zip })).json.privacy.epsilon, 0);
  const publicZips = {
    ...policy,
    dimensions: { ...policy.dimensions, zip: { levels: ['zip'], publicKeys: { zip: ['10001'] } } },
  };
  t.match(
    await dry(g, bureau, publicZips),
    { replayed: 4, newlyRefused: 2, unchanged: 2, refusedByCode: { VEIL_QUERY_OTHER_ROW: 2 } },
    'the SQL row of suppressed groups is replayed with it, for the paid answer and its repeat',
  );
});
