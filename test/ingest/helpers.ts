import { DuckDBInstance } from '@duckdb/node-api';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The slice of a tap test these helpers need. */
interface Teardown {
  teardown(fn: () => void): void;
}

/** A fresh directory under the OS temp dir, removed when the test ends. */
export function tempDir(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'veil-ingest-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Runs read-only SQL on the enclave and returns plain JS rows; closes DuckDB afterwards. */
export async function query(dataDir: string, ...sql: string[]): Promise<unknown[][][]> {
  const instance = await DuckDBInstance.create(join(dataDir, 'enclave.duckdb'), {
    access_mode: 'READ_ONLY',
  });
  try {
    const conn = await instance.connect();
    try {
      const out: unknown[][][] = [];
      for (const s of sql) out.push((await conn.runAndReadAll(s)).getRowsJS() as unknown[][]);
      return out;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Hex sha256 of a string, as the enclave computes unit ids. */
export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Where a record falls in its unit's rank order, as the enclave computes it:
 * md5(rank key || record key) read as a little-endian 128-bit number (as
 * DuckDB's md5_number), the rank key being the first 32 hex digits of
 * sha256(salt || 'rank').
 */
export function rankOrder(salt: string, recordKey: string): bigint {
  const key = sha256(`${salt}rank`).slice(0, 32);
  const digest = createHash('md5')
    .update(key + recordKey)
    .digest();
  return (digest.readBigUInt64LE(8) << 64n) | digest.readBigUInt64LE(0);
}

/** The data directory's salt. */
export function saltOf(dataDir: string): string {
  return readFileSync(join(dataDir, 'salt.key'), 'utf8').trim();
}

/** Writes a CSV with the given header and rows (fields quoted when needed) and returns its path. */
export function writeCsv(dir: string, name: string, header: string[], rows: string[][]): string {
  const field = (v: string) => (/[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [header, ...rows].map((r) => r.map(field).join(','));
  const path = join(dir, name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

/** Builds full rows from partial records: unnamed columns are empty. */
export function rowsFor(header: string[], records: Record<string, string>[]): string[][] {
  return records.map((r) => header.map((h) => r[h] ?? ''));
}

/** The first row of one query. */
export async function firstRow(dataDir: string, sql: string): Promise<unknown[]> {
  const [rows] = await query(dataDir, sql);
  return rows![0]!;
}
