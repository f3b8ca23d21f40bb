import t from 'tap';
import { formatTable } from '../../scripts/attacks/report.js';
import { runAttacks } from '../../scripts/attacks/suite.js';

/**
 * The measured attacks of `npm run attacks`, small and on seeded noise:
 * differencing success stays under e^eps/(1+e^eps) up to a binomial tail of
 * 1e-6, repeats and spellings get one answer, averaging and reconstruction
 * do no better than an ideal mechanism (normal margin z = 4.75, about 1e-6
 * each), and no released value carries digits beyond its grid.
 */
t.test('attacks stay within what epsilon-DP allows', async (t) => {
  const figures = await runAttacks({
    rows: 800,
    smallRows: 300,
    trials: 120,
    epsilon: 0.5,
    averagingRounds: 3,
    reconstructionQueries: 122,
    simulations: 40,
    precisionQueries: 20,
    noiseSeed: 'attacks',
    alpha: 1e-6,
    z: 4.75,
  });
  t.equal(figures.length, 9);
  for (const f of figures) {
    const limit = f.limit === undefined ? '' : `, held to ${f.limit}`;
    t.comment(`${f.attack} / ${f.variant}: ${f.measured} (${f.relation} ${f.reference}${limit})`);
    t.ok(f.pass, `${f.attack} / ${f.variant}: ${f.note}`);
  }
  const extra = figures.find((f) => f.variant === 'digits beyond the grid')!;
  t.equal(extra.measured, 0, 'no released value has digits beyond the grid');
  const spelled = figures.find((f) => f.attack === 'averaging' && f.n === 30)!;
  t.equal(spelled.measured, spelled.reference, 'the mean of 30 asks is exactly one answer');
});

t.test('the printed table shows a tiny bound as a power of ten, not as 0.000', async (t) => {
  const row = {
    attack: 'precision',
    variant: 'last grid digit uniform',
    n: 10,
    measured: 0.0132,
    reference: 1e-6,
    relation: '>',
    pass: true,
    note: 'p-value',
  };
  const line = formatTable([row]).split('\n')[2]!;
  t.match(line, /0\.013 +> 1e-6 +yes/);
});
