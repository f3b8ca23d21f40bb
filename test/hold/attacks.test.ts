import { rmSync } from 'node:fs';
import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';
import { nyc } from '../fixtures/hold.js';
import { policyDir } from '../fixtures/policies.js';

/**
 * Measured attacks against a live gateway on the NYC data, whose truth the
 * test reads from the enclave. `npm run attacks` runs more trials
 * (VEIL_ATTACK_TRIALS) and prints the same figures.
 */
const TRIALS = Number(process.env.VEIL_ATTACK_TRIALS ?? 40);
const EPS = 0.1;

t.test('differencing: two day-range counts that differ by one household', async (t) => {
  const policies = policyDir((dataset, p) => {
    if (dataset === nyc)
      p.budgets = {
        period: 'year',
        buyers: {},
        perBuyer: { epsilon: 1e6, delta: 0.5 },
        dataset: { epsilon: 1e7, delta: 0.5 },
      };
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: policies, VEIL_RATE_LIMIT: '0' }, 'attacks');
  t.teardown(async () => {
    await g.close();
    rmSync(policies, { recursive: true, force: true });
  });
  const token = g.token('buyer', 'attacker');
  const m = 2;
  const perDay = (await g.gw.enclave.run(
    `SELECT created_day, count(DISTINCT unit_id) FILTER (WHERE borough = 'QUEENS')
       FROM ${nyc} WHERE row_rank <= $1 GROUP BY created_day ORDER BY created_day`,
    [m],
  )) as [string, bigint | number][];
  const ones = perDay.filter(([, n]) => Number(n) === 1).map(([d]) => d);
  const zeros = perDay.filter(([, n]) => Number(n) === 0).map(([d]) => d);
  t.ok(
    ones.length > 0 && zeros.length > 0,
    `${ones.length} days with one household, ${zeros.length} with none`,
  );
  const ask = async (op: 'lt' | 'lte', day: string) => {
    const r = await g.call('/v1/query', {
      token,
      body: {
        dataset: nyc,
        groupBy: ['borough'],
        aggregates: [{ fn: 'count_units' }],
        filters: [{ column: 'created:day', op, value: day }],
        epsilon: EPS,
      },
    });
    const row = r.json.rows?.find((x: { borough: string }) => x.borough === 'QUEENS');
    return Number(row?.count_units ?? 0);
  };
  let correct = 0;
  for (let i = 0; i < TRIALS; i++) {
    const present = i % 2 === 0;
    const pool = present ? ones : zeros;
    const day = pool[Math.floor(i / 2) % pool.length]!;
    const diff = (await ask('lte', day)) - (await ask('lt', day));
    if (diff >= 1 === present) correct++;
  }
  const rate = correct / TRIALS;
  const bound = Math.exp(2 * EPS) / (1 + Math.exp(2 * EPS));
  const margin = 3 * Math.sqrt((bound * (1 - bound)) / TRIALS);
  t.comment(
    `differencing: ${TRIALS} trials, success ${rate.toFixed(3)}, DP bound ${bound.toFixed(3)}`,
  );
  // One-sided 3-sigma margin: a correct system fails this with probability about 0.13%.
  t.ok(rate <= bound + margin, `success ${rate} <= ${bound.toFixed(3)} + ${margin.toFixed(3)}`);
});
