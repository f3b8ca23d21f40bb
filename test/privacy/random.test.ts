import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { cryptoSource, rejectionSample, seededSource } from '../../src/privacy/random.js';
import { chiSquareCritical, chiSquareStatistic } from './stats.js';

const ALPHA = 1e-6;

function draws(n: bigint, count: number, seed: string): bigint[] {
  const source = seededSource(seed);
  return Array.from({ length: count }, () => source.uniformBelow(n));
}

t.test('seeded source is deterministic per seed', async (t) => {
  t.same(draws(1000n, 50, 'a'), draws(1000n, 50, 'a'));
  t.not(draws(1000n, 50, 'a').join(), draws(1000n, 50, 'b').join());
});

t.test('uniformBelow(7) is unbiased (chi-square, false-failure rate 1e-6)', async (t) => {
  const n = 700_000;
  const counts = Array<number>(7).fill(0);
  for (const v of draws(7n, n, 'uniform-7')) counts[Number(v)]! += 1;
  const stat = chiSquareStatistic(counts, Array<number>(7).fill(n / 7));
  // df = 6; the critical value at 1e-6 is about 39.3.
  t.ok(stat < chiSquareCritical(6, ALPHA), `chi-square ${stat}`);
});

t.test('uniformBelow on a bound above 2^64 is unbiased across its sixths', async (t) => {
  const bound = 3n * 2n ** 65n + 5n;
  const n = 120_000;
  const counts = Array<number>(6).fill(0);
  let outOfRange = 0;
  for (const v of draws(bound, n, 'uniform-big')) {
    if (v < 0n || v >= bound) outOfRange += 1;
    else counts[Number((v * 6n) / bound)]! += 1;
  }
  t.equal(outOfRange, 0);
  // Bucket i holds the v with floor(6v / bound) = i: sizes differ by at most one in 2^66.
  const stat = chiSquareStatistic(counts, Array<number>(6).fill(n / 6));
  t.ok(stat < chiSquareCritical(5, ALPHA), `chi-square ${stat}`);
});

t.test('rejection sampling rejects values >= n instead of reducing them', async (t) => {
  // Bytes 0xff, then 0x02: 5 is drawn from 3 bits, 0xff & 7 = 7 >= 6 is rejected, then 2.
  const queue = [Buffer.from([0xff]), Buffer.from([0x02])];
  t.equal(
    rejectionSample(6n, () => queue.shift()!),
    2n,
  );
  t.throws(() => rejectionSample(0n, () => Buffer.alloc(1)), RangeError);
});

t.test('cryptoSource (the production source) returns values in range', async (t) => {
  t.equal(cryptoSource.uniformBelow(1n), 0n);
  t.throws(() => cryptoSource.uniformBelow(0n), RangeError);
  t.throws(() => cryptoSource.uniformBelow(-3n), RangeError);
  for (const bound of [2n, 7n, 1000n, 2n ** 48n - 1n, 2n ** 48n, 2n ** 48n + 1n, 10n ** 30n]) {
    const seen = new Set<bigint>();
    for (let i = 0; i < 200; i++) {
      const v = cryptoSource.uniformBelow(bound);
      if (v < 0n || v >= bound) t.fail(`value out of [0, ${bound})`);
      seen.add(v);
    }
    // 200 draws below 7 miss a value with probability < 7 (6/7)^200 < 1e-12.
    if (bound === 7n) t.equal(seen.size, 7);
    if (bound >= 1000n) t.ok(seen.size > 150, 'large bounds give mostly distinct values');
  }
});

t.test('no privacy source file uses Math.random', async (t) => {
  const dir = new URL('../../src/privacy/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  t.ok(files.includes('random.ts'));
  for (const file of files) {
    t.notMatch(readFileSync(new URL(file, dir), 'utf8'), /Math\.random/, file);
  }
  const release = readFileSync(new URL('release.ts', dir), 'utf8');
  t.match(release, /random: RandomSource = cryptoSource/, 'release defaults to the CSPRNG');
});
