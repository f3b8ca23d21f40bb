import { encodeText, type ByteSink } from './byte-sink.js';
import { gulouStreetOffices } from './gazetteer.js';
import {
  callerCommunity,
  callerLast8,
  callerPrefix,
  communityList,
  drawCaller,
  flatText,
  writeCallerName,
  writeFlat,
  type CallerPool,
} from './gulou-callers.js';
import { writeSeconds } from './gulou-calendar.js';
import { drawNote, emptyNote, writeNote } from './gulou-notes.js';
import { ascii, piece, pieces, writeField, type Piece } from './gulou-text.js';
import { normal, pick, type Uniform } from './prng.js';

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

/** The day a record is drawn on: its record id prefix and how hard it rained. */
export interface DaySlot {
  /** 'YYYYMMDD' as bytes; the day's record ids continue it with a 6-digit sequence. */
  prefix: Uint8Array;
  /** Rain intensity of the day (1 = an ordinary rain day). */
  intensity: number;
}

/** Roads of each community's street office, so a caller complains about a road nearby. */
const officeRoads = gulouStreetOffices.map((office) => pieces(Object.keys(office.roads)));
const roadOfCommunity = new Map<string, string>(
  gulouStreetOffices.flatMap((office) =>
    Object.entries(office.roads).map(([road, community]) => [community, road] as const),
  ),
);
const communityPieces = communityList.map(({ name }) => piece(name));
const nearRoad = communityList.map(({ name }) => {
  const road = roadOfCommunity.get(name);
  return road === undefined ? undefined : piece(road);
});
const houseNumber = piece('号');
const countryCode = { spaced: encodeText('+86 '), tight: encodeText('+86') };

/** Faults a record can carry, in the order `drawFault` tests for them. */
const Fault = {
  None: 0,
  Phone: 1,
  Depth: 2,
  End: 3,
  CallTime: 4,
  FloodStart: 5,
  Address: 6,
} as const;

/**
 * Everything drawn for one record, filled in place for each record so that
 * drawing allocates nothing; `writeRecord` then writes it as one line.
 */
class RecordDraw {
  caller = 0;
  community = 0;
  onRoad = false;
  road: Piece | undefined;
  roadNumber = 0;
  spacedAddress = false;
  start = 0;
  end = 0;
  depth = 0;
  phoneStyle = 0;
  note = emptyNote();
  noEnd = false;
  noDepth = false;
  depthStyle = 0;
  fault: number = Fault.None;
  faultText = '';
  faultEnd = 0;
}

const draw = new RecordDraw();

/**
 * Draws one record for a call at `callSeconds` on `day` and writes it as a
 * CSV line (LF-terminated). The draws, and so the file, are the same as
 * those of building each record's fields as strings.
 */
export function writeRecord(
  sink: ByteSink,
  pool: CallerPool,
  day: DaySlot,
  seq: number,
  callSeconds: number,
  u: Uniform,
): void {
  drawInto(draw, pool, day.intensity, callSeconds, u);
  sink.bytes(day.prefix);
  sink.uint(seq, 6);
  sink.byte(ascii.comma);
  writeCallerName(sink, pool, draw.caller);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.Phone) writeField(sink, draw.faultText);
  else writePhone(sink, pool, draw.caller, draw.phoneStyle);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.Address) writeField(sink, draw.faultText);
  else writeAddress(sink, pool, draw);
  sink.byte(ascii.comma);
  writeNote(sink, draw.note);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.CallTime) writeField(sink, draw.faultText);
  else writeSeconds(sink, callSeconds);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.FloodStart) writeField(sink, draw.faultText);
  else writeSeconds(sink, draw.start);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.End) writeSeconds(sink, draw.faultEnd);
  else if (!draw.noEnd) writeSeconds(sink, draw.end);
  sink.byte(ascii.comma);
  if (draw.fault === Fault.Depth) writeField(sink, draw.faultText);
  else if (!draw.noDepth) writeDepth(sink, draw.depth, draw.depthStyle);
  sink.byte(ascii.newline);
}

function drawInto(
  d: RecordDraw,
  pool: CallerPool,
  intensity: number,
  callSeconds: number,
  u: Uniform,
): void {
  d.caller = drawCaller(pool, u);
  d.community = callerCommunity(pool, d.caller);
  d.onRoad = u() < (d.caller < pool.frequent ? 0.2 : 0.35);
  if (d.onRoad) drawRoad(d, u);
  else d.spacedAddress = u() < 0.03;
  const lagHours = Math.min(12, -Math.log(1 - u()) * 1.2);
  const remainingHours = Math.min(90, Math.exp(Math.log(2) + 0.9 * normal(u)));
  d.start = roundToMinute(callSeconds - lagHours * 3600);
  d.end = roundToMinute(callSeconds + remainingHours * (0.6 + 0.4 * intensity) * 3600);
  d.depth = drawDepth(d.onRoad, intensity, u);
  d.phoneStyle = u();
  drawNote(d.note, d.onRoad, d.depth, u);
  d.noEnd = u() < 0.02;
  d.noDepth = u() < 0.015;
  if (!d.noDepth) d.depthStyle = u();
  drawFault(d, pool, u);
}

