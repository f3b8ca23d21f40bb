import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';
import { send } from './helpers.js';

/**
 * An identifier stays an identifier through the API: a version that calls it
 * something else (or drops its class) is refused, so it cannot become a
 * dimension or measure two steps later.
 */

const nyc = 'nyc311_street_flooding';

t.test('a PUT cannot reclassify or unclassify an identifier column', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const policy = (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json.policy;
  t.equal(policy.columns.bbl, 'identifier');
  const { bbl: _dropped, ...withoutBbl } = policy.columns;
  const cases: [string, Record<string, string>, RegExp][] = [
    ['to public', { ...policy.columns, bbl: 'public' }, /make it "public"/],
    ['to quasi', { ...policy.columns, bbl: 'quasi_identifier' }, /make it "quasi_identifier"/],
    ['dropped', withoutBbl, /make it unclassified/],
  ];
  for (const [name, columns, reason] of cases) {
    const r = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, { ...policy, columns });
    t.equal(r.status, 400, name);
    t.equal(r.json.error.code, 'VEIL_POLICY_INVALID', name);
    t.match(r.json.error.problems, [reason], name);
    t.match(r.json.error.problems[0], /^columns\.bbl: /, name);
  }
  const sensitive = { ...policy.columns, channel: 'sensitive' };
  const other = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, {
    ...policy,
    columns: sensitive,
  });
  t.equal(other.status, 200, 'other classes may change');
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.versions.length, 2, 'only the allowed change made a version');
});
