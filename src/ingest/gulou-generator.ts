import { open } from 'node:fs/promises';
import { ByteSink, encodeText } from './byte-sink.js';
import {
  compactDay,
  dayStartSeconds,
  exportDays,
  hourCumulative,
  rainCalendar,
} from './gulou-calendar.js';
import { makeCallerPool } from './gulou-callers.js';
import { gulouColumns, writeRecord } from './gulou-rows.js';
import { pickWeighted, seededUniform, type Uniform } from './prng.js';
import { RecentLines } from './recent-lines.js';

/**
 * Writes the synthetic Gulou 12345-hotline export (datasets/gulou_flooding.csv).
 * The file is a pure function of (rows, seed): rows are streamed day by day
 * in call-time order, so a benchmark file of tens of millions of rows needs
 * memory only for the busiest day's call times. Each row is written as bytes
 * straight into a large buffer (see ByteSink), so drawing a row allocates
 * next to nothing and the file costs little more than its random draws.
 */

/** The committed dataset is generated with these. */
export const gulouDefaults = { rows: 1593, seed: 12345 } as const;

/** What to generate and where. */
export interface GenerateGulouOptions {
  rows?: number;
  seed?: number;
  out: string;
}

/** Share of lines that repeat an earlier line exactly, as re-exported tickets do. */
const duplicateShare = 0.01;
/** Lines to keep for drawing duplicates from. */
const recentLines = 32;

/**
 * Generates the export and writes it to `out` (UTF-8, LF, header row).
 * Same seed and row count give byte-identical files on every machine.
 */
export async function generateGulou(opts: GenerateGulouOptions): Promise<{ rows: number }> {
  const rows = opts.rows ?? gulouDefaults.rows;
  const seed = opts.seed ?? gulouDefaults.seed;
  if (!Number.isSafeInteger(rows) || rows < 0) throw new RangeError('rows must be an integer >= 0');
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError('seed must be an integer from 0 to 4294967295');
  }
  // opening first makes a bad path fail here, before any row is drawn
  const file = await open(opts.out, 'w');
  try {
    const sink = new ByteSink(file);
    await writeExport(sink, rows, seed);
    await sink.close();
  } finally {
    await file.close();
  }
  return { rows };
}

/** Draws the calendar, the callers and the calls per day, then writes the days in order. */
async function writeExport(sink: ByteSink, rows: number, seed: number): Promise<void> {
  const u = seededUniform(seed);
  const calendar = rainCalendar(u);
  const pool = makeCallerPool(rows, seed, u);
  const perDay = new Int32Array(exportDays);
  for (let i = 0; i < rows; i++) perDay[pickWeighted(calendar.cumulative, u())]! += 1;
  sink.text(`${gulouColumns.join(',')}\n`);
  const recent = new RecentLines(recentLines);
  for (let d = 0; d < exportDays; d++) {
    const day = { prefix: encodeText(compactDay(d)), intensity: calendar.intensity[d]! };
    const times = callTimes(d, perDay[d]!, u);
    let seq = 0;
    for (const callSeconds of times) {
      if (recent.count > 0 && u() < duplicateShare) {
        recent.repeat(sink, Math.floor(u() * recent.count));
      } else {
        seq += 1;
        const from = sink.pos;
        writeRecord(sink, pool, day, seq, callSeconds, u);
        recent.keep(sink, from, seq);
      }
      if (sink.full) {
        recent.detach(sink);
        await sink.flush();
      }
    }
  }
}

/** The day's call times in whole seconds, sorted, so the file reads in call order. */
function callTimes(day: number, calls: number, u: Uniform): Float64Array {
  const start = dayStartSeconds(day);
  const times = new Float64Array(calls);
  for (let i = 0; i < calls; i++) {
    times[i] = start + pickWeighted(hourCumulative, u()) * 3600 + Math.floor(u() * 3600);
  }
  return times.sort();
}
