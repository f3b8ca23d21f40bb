import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { InProcessResult } from './in-process.js';
import type { HttpResult } from './http.js';
import type { IngestFigures } from './prepare-size.js';

/** Everything one `npm run bench` measured; the shape of results/<date>.json. */
export interface BenchResults {
  date: string;
  machine: {
    cores: number;
    memoryGiB: number;
    cpu: string;
    node: string;
    loadAverageAtStart: number[];
    loadAverageAtEnd: number[];
  };
  durationSeconds: number;
  inProcess: InProcessResult[];
  http: HttpResult[];
  ingest: IngestFigures[];
  memory: {
    rows: number | 'nyc';
    serverPeakRssMiB: number;
    /** Plain DuckDB answering the raw questions on the same file, in a process of its own. */
    rawDuckdbPeakRssMiB?: number;
    ingestPeakRssMiB?: number;
  }[];
  targets: { target: string; measured: string; met: boolean }[];
}

/** Checks each target of the issue against what was measured. */
export function checkTargets(r: Omit<BenchResults, 'targets'>): BenchResults['targets'] {
  const out: BenchResults['targets'] = [];
  const top = Math.max(...r.inProcess.map((x) => x.rows));
  for (const x of r.inProcess.filter((x) => x.rows === top)) {
    out.push({
      target: `Veil/raw <= 1.25, ${x.query}, ${top} rows`,
      measured: `${x.ratio}`,
      met: x.ratio <= 1.25,
    });
  }
  const best = (mode: string) =>
    Math.max(
      0,
      ...r.http
        .filter((h) => h.target === 'nyc' && h.mode === mode)
        .map((h) => h.answeredPerSecond),
    );
  out.push({
    target: '>= 1000 distinct queries/s on NYC',
    measured: `${best('distinct')}`,
    met: best('distinct') >= 1000,
  });
  out.push({
    target: '>= 5000 repeats/s on NYC',
    measured: `${best('repeat')}`,
    met: best('repeat') >= 5000,
  });
  out.push(...growthTargets(r));
  const big = r.ingest.filter((i) => i.rows >= 1e7).sort((a, b) => a.rows - b.rows)[0];
  if (big) {
    out.push({
      target: `ingest >= 1e6 rows/s at ${big.rows}`,
      measured: `${big.rowsPerSecond}`,
      met: big.rowsPerSecond >= 1e6,
    });
  }
  return out;
}

/** Slack on "linear": a tenfold size may cost this much more than tenfold time. */
const LINEAR_SLACK = 1.25;
/** Server memory may grow this much more than plain DuckDB's from one size to the next. */
const MEMORY_STEP_MIB = 150;

/**
 * Cost grows linearly or better with rows (each query's Veil time, from the
 * second-largest size to the largest), and the server's memory never grows
 * from one size to the next by much more than plain DuckDB's does.
 */
function growthTargets(r: Omit<BenchResults, 'targets'>): BenchResults['targets'] {
  const out: BenchResults['targets'] = [];
  const sizes = [...new Set(r.inProcess.map((x) => x.rows))].sort((a, b) => a - b);
  const [lo, hi] = sizes.slice(-2);
  if (lo !== undefined && hi !== undefined) {
    for (const x of r.inProcess.filter((x) => x.rows === hi)) {
      const before = r.inProcess.find((y) => y.rows === lo && y.query === x.query)!;
      const growth = x.veilMs / before.veilMs;
      out.push({
        target: `linear or better, ${x.query}: time x${hi / lo} rows <= x${(hi / lo) * LINEAR_SLACK}`,
        measured: `x${Math.round(growth * 100) / 100}`,
        met: growth <= (hi / lo) * LINEAR_SLACK,
      });
    }
  }
  const steps = r.memory.filter(
    (m): m is typeof m & { rows: number; rawDuckdbPeakRssMiB: number } =>
      typeof m.rows === 'number' && m.rawDuckdbPeakRssMiB !== undefined,
  );
  for (let i = 1; i < steps.length; i++) {
    const a = steps[i - 1]!;
    const b = steps[i]!;
    const server = b.serverPeakRssMiB - a.serverPeakRssMiB;
    const duck = b.rawDuckdbPeakRssMiB - a.rawDuckdbPeakRssMiB;
    out.push({
      target: `memory ${a.rows} -> ${b.rows}: server growth <= DuckDB's + ${MEMORY_STEP_MIB} MiB`,
      measured: `server +${server} MiB, DuckDB +${duck} MiB`,
      met: server <= duck + MEMORY_STEP_MIB,
    });
  }
  return out;
}

const start = '<!-- results:start -->';
const end = '<!-- results:end -->';

/** Rewrites the generated part of RESULTS.md, keeping the hand-written analysis around it. */
export function writeSummary(file: string, r: BenchResults): void {
  const old = existsSync(file)
    ? readFileSync(file, 'utf8')
    : `# Benchmark results\n\n${start}\n${end}\n`;
  const [before] = old.split(start);
  const after = old.includes(end) ? old.split(end)[1] : '\n';
  writeFileSync(file, `${before}${start}\n${tables(r)}${end}${after}`);
}

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |\n`;
  return line(head) + line(head.map(() => '---')) + rows.map(line).join('') + '\n';
}

function tables(r: BenchResults): string {
  const m = r.machine;
  return [
    `Run ${r.date}, ${r.durationSeconds} s in all. Machine: ${m.cores} cores (${m.cpu}), ` +
      `${m.memoryGiB} GiB, Node ${m.node}; load average ${m.loadAverageAtStart.join(' / ')} ` +
      `at start, ${m.loadAverageAtEnd.join(' / ')} at end (other engineers' test runs share it).\n\n`,
    '### Targets\n\n',
    table(
      ['target', 'measured', 'met'],
      r.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : '**no**']),
    ),
    '### In process: Veil answer path vs raw DuckDB (ms)\n\n',
    table(
      ['query', 'rows', 'Veil median', 'raw median', 'Veil/raw', 'Veil p95', 'raw p95', 'samples'],
      r.inProcess.map((x) => [
        x.query,
        x.rows,
        x.veilMs,
        x.rawMs,
        x.ratio,
        x.veilP95Ms,
        x.rawP95Ms,
        x.samples,
      ]),
    ),
    '### HTTP: POST /v1/query under autocannon\n\n',
    table(
      ['data', 'mode', 'connections', 'answered/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx'],
      r.http.map((h) => [
        h.target,
        h.mode,
        h.connections,
        h.answeredPerSecond,
        h.p50Ms,
        h.p99Ms,
        h.errors,
        h.non2xx,
      ]),
    ),
    '### Ingest from CSV\n\n',
    table(
      ['rows', 'kept', 'CSV MiB', 'ingest s', 'rows/s', 'peak RSS MiB', 'generate s'],
      r.ingest.map((i) => [
        i.rows,
        i.rowsKept,
        Math.round(i.csvBytes / 2 ** 20),
        i.ingestMs / 1000,
        i.rowsPerSecond,
        i.peakRssMiB,
        i.generateMs / 1000,
      ]),
    ),
    '### Server peak resident memory\n\n',
    table(
      ['data', 'server peak RSS MiB', 'plain DuckDB peak RSS MiB', 'ingest peak RSS MiB'],
      r.memory.map((x) => [
        x.rows,
        x.serverPeakRssMiB,
        x.rawDuckdbPeakRssMiB ?? '',
        x.ingestPeakRssMiB ?? '',
      ]),
    ),
  ].join('');
}
