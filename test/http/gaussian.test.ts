import t from 'tap';
import { zcdpDelta } from '../../src/privacy/zcdp.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';

const nyc = 'nyc311_street_flooding';
const boroughs = ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'];

t.test('a policy with mechanism: gaussian answers with discrete Gaussian noise', async (t) => {
  const dir = policyDir((dataset, p) => {
    if (dataset !== nyc) return;
    p.mechanism = 'gaussian';
    p.dimensions.borough.nulls = 'group';
    p.dimensions.channel.publicKeys = { channel: ['PHONE'] };
    p.dimensions.channel.other = 'ANY OTHER';
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: dir });
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'gauss-buyer');

  const pub = await g.call('/v1/query', {
    token: buyer,
    body: {
      dataset: nyc,
      groupBy: ['borough'],
      aggregates: [{ fn: 'count' }, { fn: 'avg', column: 'hours_to_close', as: 'h' }],
      epsilon: 1,
    },
  });
  t.equal(pub.status, 200, pub.text);
  t.same(
    pub.json.rows.map((r: { borough: string | null }) => r.borough),
    [...boroughs, null],
    'public keys in order, then the NULL cell the policy groups',
  );
  t.equal(pub.json.noise.count.mechanism, 'discrete_gaussian');
  t.equal(pub.json.noise.h.mechanism, 'discrete_gaussian');
  // Three mechanisms (rows, sum, non-NULL count) share ρ(1, 1e-5) ≈ 0.030557 equally:
  // rows has Δ₂² = m² = 4, so σ² = 4 / (2 · ρ/3) ≈ 196.4 and σ ≈ 14.0.
  t.ok(Math.abs(pub.json.noise.count.scale - Math.sqrt(4 / ((2 * 0.0305566) / 3))) < 0.01);
  t.equal(pub.json.privacy.epsilon, 1);
  const conversion = pub.json.privacy.delta;
  t.ok(conversion > 0 && conversion <= 1e-5, `public query: δ = conversion only (${conversion})`);
  t.ok(Math.abs(conversion - zcdpDelta(0.0305566, 1)) < 1e-8);

  const selected = await g.call('/v1/query', {
    token: buyer,
    body: { dataset: nyc, groupBy: ['zip'], aggregates: [{ fn: 'count_units' }], epsilon: 1 },
  });
  t.equal(selected.status, 200, selected.text);
  t.ok(
    Math.abs(selected.json.privacy.delta - (1e-5 + conversion)) < 1e-12,
    'selection adds the policy δ to the conversion δ',
  );
  const other = await g.call('/v1/query', {
    token: buyer,
    body: { dataset: nyc, groupBy: ['channel'], aggregates: [{ fn: 'count' }], epsilon: 1 },
  });
  t.equal(other.status, 200, other.text);
  t.same(
    other.json.rows.map((r: { channel: string }) => r.channel),
    ['PHONE', 'ANY OTHER'],
    'the listed key, then the other row (hundreds of households: far above tau)',
  );
  t.ok(other.json.privacy.delta > 1e-5, 'the other row is thresholded, so δ is charged');
  const budget = await g.call('/v1/budget', { token: buyer });
  const row = budget.json.budgets.find((b: { dataset: string }) => b.dataset === nyc);
  t.equal(row.epsilonSpent, 3, 'three queries of ε = 1');
  const charged = conversion + selected.json.privacy.delta + other.json.privacy.delta;
  t.ok(Math.abs(row.deltaSpent - charged) < 1e-12, 'δ spent as charged');
});
