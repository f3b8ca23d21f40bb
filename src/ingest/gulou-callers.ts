import { gulouStreetOffices } from './gazetteer.js';
import { cumulate, hashUnit, mix32, pickWeighted, type Uniform } from './prng.js';
import { givenChars, mobilePrefixes, surnames } from './gulou-vocabulary.js';

/**
 * The synthetic complainants. A few frequent callers ring about their own
 * community again and again (the skew that contribution bounds exist for);
 * most people call once or twice. A caller's name, phone and home are pure
 * functions of the seed and the caller's index, so the pool costs no memory
 * however many rows are generated.
 */

/** One complainant as the export shows them. */
export interface Caller {
  name: string;
  /** 11-digit mobile number, unformatted. */
  phone: string;
  /** Index into `communityList`. */
  community: number;
  /** Flat, unit and room inside the community, e.g. '12栋3单元502室'. */
  flat: string;
  frequent: boolean;
}

/** Every community with its street office, in gazetteer order. */
export const communityList = gulouStreetOffices.flatMap((office, officeIndex) =>
  office.communities.map((name) => ({ name, officeIndex })),
);

/** Street offices by the Yangtze or the Qinhuai's outlets flood more often. */
const lowLyingOffices = new Set([
  '江东街道',
  '凤凰街道',
  '宝塔桥街道',
  '小市街道',
  '阅江楼街道',
]);

/** The size of the pool and how likely each community is to be a caller's home. */
export interface CallerPool {
  key: number;
  frequent: number;
  occasional: number;
  phoneOffset: number;
  homeCumulative: Float64Array;
}

/** Sizes the pool for a file of `rows` rows and draws each community's proneness to flood. */
export function makeCallerPool(rows: number, seed: number, u: Uniform): CallerPool {
  const weights = communityList.map(({ officeIndex }) => {
    const low = lowLyingOffices.has(gulouStreetOffices[officeIndex]!.name) ? 1.5 : 1;
    return low * (0.3 + 1.7 * u() ** 2);
  });
  return {
    key: mix32(seed >>> 0, 0x2545f491),
    frequent: Math.max(8, Math.ceil(rows * 0.03)),
    occasional: Math.max(16, Math.ceil(rows * 0.6)),
    phoneOffset: mix32(seed >>> 0, 0x61c88647) % 100_000_000,
    homeCumulative: cumulate(weights),
  };
}

/** Draws the caller of one call: 15% of calls come from the small, skewed frequent set. */
export function drawCaller(pool: CallerPool, u: Uniform): number {
  if (u() < 0.15) return Math.floor(pool.frequent * u() ** 1.5);
  return pool.frequent + Math.floor(pool.occasional * u());
}

/** The attributes of caller `index`; the same index always gives the same caller. */
export function callerAt(pool: CallerPool, index: number): Caller {
  const h = (slot: number) => hashUnit(pool.key, index * 16 + slot);
  const surname = surnames[Math.floor(surnames.length * h(0) ** 1.7)]!;
  const given1 = givenChars[Math.floor(givenChars.length * h(1))]!;
  const given2 = h(2) < 0.6 ? givenChars[Math.floor(givenChars.length * h(3))]! : '';
  const prefix = mobilePrefixes[Math.floor(mobilePrefixes.length * h(4))]!;
  // 48271 is prime and coprime to 1e8, so distinct indexes get distinct last eight digits.
  const last8 = (index * 48271 + pool.phoneOffset) % 100_000_000;
  const building = 1 + Math.floor(36 * h(6));
  const unit = 1 + Math.floor(4 * h(7));
  const floor = 1 + Math.floor(18 * h(8));
  const room = 1 + Math.floor(4 * h(9));
  return {
    name: surname + given1 + given2,
    phone: prefix + String(last8).padStart(8, '0'),
    community: pickWeighted(pool.homeCumulative, h(5)),
    flat: `${building}栋${unit}单元${floor}0${room}室`,
    frequent: index < pool.frequent,
  };
}
