import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';
import { boroughCount, send } from './helpers.js';

const nyc = 'nyc311_street_flooding';

t.test('a policy change is versioned, diffed and applies to the next query only', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const buyer = g.token('buyer', 'acme');

  const first = await g.call('/v1/query', { token: buyer, body: boroughCount(2) });
  t.equal(first.status, 200);
  t.match(first.json.policyVersion, /^v1-[0-9a-f]{8}$/);

  const current = await send(g, 'GET', `/v1/policies/${nyc}`, bureau);
  t.equal(current.status, 200);
  t.equal(current.json.version, first.json.policyVersion);
  const proposed = { ...current.json.policy, epsilon: { default: 0.5, max: 1 } };

  const put = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, proposed);
  t.equal(put.status, 200);
  t.equal(put.json.changed, true);
  t.match(put.json.version, /^v2-[0-9a-f]{8}$/);

  const refused = await g.call('/v1/query', { token: buyer, body: boroughCount(2) });
  t.equal(refused.status, 400);
  t.equal(refused.json.error.code, 'VEIL_QUERY_EPSILON');
  const next = await g.call('/v1/query', { token: buyer, body: boroughCount() });
  t.equal(next.status, 200);
  t.equal(next.json.policyVersion, put.json.version);
  t.equal(next.json.privacy.epsilon, 0.5);

  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.active, put.json.version);
  t.same(
    history.json.versions.map((v: any) => [v.version, v.author, v.source]),
    [
      [1, `file:${nyc}`, 'file'],
      [2, 'dep', 'api'],
    ],
  );

  const diff = await send(
    g,
    'GET',
    `/v1/policies/${nyc}/diff?from=1&to=${put.json.version}`,
    bureau,
  );
  t.equal(diff.status, 200);
  t.same(diff.json.changes, [
    { path: 'epsilon.default', change: 'changed', from: 1, to: 0.5 },
    { path: 'epsilon.max', change: 'changed', from: 2, to: 1 },
  ]);
  const same = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, proposed);
  t.equal(same.json.changed, false);
  t.equal(same.json.version, put.json.version);

  const unknown = await send(g, 'GET', `/v1/policies/${nyc}/diff?from=1&to=9`, bureau);
  t.equal(unknown.status, 404);
  t.equal(unknown.json.error.code, 'VEIL_POLICY_UNKNOWN_VERSION');
});

t.test('a bad policy is refused with the path of each problem and nothing changes', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const current = await send(g, 'GET', `/v1/policies/${nyc}`, bureau);
  const policy = current.json.policy;
  const withIdentifier = {
    ...policy,
    dimensions: { ...policy.dimensions, incident_address: { levels: ['incident_address'] } },
    k: 1,
  };
  const r = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, withIdentifier);
  t.equal(r.status, 400);
  t.equal(r.json.error.code, 'VEIL_POLICY_INVALID');
  t.ok(r.json.error.problems.some((p: string) => p.startsWith('k:')));
  t.ok(
    r.json.error.problems.some((p: string) =>
      p.startsWith('dimensions.incident_address: column "incident_address" is an identifier'),
    ),
  );
  const other = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, {
    ...policy,
    dataset: 'gulou_flooding',
  });
  t.equal(other.status, 400);
  t.equal(other.json.error.code, 'VEIL_POLICY_INVALID');
  const missing = await send(g, 'PUT', '/v1/policies/nope', bureau, policy);
  t.equal(missing.status, 404);
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.versions.length, 1);
  const after = await send(g, 'GET', `/v1/policies/${nyc}`, bureau);
  t.equal(after.json.version, current.json.version);
});

