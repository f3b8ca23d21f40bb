import { encodeText, type ByteSink } from './byte-sink.js';
import { ascii } from './gulou-text.js';
import { cumulate, normal, type Uniform } from './prng.js';

/**
 * The synthetic hotline's calendar: which days get flooding calls and how
 * hard it rained. Calls cluster in the June-July plum rains (梅雨) and on
 * typhoon days, as a real Nanjing export does; the rest of the year is quiet.
 * Times are whole seconds counted from `epochDay`, with no time zone, since
 * the export writes local wall-clock times.
 */

/** First day of the export, as a UTC date used only to name days. */
const firstDay = Date.UTC(2019, 0, 1);
/** Days before the first day that a flood may have started on. */
const leadDays = 7;
/** Days of the export: 2019-01-01 to 2021-12-31. */
export const exportDays = 1096;

/** Plum-rain windows per year, [first, last] day as MM-DD (2020's was unusually long). */
const plumRains: Record<number, [string, string]> = {
  2019: ['06-17', '07-21'],
  2020: ['06-09', '08-01'],
  2021: ['06-10', '07-11'],
};

/** Typhoon days (Lekima 2019, In-Fa 2021), with how much harder than a usual rain day. */
const typhoonDays: Record<string, number> = {
  '2019-08-10': 6,
  '2019-08-11': 3,
  '2021-07-26': 3,
  '2021-07-27': 6,
  '2021-07-28': 4,
};

/** How likely a flooding complaint is in each month, before the rain of the day. */
const monthBase = [0.05, 0.05, 0.1, 0.25, 0.5, 0.9, 1, 0.9, 0.5, 0.2, 0.08, 0.05];

/** Per export day: relative call volume and the rain intensity (1 = an ordinary rain day). */
export interface RainCalendar {
  cumulative: Float64Array;
  intensity: Float64Array;
}

/** Draws which days rained and how hard; the same seed gives the same calendar. */
export function rainCalendar(u: Uniform): RainCalendar {
  const weights: number[] = [];
  const intensity = new Float64Array(exportDays);
  for (let d = 0; d < exportDays; d++) {
    const date = new Date(firstDay + d * 86400000);
    const label = date.toISOString().slice(0, 10);
    const year = date.getUTCFullYear();
    const [from, to] = plumRains[year]!;
    const plum = label.slice(5) >= from && label.slice(5) <= to;
    const rainChance = plum ? 0.5 : [6, 7, 8].includes(date.getUTCMonth()) ? 0.22 : 0.08;
    const rained = u() < rainChance;
    const storm = typhoonDays[label] ?? 0;
    const i = storm > 0 ? storm : rained ? Math.exp(0.7 * normal(u)) : 0.2;
    intensity[d] = i;
    const yearFactor = year === 2020 ? 1.4 : 1;
    const base = monthBase[date.getUTCMonth()]! * (plum ? 3 : 1) * yearFactor;
    weights.push(storm > 0 || rained ? base * (1 + 6 * i) : base * 0.05);
  }
  return { cumulative: cumulate(weights), intensity };
}

/** Calls per hour of the day: few at night, most in the morning and evening. */
export const hourCumulative = cumulate([
  0.3, 0.2, 0.15, 0.1, 0.1, 0.2, 0.6, 1.2, 1.6, 1.5, 1.3, 1.2, 1.1, 1, 1, 1.1, 1.2, 1.4, 1.5, 1.3,
  1.1, 0.9, 0.7, 0.5,
]);

/** Seconds from the time origin to the start of export day `d`. */
export function dayStartSeconds(d: number): number {
  return (d + leadDays) * 86400;
}

const dayLabels: string[] = [];
const dayLabelBytes: Uint8Array[] = [];

function dayLabel(originDay: number): string {
  let label = dayLabels[originDay];
  if (label === undefined) {
    const ms = firstDay + (originDay - leadDays) * 86400000;
    label = new Date(ms).toISOString().slice(0, 10);
    dayLabels[originDay] = label;
  }
  return label;
}

/** Writes 'YYYY-MM-DD HH:MM:SS' of a time in whole seconds from the origin. */
export function writeSeconds(sink: ByteSink, seconds: number): void {
  const day = Math.floor(seconds / 86400);
  const rest = seconds - day * 86400;
  let label = dayLabelBytes[day];
  if (label === undefined) {
    label = encodeText(dayLabel(day));
    dayLabelBytes[day] = label;
  }
  sink.bytes(label);
  sink.byte(ascii.space);
  sink.twoDigits(Math.floor(rest / 3600));
  sink.byte(ascii.colon);
  sink.twoDigits(Math.floor(rest / 60) % 60);
  sink.byte(ascii.colon);
  sink.twoDigits(rest % 60);
}

/** 'YYYYMMDD' of export day `d`, the prefix of the day's record ids. */
export function compactDay(d: number): string {
  return dayLabel(d + leadDays).replaceAll('-', '');
}
