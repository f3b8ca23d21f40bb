import t from 'tap';
import { openStore } from '../../src/ledger/store.js';
import { countAccuracy, rowCountBucket } from '../../src/policy/catalogue.js';
import { discreteGaussianHalfWidth } from '../../src/privacy/discrete-gaussian.js';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { loadPolicies } from '../../src/policy/load.js';
import { PolicyRegistry } from '../../src/policy/registry.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';
import { tempDir } from '../ledger/fixtures/store.js';

t.test('the catalogue describes each data product', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const r = await g.call('/v1/datasets', { token: buyer });
  t.equal(r.status, 200);
  const nyc = r.json.datasets.find((d: any) => d.id === 'nyc311_street_flooding');
  t.match(nyc, {
    registrationCode: 'VEIL-NYC311-FLOOD-2023',
    title: String,
    bureau: /Environmental Protection/,
    period: '2022-11-11 to 2023-02-14',
    rowCount: '1,000-9,999',
    k: 5,
    epsilon: { default: 1, max: 2 },
    countAccuracy: {
      epsilon: 1,
      publicKeys: { scale: 2, plusMinus95: 6, releaseThreshold: null },
      thresholded: { releaseThreshold: Number },
    },
  });
  t.notOk(/"rowCount":"?\d{3,}"?[,}]/.test(r.text), 'no exact row count');
  const codes = r.json.datasets.map((d: any) => d.registrationCode);
  t.equal(new Set(codes).size, codes.length, 'codes are unique');
  for (const d of r.json.datasets) {
    t.ok(d.exampleQueries.length >= 1);
    for (const ex of d.exampleQueries) {
      const answer = await g.call('/v1/query', {
        token: buyer,
        body: { sql: ex.sql, epsilon: 0.1 },
      });
      t.equal(answer.status, 200, `example "${ex.title}" runs`);
    }
  }
});

t.test('count accuracy follows the policy mechanism; row buckets', async (t) => {
  const policies = loadPolicies(policyDir(() => {}));
  const nyc = policies.get('nyc311_street_flooding')!;
  const laplace = countAccuracy(nyc);
  // m = 2, ε = 1: b = 2; 95% needs h = 6 (P(|Z| > 6) = 2p^7/(1+p) = 0.030, h = 5 gives 0.050).
  t.match(laplace.publicKeys, { mechanism: 'discrete_laplace', scale: 2, plusMinus95: 6 });
  t.equal(laplace.publicKeys.delta, 0);
  const p = Math.exp(-1 / 2);
  t.ok((2 * p ** 7) / (1 + p) <= 0.05 && (2 * p ** 6) / (1 + p) > 0.05);
  const gaussian = countAccuracy({ ...nyc, mechanism: 'gaussian' });
  const plan = planQuery({
    aggregates: [{ fn: 'count', alias: 'count' }],
    epsilon: 1,
    delta: nyc.delta,
    k: nyc.k,
    maxContributions: 2,
    needsSelection: false,
    mechanism: 'gaussian',
  });
  const sigma2 = plan.mechanisms[0]!.sigma2!;
  t.match(gaussian.publicKeys, {
    mechanism: 'discrete_gaussian',
    scale: plan.mechanisms[0]!.scaleValue,
    plusMinus95: discreteGaussianHalfWidth(sigma2, 0.95),
    releaseThreshold: null,
  });
  // σ ≈ 8.09 for one count at (1, 1e-5): about ±16, not the Laplace ±6.
  t.ok(gaussian.publicKeys.plusMinus95 > 12, `±${gaussian.publicKeys.plusMinus95}`);
  t.ok(gaussian.publicKeys.delta > 0, 'the conversion δ is charged even without a threshold');
  t.not(gaussian.thresholded.releaseThreshold, laplace.thresholded.releaseThreshold);
  t.equal(rowCountBucket(1000), '1,000-9,999');
  t.equal(rowCountBucket(1593), '1,000-9,999');
  t.equal(rowCountBucket(7), '0-9');
});

t.test(
  'a changed policy file becomes a new version at start; an unchanged one does not',
  async (t) => {
    const dir = tempDir(t);
    const store = await openStore(dir);
    t.teardown(() => store.close());
    const original = loadPolicies(policyDir(() => {}));
    const first = await PolicyRegistry.open(store.db, original);
    t.match(first.get('gulou_flooding')?.version, /^v1-/);
    const again = await PolicyRegistry.open(store.db, original);
    t.equal(again.get('gulou_flooding')?.version, first.get('gulou_flooding')?.version);
    const edited = loadPolicies(
      policyDir((id, p) => {
        if (id === 'gulou_flooding') p.k = 7;
      }),
    );
    const third = await PolicyRegistry.open(store.db, edited);
    t.match(third.get('gulou_flooding')?.version, /^v2-/);
    t.equal(third.get('gulou_flooding')?.k, 7);
    t.match(third.get('nyc311_street_flooding')?.version, /^v1-/);
    const history = await third.history('gulou_flooding');
    t.same(
      history.map((h) => [h.version, h.source]),
      [
        [1, 'file'],
        [2, 'file'],
      ],
    );
  },
);
