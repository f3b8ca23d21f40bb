import { once } from 'node:events';
import type { WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { finished } from 'node:stream/promises';
import {
  compactDay,
  dayStartSeconds,
  exportDays,
  hourCumulative,
  rainCalendar,
} from './gulou-calendar.js';
import { makeCallerPool, type CallerPool } from './gulou-callers.js';
import { csvLine, drawRecord, gulouColumns } from './gulou-rows.js';
import { pickWeighted, seededUniform, type Uniform } from './prng.js';

/**
 * Writes the synthetic Gulou 12345-hotline export (datasets/gulou_flooding.csv).
 * The file is a pure function of (rows, seed): rows are streamed day by day
 * in call-time order, so a benchmark file of tens of millions of rows needs
 * memory only for the busiest day.
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
/** Characters buffered before a write. */
const flushAt = 1 << 20;

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
  const stream = file.createWriteStream({ highWaterMark: 8 * flushAt });
  const done = finished(stream);
  done.catch(() => undefined);
  try {
    await writeExport(new LineWriter(stream), rows, seed);
  } catch (err) {
    stream.destroy();
    throw err;
  }
  stream.end();
  await done;
  return { rows };
}

/** Draws the calendar, the callers and the calls per day, then writes the days in order. */
async function writeExport(writer: LineWriter, rows: number, seed: number): Promise<void> {
  const u = seededUniform(seed);
  const calendar = rainCalendar(u);
  const pool = makeCallerPool(rows, seed, u);
  const perDay = new Int32Array(exportDays);
  for (let i = 0; i < rows; i++) perDay[pickWeighted(calendar.cumulative, u())]! += 1;
  writer.add(`${gulouColumns.join(',')}\n`);
  const recent: string[] = [];
  for (let d = 0; d < exportDays; d++) {
    const plan = { day: d, calls: perDay[d]!, intensity: calendar.intensity[d]! };
    await writeDay(writer, plan, { pool, u, recent });
  }
  await writer.flush();
}

interface DayPlan {
  day: number;
  calls: number;
  intensity: number;
}

interface DrawState {
  pool: CallerPool;
  u: Uniform;
  recent: string[];
}

async function writeDay(writer: LineWriter, plan: DayPlan, state: DrawState): Promise<void> {
  const { u, recent } = state;
  const times = callTimes(plan, u);
  const prefix = compactDay(plan.day);
  let seq = 0;
  for (const callSeconds of times) {
    let line: string;
    if (recent.length > 0 && u() < duplicateShare) {
      line = recent[Math.floor(u() * recent.length)]!;
    } else {
      seq += 1;
      const recordId = prefix + String(seq).padStart(6, '0');
      line = csvLine(
        drawRecord(state.pool, { recordId, callSeconds, intensity: plan.intensity }, u),
      );
      if (recent.length < recentLines) recent.push(line);
      else recent[seq % recentLines] = line;
    }
    if (writer.add(line)) await writer.flush();
  }
}

/** The day's call times in whole seconds, sorted, so the file reads in call order. */
function callTimes(plan: DayPlan, u: Uniform): Float64Array {
  const start = dayStartSeconds(plan.day);
  const times = new Float64Array(plan.calls);
  for (let i = 0; i < plan.calls; i++) {
    times[i] = start + pickWeighted(hourCumulative, u()) * 3600 + Math.floor(u() * 3600);
  }
  return times.sort();
}

/** Buffers lines into large chunks and waits only when the stream asks for a pause. */
class LineWriter {
  private buffer = '';

  constructor(private readonly stream: WriteStream) {}

  /** Appends a line; true when the buffer is full and should be flushed. */
  add(line: string): boolean {
    this.buffer += line;
    return this.buffer.length >= flushAt;
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer;
    this.buffer = '';
    if (this.stream.errored) throw this.stream.errored;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }
}
