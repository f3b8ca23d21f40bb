import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateGulou, ingestDataset } from '../../src/ingest/index.js';

/**
 * Child process of the benchmark: generates the Gulou CSV for one size and
 * ingests it (with the bundled NYC set, so a gateway can open the directory
 * as it is). Run apart so that its peak memory is the ingest's alone.
 * Prints one JSON line: the ingest figures.
 */

/** What the ingest of one size measured; kept beside the data so reruns can report it. */
export interface IngestFigures {
  rows: number;
  rowsKept: number;
  csvBytes: number;
  generateMs: number;
  ingestMs: number;
  rowsPerSecond: number;
  peakRssMiB: number;
}

/** Step one, in its own process: write the CSV; prints the milliseconds it took. */
async function generate(rows: number, dir: string): Promise<void> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  await generateGulou({ rows, seed: 7, out: join(dir, 'gulou.csv') });
  process.stdout.write(`${Math.round(performance.now() - t0)}\n`);
}

/** Step two, in a fresh process so its peak memory is the ingest's own. */
async function ingest(rows: number, dir: string, generateMs: number): Promise<void> {
  const csv = join(dir, 'gulou.csv');
  await ingestDataset({ dataset: 'nyc311_street_flooding', dataDir: dir });
  const t0 = performance.now();
  const report = await ingestDataset({ dataset: 'gulou_flooding', dataDir: dir, source: csv });
  const ingestMs = performance.now() - t0;
  const figures: IngestFigures = {
    rows,
    rowsKept: report.rowsKept,
    csvBytes: statSync(csv).size,
    generateMs,
    ingestMs: Math.round(ingestMs),
    rowsPerSecond: Math.round(rows / (ingestMs / 1000)),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  rmSync(csv);
  writeFileSync(join(dir, 'ingest.json'), JSON.stringify(figures));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

/** The figures a previous run left beside the data, when the data is complete. */
export function readIngestFigures(dir: string): IngestFigures | undefined {
  const file = join(dir, 'ingest.json');
  if (!existsSync(file) || !existsSync(join(dir, 'enclave.duckdb'))) return undefined;
  return JSON.parse(readFileSync(file, 'utf8')) as IngestFigures;
}

if (process.argv[1]?.endsWith('prepare-size.ts')) {
  const [mode, rows, dir, generateMs] = process.argv.slice(2);
  if (mode === 'generate') await generate(Number(rows), dir!);
  else await ingest(Number(rows), dir!, Number(generateMs));
}
