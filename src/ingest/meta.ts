import type { DuckDBConnection } from '@duckdb/node-api';
import { renameSync, writeFileSync } from 'node:fs';
import { manifestFile } from './paths.js';
import type { IngestReport } from './report.js';

/**
 * The enclave's bookkeeping: which datasets it holds, from which source
 * file, under which data version, and how many rows each check rejected.
 * The gateway reads `veil_datasets` to name the data version in answers.
 */

/** Bumped whenever ingest would derive different tables from the same file. */
export const ingestCodeVersion = 'veil-ingest/2';

/** Creates the meta tables if this is a new enclave. */
export async function ensureMetaTables(conn: DuckDBConnection): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS veil_datasets (
    dataset VARCHAR PRIMARY KEY, data_version VARCHAR, source_sha256 VARCHAR,
    rows_read BIGINT, rows_kept BIGINT, rows_rejected BIGINT, ingested_at TIMESTAMP)`);
  await conn.run(`CREATE TABLE IF NOT EXISTS veil_ingest_rejections (
    dataset VARCHAR, reason VARCHAR, "rows" BIGINT)`);
}

/** Records one ingest; run inside the transaction that replaced the dataset's tables. */
export async function writeMeta(
  conn: DuckDBConnection,
  report: IngestReport,
  sourceSha256: string,
): Promise<void> {
  await conn.run(
    `INSERT OR REPLACE INTO veil_datasets VALUES
       ($dataset, $version, $sha, $read, $kept, $rejected, CAST($at AS TIMESTAMP))`,
    {
      dataset: report.dataset,
      version: report.dataVersion,
      sha: sourceSha256,
      read: report.rowsRead,
      kept: report.rowsKept,
      rejected: report.rowsRejected,
      at: new Date().toISOString().replace('T', ' ').replace('Z', ''),
    },
  );
  await conn.run('DELETE FROM veil_ingest_rejections WHERE dataset = $dataset', {
    dataset: report.dataset,
  });
  for (const { reason, rows } of report.rejections) {
    await conn.run('INSERT INTO veil_ingest_rejections VALUES ($dataset, $reason, $rows)', {
      dataset: report.dataset,
      reason,
      rows,
    });
  }
}

/** The datasets recorded in `veil_datasets`, sorted, with their data versions. */
export async function recordedDatasets(
  conn: DuckDBConnection,
): Promise<{ dataset: string; dataVersion: string }[]> {
  const reader = await conn.runAndReadAll(
    'SELECT dataset, data_version FROM veil_datasets ORDER BY dataset',
  );
  return reader
    .getRowsJS()
    .map(([dataset, v]) => ({ dataset: String(dataset), dataVersion: String(v) }));
}

/**
 * Writes `veil_datasets` as it stands to a small JSON file beside the enclave
 * (atomically, by rename), so that `enclaveExists` can answer without
 * opening DuckDB, whose client is asynchronous.
 */
export function writeManifest(
  dataDir: string,
  datasets: { dataset: string; dataVersion: string }[],
): void {
  const path = manifestFile(dataDir);
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ datasets }, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