t.test('a dry run counts refused and changed answers without changing anything', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const buyer = g.token('buyer', 'acme');
  t.equal((await g.call('/v1/query', { token: buyer, body: boroughCount(2) })).status, 200);
  t.equal((await g.call('/v1/query', { token: buyer, body: boroughCount(1) })).status, 200);
  const sql = 'SELECT borough, COUNT(*) FROM nyc311_street_flooding GROUP BY borough';
  t.equal((await g.call('/v1/query', { token: buyer, body: { sql, epsilon: 0.5 } })).status, 200);
  const bad = { ...boroughCount(), groupBy: ['incident_address'] };
  t.equal((await g.call('/v1/query', { token: buyer, body: bad })).status, 400);

  const current = (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json;
  const proposal = {
    ...current.policy,
    epsilon: { default: 1, max: 1 },
    contribution: { maxContributions: 1 },
  };
  const r = await send(g, 'POST', `/v1/policies/${nyc}/dry-run`, bureau, proposal);
  t.equal(r.status, 200);
  t.match(r.json, {
    replayed: 4,
    newlyRefused: 1,
    answeredDifferently: 2,
    unchanged: 0,
    stillRefused: 1,
    newlyAccepted: 0,
    refusedByCode: { VEIL_QUERY_EPSILON: 1, VEIL_QUERY_IDENTIFIER: 1 },
  });
  t.notMatch(r.text, /borough|SELECT/);
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.versions.length, 1);
});

t.test('budgets: grant, top up and revoke, each audited', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const buyer = g.token('buyer', 'acme');
  const path = `/v1/budgets/${nyc}/acme`;
  const grant = await send(g, 'PUT', path, bureau, { epsilon: 1.5, delta: 0.0001 });
  t.equal(grant.status, 200);
  t.same(grant.json.before, { epsilon: 20, delta: 0.001 });
  t.same(grant.json.limit, { epsilon: 1.5, delta: 0.0001 });
  t.equal((await g.call('/v1/query', { token: buyer, body: boroughCount(1) })).status, 200);
  const over = await g.call('/v1/query', { token: buyer, body: boroughCount(0.9) });
  t.equal(over.status, 429);
  const top = await send(g, 'POST', `${path}/top-up`, bureau, { epsilon: 1 });
  t.same(top.json.limit, { epsilon: 2.5, delta: 0.0001 });
  t.equal((await g.call('/v1/query', { token: buyer, body: boroughCount(0.6) })).status, 200);
  const revoke = await send(g, 'DELETE', path, bureau);
  t.same(revoke.json.limit, { epsilon: 0, delta: 0 });
  t.equal((await g.call('/v1/query', { token: buyer, body: boroughCount(0.1) })).status, 429);
  const bad = await send(g, 'PUT', path, bureau, { epsilon: -1, delta: 0 });
  t.equal(bad.status, 400);
  t.equal(bad.json.error.code, 'VEIL_BUDGET_GRANT_INVALID');
  const view = await send(g, 'GET', path, bureau);
  t.same(view.json.limit, { epsilon: 0, delta: 0 });
  t.equal(view.json.spent.epsilon, 1.6);

  const auditor = g.token('auditor');
  const entries = await g.call(`/v1/audit/entries?buyer=dep&dataset=${nyc}`, { token: auditor });
  const actions = entries.json.entries.map((e: any) => JSON.parse(e.query).action);
  t.same(actions, ['grant', 'top_up', 'revoke']);
  t.equal(JSON.parse(entries.json.entries[1].query).after.epsilon, 2.5);
});

t.test('a policy naming columns the enclave lacks is refused at PUT and at start', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const policy = (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json.policy;
  const reclassified = {
    ...policy,
    columns: { ...policy.columns, incident_address: 'quasi_identifier' },
    dimensions: { ...policy.dimensions, incident_address: { levels: ['incident_address'] } },
  };
  const r = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, reclassified);
  t.equal(r.status, 400);
  t.equal(r.json.error.code, 'VEIL_POLICY_INVALID');
  t.same(r.json.error.problems, [
    'dimensions.incident_address: the enclave has no column "incident_address" (level incident_address)',
  ]);
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.versions.length, 1, 'nothing changed');

  const dir = policyDir((ds, p) => {
    if (ds === nyc) p.measures.depth_cm = { lower: 0, upper: 10, granularity: 1 };
    if (ds === nyc) p.columns.depth_cm = 'sensitive';
  });
  await t.rejects(startTestGateway({ VEIL_POLICY_DIR: dir }), {
    name: 'PolicyFileError',
    problems: ['measures.depth_cm: the enclave has no column "depth_cm"'],
  });
});