function roundToMinute(seconds: number): number {
  return Math.round(seconds / 60) * 60;
}

/** A road address: usually the road filed under the caller's community, else one nearby. */
function drawRoad(d: RecordDraw, u: Uniform): void {
  const near = nearRoad[d.community];
  const roads = officeRoads[communityList[d.community]!.officeIndex]!;
  d.road = near !== undefined && u() < 0.7 ? near : roads[pick(u, roads.length)]!;
  d.roadNumber = 1 + pick(u, 400);
}

function writeAddress(sink: ByteSink, pool: CallerPool, d: RecordDraw): void {
  if (d.onRoad) {
    const road = d.road!;
    if (road.quote) writeField(sink, `${road.text}${d.roadNumber}号`);
    else {
      sink.bytes(road.bytes);
      sink.uint(d.roadNumber);
      sink.bytes(houseNumber.bytes);
    }
    return;
  }
  const name = communityPieces[d.community]!;
  if (name.quote) {
    const flat = flatText(pool, d.caller);
    writeField(sink, d.spacedAddress ? `${name.text} ${flat}` : name.text + flat);
    return;
  }
  sink.bytes(name.bytes);
  if (d.spacedAddress) sink.byte(ascii.space);
  writeFlat(sink, pool, d.caller);
}

/** Depth in cm: roads flood deeper than courtyards, storms deeper than showers. */
function drawDepth(onRoad: boolean, intensity: number, u: Uniform): number {
  const median = (onRoad ? 18 : 12) * (0.6 + 0.4 * Math.min(intensity, 6));
  const raw = median * Math.exp(0.55 * normal(u));
  return Math.min(180, Math.max(1, raw));
}

/** A depth the way clerks type it: to 5 cm, to a tenth, or to the cm. */
function writeDepth(sink: ByteSink, depth: number, style: number): void {
  if (style < 0.3) sink.uint(Math.max(5, Math.round(depth / 5) * 5));
  else if (style < 0.35) sink.text(depth.toFixed(1));
  else sink.uint(Math.round(depth));
}

/** Callers and clerks write the same mobile number several ways; ingest strips them. */
function writePhone(sink: ByteSink, pool: CallerPool, caller: number, style: number): void {
  if (style >= 0.9 && style < 0.97)
    sink.bytes(style < 0.94 ? countryCode.spaced : countryCode.tight);
  sink.bytes(callerPrefix(pool, caller).bytes);
  const last8 = callerLast8(pool, caller);
  if (style < 0.84 || (style >= 0.9 && style < 0.97)) {
    sink.uint(last8, 8);
    return;
  }
  const separator = style < 0.9 ? ascii.space : ascii.dash;
  const high = Math.floor(last8 / 10000);
  sink.byte(separator);
  sink.uint(high, 4);
  sink.byte(separator);
  sink.uint(last8 - high * 10000, 4);
}

/** The phone as `writePhone` spells it, for the rare record whose phone is then broken. */
function phoneText(pool: CallerPool, caller: number, style: number): string {
  const phone =
    callerPrefix(pool, caller).text + String(callerLast8(pool, caller)).padStart(8, '0');
  if (style < 0.84) return phone;
  if (style < 0.9) return `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`;
  if (style < 0.94) return `+86 ${phone}`;
  if (style < 0.97) return `+86${phone}`;
  return `${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`;
}

const badPhones = [
  () => '',
  (p: string) => p.slice(0, 10),
  (p: string) => `025-8${p.slice(4)}`,
  (p: string) => `${p.slice(0, 6)}x${p.slice(7)}`,
];
const badDepths = ['齐膝', '很深', 'abc', '30cm', '-'];
const badTimes = ['2020/07/05 14:03', '2019-06-31 09:12:00', '昨天晚上', ''];
// One name a line, so that each line stays within 100 bytes, not only 100 columns.
// prettier-ignore
const unknownAddresses = [
  '中山南路88号',
  '江宁区百家湖花园3栋2单元101室',
  '新街口附近',
  '不清楚',
];

/** Breaks about 2% of records, each in one way that ingest must reject. */
function drawFault(d: RecordDraw, pool: CallerPool, u: Uniform): void {
  d.fault = Fault.None;
  const f = u();
  if (f >= 0.02) return;
  const which = u();
  if (f < 0.005) {
    d.fault = Fault.Phone;
    const bad = badPhones[pick(u, badPhones.length)]!;
    d.faultText = bad(phoneText(pool, d.caller, d.phoneStyle));
  } else if (f < 0.009) {
    d.fault = Fault.Depth;
    const bad = badDepths[pick(u, badDepths.length)]!;
    d.faultText = bad === '-' ? `-${1 + pick(u, 40)}` : bad;
  } else if (f < 0.0125) {
    d.fault = Fault.End;
    d.faultEnd = d.start - (1 + pick(u, 300)) * 60;
  } else if (f < 0.016) {
    d.fault = which < 0.7 ? Fault.CallTime : Fault.FloodStart;
    d.faultText = badTimes[pick(u, badTimes.length)]!;
  } else {
    d.fault = Fault.Address;
    d.faultText = unknownAddresses[pick(u, unknownAddresses.length)]!;
  }
}
