import t from 'tap';
import { chiSquareCritical, chiSquareSurvival, lnGamma } from './stats.js';

t.test('lnGamma matches known values', async (t) => {
  t.ok(Math.abs(lnGamma(1)) < 1e-12);
  t.ok(Math.abs(lnGamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
  t.ok(Math.abs(lnGamma(11) - Math.log(3628800)) < 1e-11);
});

t.test('chi-square quantiles match published tables', async (t) => {
  // df = 10 at 0.05: 18.307; df = 1 at 1e-6: 4.891638^2 = 23.928;
  // df = 2 at 1e-6: -2 ln 1e-6 = 27.631.
  t.ok(Math.abs(chiSquareCritical(10, 0.05) - 18.307) < 1e-3);
  t.ok(Math.abs(chiSquareCritical(1, 1e-6) - 23.928) < 1e-3);
  t.ok(Math.abs(chiSquareCritical(2, 1e-6) - 27.631) < 1e-3);
  t.ok(Math.abs(chiSquareSurvival(2 * Math.log(1e3), 2) - 1e-3) < 1e-12);
});
