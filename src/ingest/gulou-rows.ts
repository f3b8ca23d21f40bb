import { gulouStreetOffices } from './gazetteer.js';
import { callerAt, communityList, drawCaller, type CallerPool } from './gulou-callers.js';
import { formatSeconds } from './gulou-calendar.js';
import { normal, pick, type Uniform } from './prng.js';
import {
  communitySpots,
  consequences,
  depthPhrases,
  openers,
  roadSpots,
} from './gulou-vocabulary.js';

/**
 * One synthetic hotline record: who called, from where, what they said, and
 * the flood they described. About 2% of records are broken the ways real
 * exports are (bad phone, bad depth, flood ending before it began, a
 * malformed time, an address outside the district), so ingest has something
 * to reject.
 */

/** The columns of the export, in file order. */
export const gulouColumns = [
  'record_id',
  'caller_name',
  'phone',
  'address',
  'call_note',
  'call_time',
  'flood_start',
  'flood_end',
  'depth_cm',
] as const;

/** A record's fields, keyed by column. */
export type GulouRecord = Record<(typeof gulouColumns)[number], string>;

/** Where and when one call happened, fixed before the record is drawn. */
export interface CallSlot {
  recordId: string;
  callSeconds: number;
  /** Rain intensity of the day (1 = an ordinary rain day). */
  intensity: number;
}

/** Roads of each community's street office, so a caller complains about a road nearby. */
const officeRoads = gulouStreetOffices.map((office) => Object.keys(office.roads));
const roadOfCommunity = new Map<string, string>(
  gulouStreetOffices.flatMap((office) =>
    Object.entries(office.roads).map(([road, community]) => [community, road] as const),
  ),
);

/** Draws one complete record for a call slot. */
export function drawRecord(pool: CallerPool, slot: CallSlot, u: Uniform): GulouRecord {
  const caller = callerAt(pool, drawCaller(pool, u));
  const home = communityList[caller.community]!;
  const onRoad = u() < (caller.frequent ? 0.2 : 0.35);
  const address = onRoad ? roadAddress(home.name, home.officeIndex, u) : homeAddress(caller, u);
  const lagHours = Math.min(12, -Math.log(1 - u()) * 1.2);
  const remainingHours = Math.min(90, Math.exp(Math.log(2) + 0.9 * normal(u)));
  const start = roundToMinute(slot.callSeconds - lagHours * 3600);
  const end = roundToMinute(
    slot.callSeconds + remainingHours * (0.6 + 0.4 * slot.intensity) * 3600,
  );
  const depth = drawDepth(onRoad, slot.intensity, u);
  const record: GulouRecord = {
    record_id: slot.recordId,
    caller_name: caller.name,
    phone: formatPhone(caller.phone, u),
    address,
    call_note: drawNote(onRoad, depth, u),
    call_time: formatSeconds(slot.callSeconds),
    flood_start: formatSeconds(start),
    flood_end: u() < 0.02 ? '' : formatSeconds(end),
    depth_cm: u() < 0.015 ? '' : formatDepth(depth, u),
  };
  return injectFault(record, start, u);
}

function roundToMinute(seconds: number): number {
  return Math.round(seconds / 60) * 60;
}

function homeAddress(caller: { community: number; flat: string }, u: Uniform): string {
  const name = communityList[caller.community]!.name;
  return u() < 0.03 ? `${name} ${caller.flat}` : name + caller.flat;
}

function roadAddress(community: string, officeIndex: number, u: Uniform): string {
  const near = roadOfCommunity.get(community);
  const roads = officeRoads[officeIndex]!;
  const road = near !== undefined && u() < 0.7 ? near : roads[pick(u, roads.length)]!;
  return `${road}${1 + pick(u, 400)}号`;
}

/** Depth in cm: roads flood deeper than courtyards, storms deeper than showers. */
function drawDepth(onRoad: boolean, intensity: number, u: Uniform): number {
  const median = (onRoad ? 18 : 12) * (0.6 + 0.4 * Math.min(intensity, 6));
  const raw = median * Math.exp(0.55 * normal(u));
  return Math.min(180, Math.max(1, raw));
}

