import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fetch } from 'undici';
import { writeBenchPolicyDir } from './lib/bench-policies.js';
import { loadQuery, startServer, type BenchServer, type HttpResult } from './lib/http.js';
import { runInProcess, type InProcessResult } from './lib/in-process.js';
import { readIngestFigures, type IngestFigures } from './lib/prepare-size.js';
import { benchQueries } from './lib/queries.js';
import { rawDuckdbPeakRssMiB } from './lib/raw-memory.js';
import { checkTargets, writeSummary, type BenchResults } from './lib/report.js';

/**
 * `npm run bench`: Veil against raw DuckDB from 1e4 to 1e7 rows (1e8 with
 * VEIL_BENCH_1E8=1), HTTP throughput, ingest speed and memory. Data is
 * generated and ingested once per size into benchmarks/data/<size>/ and
 * reused. VEIL_BENCH_SIZES (e.g. "1e4,1e5") narrows a run for a quick look.
 */

const here = new URL('.', import.meta.url).pathname;
const root = join(here, '..');
const prepareScript = join(here, 'lib/prepare-size.ts');
const t0 = performance.now();
const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);

const sizes = (process.env.VEIL_BENCH_SIZES ?? '1e4,1e5,1e6,1e7')
  .split(',')
  .map(Number)
  .concat(process.env.VEIL_BENCH_1E8 === '1' ? [1e8] : []);
const rounds: Record<number, number> = { 1e4: 30, 1e5: 30, 1e6: 20, 1e7: 8, 1e8: 4 };
const httpSeconds = Number(process.env.VEIL_BENCH_HTTP_SECONDS ?? 4);
const connectionSteps = [1, 4, 16, 64];

const log = (msg: string) => process.stderr.write(`[bench ${elapsed()} s] ${msg}\n`);
const elapsed = () => Math.round((performance.now() - t0) / 1000);
const dataDir = (rows: number) => join(here, 'data', String(rows));

/** Generates and ingests one size unless a complete earlier ingest is there. */
function prepare(rows: number): IngestFigures {
  const dir = dataDir(rows);
  const kept = readIngestFigures(dir);
  if (kept) return kept;
  const run = (args: string[]) =>
    execFileSync(
      process.execPath,
      ['--import', '@tapjs/typescript/import', prepareScript, ...args],
      {
        env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
  log(`generating ${rows} rows`);
  const generateMs = run(['generate', String(rows), dir]).trim();
  log(`ingesting ${rows} rows`);
  run(['ingest', String(rows), dir, generateMs]);
  return readIngestFigures(dir)!;
}

const nycQuery = {
  dataset: 'nyc311_street_flooding',
  groupBy: ['borough', 'created:month'],
  aggregates: [{ fn: 'count' }],
};
const gulouQuery = {
  dataset: 'gulou_flooding',
  groupBy: ['street_office', 'severity'],
  aggregates: [{ fn: 'count' }, { fn: 'avg', column: 'depth_cm' }],
};

async function loadSweep(server: BenchServer, target: string, body: object): Promise<HttpResult[]> {
  const out: HttpResult[] = [];
  for (const mode of ['distinct', 'repeat'] as const) {
    for (const c of connectionSteps) {
      const r = await loadQuery(
        server,
        target,
        body as Record<string, unknown>,
        mode,
        c,
        httpSeconds,
      );
      log(`http ${target} ${mode} c=${c}: ${r.answeredPerSecond}/s p99 ${r.p99Ms} ms`);
      out.push(r);
    }
  }
  return out;
}

/** Asks each benchmark question a few times, so the server's peak memory covers them. */
async function exercise(server: BenchServer): Promise<void> {
  for (let i = 0; i < 3; i++) {
    for (const q of benchQueries) {
      const res = await fetch(`${server.url}/v1/query`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...q.request, epsilon: 1 + i / 10 }),
      });
      if (res.status !== 200) throw new Error(`bench query ${q.name} got HTTP ${res.status}`);
      await res.text();
    }
  }
}

async function main(): Promise<void> {
  const policyDir = writeBenchPolicyDir(join(root, 'policies'));
  const inProcess: InProcessResult[] = [];
  const http: HttpResult[] = [];
  const ingest: IngestFigures[] = [];
  const memory: BenchResults['memory'] = [];
  try {
    for (const rows of sizes) {
      const figures = prepare(rows);
      ingest.push(figures);
      log(`in-process ${rows} rows`);
      inProcess.push(...(await runInProcess(dataDir(rows), rows, rounds[rows] ?? 8, policyDir)));
      const server = await startServer(dataDir(rows), policyDir);
      try {
        if (rows === sizes[0]) {
          http.push(...(await loadSweep(server, 'nyc', nycQuery)));
          memory.push({ rows: 'nyc', serverPeakRssMiB: server.peakRssMiB() });
        }
        if (rows === 1e6) http.push(...(await loadSweep(server, '1e6', gulouQuery)));
        await exercise(server);
        memory.push({
          rows,
          serverPeakRssMiB: server.peakRssMiB(),
          rawDuckdbPeakRssMiB: rawDuckdbPeakRssMiB(dataDir(rows)),
          ingestPeakRssMiB: figures.peakRssMiB,
        });
      } finally {
        await server.stop();
      }
    }
  } finally {
    rmSync(policyDir, { recursive: true, force: true });
  }
  const date = new Date().toISOString();
  const partial = {
    date,
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      cpu: cpus()[0]?.model ?? 'unknown',
      node: process.version,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    },
    durationSeconds: elapsed(),
    inProcess,
    http,
    ingest,
    memory,
  };
  const results: BenchResults = { ...partial, targets: checkTargets(partial) };
  const dir = join(here, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date.slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  copyFileSync(file, join(dir, 'latest.json'));
  writeSummary(join(here, 'RESULTS.md'), results);
  log(`wrote ${file}, results/latest.json and RESULTS.md`);
}

await main();
