import type { ByteSink } from './byte-sink.js';
import { gulouStreetOffices } from './gazetteer.js';
import { ascii, piece, pieces, writeField, type Piece } from './gulou-text.js';
import { givenChars, mobilePrefixes, surnames } from './gulou-vocabulary.js';
import { cumulate, hashUnit, mix32, pickWeighted, type Uniform } from './prng.js';

/**
 * The synthetic complainants. A few frequent callers ring about their own
 * community again and again (the skew that contribution bounds exist for);
 * most people call once or twice. A caller's name, phone and home are pure
 * functions of the seed and the caller's index, so the pool costs no memory
 * however many rows are generated.
 */

/** Every community with its street office, in gazetteer order. */
export const communityList = gulouStreetOffices.flatMap((office, officeIndex) =>
  office.communities.map((name) => ({ name, officeIndex })),
);

/** Street offices by the Yangtze or the Qinhuai's outlets flood more often. */
// One name a line, so that each line stays within 100 bytes, not only 100 columns.
// prettier-ignore
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

/** A uniform in [0, 1) fixed for one attribute (`slot`) of caller `index`. */
function attribute(pool: CallerPool, index: number, slot: number): number {
  return hashUnit(pool.key, index * 16 + slot);
}

const surnamePieces = pieces(surnames);
const givenPieces = pieces(givenChars);
const prefixPieces = pieces(mobilePrefixes);
const noPiece = piece('');

/** The community (index into `communityList`) caller `index` lives in. */
export function callerCommunity(pool: CallerPool, index: number): number {
  return pickWeighted(pool.homeCumulative, attribute(pool, index, 5));
}

/** Writes the name of caller `index`: a surname and one or two given characters. */
export function writeCallerName(sink: ByteSink, pool: CallerPool, index: number): void {
  const surname = surnamePieces[Math.floor(surnames.length * attribute(pool, index, 0) ** 1.7)]!;
  const given1 = givenPieces[Math.floor(givenChars.length * attribute(pool, index, 1))]!;
  const given2 =
    attribute(pool, index, 2) < 0.6
      ? givenPieces[Math.floor(givenChars.length * attribute(pool, index, 3))]!
      : noPiece;
  if (surname.quote || given1.quote || given2.quote) {
    writeField(sink, surname.text + given1.text + given2.text);
    return;
  }
  sink.bytes(surname.bytes);
  sink.bytes(given1.bytes);
  sink.bytes(given2.bytes);
}

/** The network prefix (first three digits) of caller `index`'s mobile number. */
export function callerPrefix(pool: CallerPool, index: number): Piece {
  return prefixPieces[Math.floor(mobilePrefixes.length * attribute(pool, index, 4))]!;
}

/** The last eight digits of caller `index`'s mobile number, as a number. */
export function callerLast8(pool: CallerPool, index: number): number {
  // 48271 is prime and coprime to 1e8, so distinct indexes get distinct last eight digits.
  return (index * 48271 + pool.phoneOffset) % 100_000_000;
}

/** Flat, unit, floor and room of caller `index`, e.g. [12, 3, 5, 2] for '12栋3单元502室'. */
function flatOf(pool: CallerPool, index: number): [number, number, number, number] {
  return [
    1 + Math.floor(36 * attribute(pool, index, 6)),
    1 + Math.floor(4 * attribute(pool, index, 7)),
    1 + Math.floor(18 * attribute(pool, index, 8)),
    1 + Math.floor(4 * attribute(pool, index, 9)),
  ];
}

const flatWords = { building: piece('栋'), unit: piece('单元'), room: piece('室') };

/** Writes caller `index`'s flat inside the community, e.g. '12栋3单元502室'. */
export function writeFlat(sink: ByteSink, pool: CallerPool, index: number): void {
  const [building, unit, floor, room] = flatOf(pool, index);
  sink.uint(building);
  sink.bytes(flatWords.building.bytes);
  sink.uint(unit);
  sink.bytes(flatWords.unit.bytes);
  sink.uint(floor);
  sink.byte(ascii.zero);
  sink.uint(room);
  sink.bytes(flatWords.room.bytes);
}

/** Caller `index`'s flat as text, for the rare address that must be quoted. */
export function flatText(pool: CallerPool, index: number): string {
  const [building, unit, floor, room] = flatOf(pool, index);
  return `${building}栋${unit}单元${floor}0${room}室`;
}