function formatDepth(depth: number, u: Uniform): string {
  const r = u();
  if (r < 0.3) return String(Math.max(5, Math.round(depth / 5) * 5));
  if (r < 0.35) return depth.toFixed(1);
  return String(Math.round(depth));
}

/** Callers and clerks write the same mobile number several ways; ingest strips them. */
function formatPhone(phone: string, u: Uniform): string {
  const r = u();
  if (r < 0.84) return phone;
  if (r < 0.9) return `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  if (r < 0.94) return `+86 ${phone}`;
  if (r < 0.97) return `+86${phone}`;
  return `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
}

function depthBand(depth: number): number {
  if (depth < 10) return 0;
  if (depth < 20) return 1;
  if (depth < 40) return 2;
  if (depth < 60) return 3;
  return 4;
}

/** A colloquial note, e.g. '小区门口积水到膝盖，车都开不出去了'. */
function drawNote(onRoad: boolean, depth: number, u: Uniform): string {
  const spots = onRoad ? roadSpots : communitySpots;
  const phrases = depthPhrases[depthBand(depth)]!;
  const opener = openers[pick(u, openers.length)]!;
  const spot = spots[pick(u, spots.length)]!;
  const phrase = phrases[pick(u, phrases.length)]!;
  const consequence = consequences[pick(u, consequences.length)]!;
  const r = u();
  if (r < 0.05) return `${opener}${spot}${phrase}, ${consequence}`;
  if (r < 0.07) return `${opener}${spot}${phrase}，上次说"马上来"结果没人来`;
  return `${opener}${spot}${phrase}，${consequence}`;
}

const badPhones = [
  () => '',
  (p: string) => p.slice(0, 10),
  (p: string) => `025-8${p.slice(4)}`,
  (p: string) => `${p.slice(0, 6)}x${p.slice(7)}`,
];
const badDepths = ['齐膝', '很深', 'abc', '30cm', '-'];
const badTimes = ['2020/07/05 14:03', '2019-06-31 09:12:00', '昨天晚上', ''];
const unknownAddresses = [
  '中山南路88号',
  '江宁区百家湖花园3栋2单元101室',
  '新街口附近',
  '不清楚',
];

/** Breaks about 2% of records, each in one way that ingest must reject. */
function injectFault(record: GulouRecord, start: number, u: Uniform): GulouRecord {
  const f = u();
  if (f >= 0.02) return record;
  const which = u();
  if (f < 0.005) {
    return { ...record, phone: badPhones[pick(u, badPhones.length)]!(record.phone) };
  }
  if (f < 0.009) {
    const bad = badDepths[pick(u, badDepths.length)]!;
    return { ...record, depth_cm: bad === '-' ? `-${1 + pick(u, 40)}` : bad };
  }
  if (f < 0.0125) {
    return { ...record, flood_end: formatSeconds(start - (1 + pick(u, 300)) * 60) };
  }
  if (f < 0.016) {
    const bad = badTimes[pick(u, badTimes.length)]!;
    return which < 0.7 ? { ...record, call_time: bad } : { ...record, flood_start: bad };
  }
  return { ...record, address: unknownAddresses[pick(u, unknownAddresses.length)]! };
}

const needsQuotes = /[",\n\r]/;

/** One CSV line (LF-terminated), quoting only fields that need it. */
export function csvLine(r: GulouRecord): string {
  return (
    `${csvField(r.record_id)},${csvField(r.caller_name)},${csvField(r.phone)},` +
    `${csvField(r.address)},${csvField(r.call_note)},${csvField(r.call_time)},` +
    `${csvField(r.flood_start)},${csvField(r.flood_end)},${csvField(r.depth_cm)}\n`
  );
}

function csvField(v: string): string {
  return needsQuotes.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}
