import { execFileSync } from 'node:child_process';
import { DuckDBInstance } from '@duckdb/node-api';
import { enclaveFile } from '../../src/ingest/paths.js';
import { benchQueries } from './queries.js';

/**
 * Peak resident memory of plain DuckDB answering the benchmark's raw
 * questions on an enclave file, in a process of its own with the gateway's
 * DuckDB settings: the memory Veil's server is compared against, so that a
 * jump in the server's memory that DuckDB itself does not show stands out.
 */

const loader = ['--import', '@tapjs/typescript/import'];

/** Runs this file as a child on `dataDir` and returns its peak RSS in MiB. */
export function rawDuckdbPeakRssMiB(dataDir: string): number {
  const out = execFileSync(
    process.execPath,
    [...loader, new URL(import.meta.url).pathname, dataDir],
    {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
      encoding: 'utf8',
    },
  );
  return Number(out.trim());
}

async function child(dataDir: string): Promise<void> {
  const instance = await DuckDBInstance.create(enclaveFile(dataDir), {
    access_mode: 'READ_ONLY',
    threads: '2',
    memory_limit: '2GB',
  });
  const conn = await instance.connect();
  for (let i = 0; i < 3; i++) {
    for (const q of benchQueries) await conn.runAndReadAll(q.rawSql, q.rawParams);
  }
  conn.closeSync();
  instance.closeSync();
  process.stdout.write(`${Math.round(process.resourceUsage().maxRSS / 1024)}\n`);
}

if (process.argv[1]?.endsWith('raw-memory.ts')) await child(process.argv[2]!);
