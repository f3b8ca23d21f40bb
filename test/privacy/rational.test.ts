import fc from 'fast-check';
import t from 'tap';
import { fromGrid, gridDecimals } from '../../src/privacy/grid.js';
import {
  add,
  ceil,
  divide,
  equals,
  rational,
  toNumber,
  toRational,
} from '../../src/privacy/rational.js';

t.test('short decimals are taken exactly', async (t) => {
  t.same(toRational(0.1), { num: 1n, den: 10n });
  t.same(toRational(0.1, 'up'), { num: 1n, den: 10n });
  t.same(toRational(0.25), { num: 1n, den: 4n });
  t.same(toRational(-3.25), { num: -13n, den: 4n });
  t.same(toRational(72), { num: 72n, den: 1n });
  t.same(toRational(1e-7), { num: 1n, den: 10_000_000n });
  t.same(toRational(1e21), { num: 10n ** 21n, den: 1n });
});

t.test('long decimals round to 10^-9 in the requested direction', async (t) => {
  // 1/6 = 0.1666666666...: down 166666666/10^9, up 166666667/10^9.
  t.same(toRational(1 / 6, 'down'), rational(166_666_666n, 1_000_000_000n));
  t.same(toRational(1 / 6, 'up'), rational(166_666_667n, 1_000_000_000n));
  t.same(toRational(-1 / 6, 'down'), rational(-166_666_667n, 1_000_000_000n));
  t.same(toRational(1e-12, 'down'), { num: 0n, den: 1n });
  t.same(toRational(1e-12, 'up'), rational(1n, 1_000_000_000n));
  t.throws(() => toRational(Number.NaN), RangeError);
  t.throws(() => toRational(Infinity), RangeError);
});

t.test('down <= x <= up, at most 10^-9 apart (exactly)', async (t) => {
  fc.assert(
    fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
      const down = toRational(x, 'down');
      const up = toRational(x, 'up');
      const gap = add(up, { num: -down.num, den: down.den });
      const tolerance = 1e-15 * Math.max(1, Math.abs(x));
      return (
        gap.num >= 0n &&
        gap.num * 1_000_000_000n <= gap.den &&
        toNumber(down) <= x + tolerance &&
        toNumber(up) >= x - tolerance
      );
    }),
    { seed: 42, numRuns: 2000 },
  );
});

t.test('arithmetic is exact and reduced', async (t) => {
  t.same(add(rational(1n, 6n), rational(1n, 3n)), { num: 1n, den: 2n });
  t.same(divide(rational(3n), rational(1n, 8n)), { num: 24n, den: 1n });
  t.same(rational(4n, -6n), { num: -2n, den: 3n });
  t.ok(equals(rational(2n, 4n), rational(1n, 2n)));
  t.equal(ceil(rational(10n, 3n)), 4n);
  t.equal(ceil(rational(9n, 3n)), 3n);
  t.throws(() => rational(1n, 0n), RangeError);
});

t.test('grid values print with the granularity decimals only', async (t) => {
  t.equal(gridDecimals(0.1), 1);
  t.equal(gridDecimals(0.25), 2);
  t.equal(gridDecimals(5), 0);
  t.equal(gridDecimals(1e-7), 7);
  t.equal(gridDecimals(2.5e-7), 8);
  t.equal(fromGrid(123n, 0.1), 12.3);
  t.equal(fromGrid(3n, 0.1), 0.3, 'not 0.30000000000000004');
  t.equal(fromGrid(-7n, 0.25), -1.75);
  t.equal(fromGrid(41n, 5), 205);
  for (let steps = -2000n; steps <= 2000n; steps += 7n) {
    const value = fromGrid(steps, 0.1);
    if (String(value) !== (Number(steps) / 10).toString()) t.fail(`${steps} -> ${value}`);
  }
});
