import t from 'tap';
import { loadPolicies, PolicyFileError } from '../../src/policy/load.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';
import { send } from './helpers.js';

/**
 * A data product's registration code is stable (a new version keeps it) and
 * unique (no two products share one), at PUT and in the policy files.
 */

const nyc = 'nyc311_street_flooding';

t.test('a PUT may neither change the code nor take another product’s', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau', 'dep');
  const policy = (await send(g, 'GET', `/v1/policies/${nyc}`, bureau)).json.policy;
  t.equal(policy.registrationCode, 'VEIL-NYC311-FLOOD-2023');
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ['changed', { ...policy, registrationCode: 'VEIL-NYC311-FLOOD-2024' }, /may not change it/],
    ['dropped', { ...policy, registrationCode: undefined }, /may not change it/],
    ['taken', { ...policy, registrationCode: 'VEIL-GULOU-FLOOD-2021' }, /already the code/],
  ];
  for (const [name, body, reason] of cases) {
    const r = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, body);
    t.equal(r.status, 400, name);
    t.equal(r.json.error.code, 'VEIL_POLICY_INVALID', name);
    t.match(r.json.error.problems[0], /^registrationCode: /, name);
    t.ok(
      r.json.error.problems.some((p: string) => reason.test(p)),
      name,
    );
  }
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, bureau);
  t.equal(history.json.versions.length, 1, 'nothing changed');
  const kept = await send(g, 'PUT', `/v1/policies/${nyc}`, bureau, { ...policy, k: 6 });
  t.equal(kept.status, 200, 'a change that keeps the code is a new version');
  t.equal(kept.json.policy.registrationCode, 'VEIL-NYC311-FLOOD-2023');
});

t.test('two policy files with one code stop the load, naming the code', async (t) => {
  const dir = policyDir((_ds, p) => (p.registrationCode = 'VEIL-SAME-CODE'));
  t.throws(() => loadPolicies(dir), PolicyFileError);
  try {
    loadPolicies(dir);
  } catch (err) {
    t.match((err as PolicyFileError).problems, [/"VEIL-SAME-CODE" is already the code of/]);
  }
});
