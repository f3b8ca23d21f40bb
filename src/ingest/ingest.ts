import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { createHash, createHmac } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { countRows, findCopies, rejectRows } from './checks.js';
import { rawTableSql, writeDerivedTable, writeRawTable } from './derive.js';
import { gulouRecipe } from './gulou-recipe.js';
import {
  ensureMetaTables,
  ingestCodeVersion,
  recordedDatasets,
  writeManifest,
  writeMeta,
} from './meta.js';
import { nyc311Recipe } from './nyc311-recipe.js';
import { bundledDataset, enclaveFile, manifestFile } from './paths.js';
import type { DatasetId, DatasetRecipe } from './recipe.js';
import { describeFailure, IngestError, type IngestOptions, type IngestReport } from './report.js';
import { loadOrCreateSalt } from './salt.js';
import { ident } from './sql.js';
import { csvHeader, stageCsv } from './stage.js';

/**
 * Loads source CSVs into the enclave. Each dataset's two tables are replaced
 * in one transaction, so the gateway sees either the old data or the new,
 * and a rerun on the same file with the same salt gives identical tables.
 * All row work happens in DuckDB; this module only sequences the steps.
 */

const recipes: Record<DatasetId, DatasetRecipe> = {
  nyc311_street_flooding: nyc311Recipe,
  gulou_flooding: gulouRecipe,
};

/** Every dataset the gateway serves, in the order `ingestAll` loads them. */
export const datasetIds = Object.keys(recipes) as DatasetId[];

/** The steps an ingest reports as it starts each, so a CLI can show progress. */
export const ingestSteps = ['read the source CSV', 'check the rows', 'write the tables'] as const;

/**
 * Called as each step of a dataset's ingest starts (`percent` undefined),
 * then every PROGRESS_POLL_MS while it runs with how far DuckDB says its
 * current statement is (0-100). Receives names and a number, never data.
 */
export type IngestProgress = (
  dataset: string,
  step: (typeof ingestSteps)[number],
  percent?: number,
) => void;

/** How often a running step's statement progress is read from DuckDB. */
export const PROGRESS_POLL_MS = 250;

/** Ingests one dataset into `<dataDir>/enclave.duckdb`, creating the salt on first use. */
export async function ingestDataset(
  opts: IngestOptions & { onStep?: IngestProgress },
): Promise<IngestReport> {
  const recipe = recipes[opts.dataset];
  if (recipe === undefined) throw new Error(`unknown dataset ${String(opts.dataset)}`);
  const source = opts.source ?? bundledDataset(recipe.bundledFile);
  const [report] = await withEnclave(opts.dataDir, (conn, salt) => [
    () => ingestInto(conn, salt, recipe, source, opts.onStep),
  ]);
  return report!;
}

/** Ingests every bundled dataset, in one session on the enclave file. */
export async function ingestAll(dataDir: string, onStep?: IngestProgress): Promise<IngestReport[]> {
  return withEnclave(dataDir, (conn, salt) =>
    datasetIds.map((id) => {
      const recipe = recipes[id];
      return () => ingestInto(conn, salt, recipe, bundledDataset(recipe.bundledFile), onStep);
    }),
  );
}

/**
 * True when the enclave file exists and the last ingest recorded every
 * dataset, so the gateway can open it without ingesting first.
 */
export function enclaveExists(dataDir: string): boolean {
  if (!existsSync(enclaveFile(dataDir)) || !existsSync(manifestFile(dataDir))) return false;
  try {
    const manifest = JSON.parse(readFileSync(manifestFile(dataDir), 'utf8')) as {
      datasets?: { dataset?: unknown }[];
    };
    const present = new Set((manifest.datasets ?? []).map((d) => d.dataset));
    return datasetIds.every((id) => present.has(id));
  } catch {
    return false;
  }
}

type Step<T> = () => Promise<T>;

/** Opens the enclave read-write, runs the steps in order, and always closes it again. */
async function withEnclave<T>(
  dataDir: string,
  plan: (conn: DuckDBConnection, salt: string) => Step<T>[],
): Promise<T[]> {
  const salt = loadOrCreateSalt(dataDir);
  const instance = await DuckDBInstance.create(enclaveFile(dataDir), {
    preserve_insertion_order: 'true',
  });
  try {
    const conn = await instance.connect();
    try {
      await trackProgress(conn);
      await ensureMetaTables(conn);
      const out: T[] = [];
      for (const step of plan(conn, salt)) out.push(await step());
      await conn.run('CHECKPOINT');
      writeManifest(dataDir, await recordedDatasets(conn));
      return out;
    } finally {
      conn.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

async function ingestInto(
  conn: DuckDBConnection,
  salt: string,
  recipe: DatasetRecipe,
  source: string,
  report: IngestProgress = () => undefined,
): Promise<IngestReport> {
  const onStep = progressOf(conn, report);
  const fail = (step: string) => (err: unknown) => {
    throw new IngestError(recipe.dataset, step, describeFailure(err));
  };
  if (!existsSync(source)) throw new IngestError(recipe.dataset, 'find the source', 'no such file');
  const hashing = fileSha256(source);
  hashing.catch(() => undefined);
  try {
    onStep(recipe.dataset, 'read the source CSV');
    await recipe.prepare?.(conn).catch(fail('prepare lookups'));
    const columns = await csvHeader(conn, source).catch(fail('read the source CSV'));
    const missing = recipe.requiredColumns.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      throw new IngestError(recipe.dataset, 'read the header', `missing ${missing.join(', ')}`);
    }
    const malformed = await stageCsv(conn, source, recipe, columns).catch(
      fail('read the source CSV'),
    );
    onStep(recipe.dataset, 'check the rows');
    await findCopies(conn, recipe).catch(fail('check the rows'));
    await rejectRows(conn, recipe).catch(fail('check the rows'));
    const checked = await countRows(conn, recipe).catch(fail('count the rows'));
    const rejections = [{ reason: 'malformed_row', rows: malformed }, ...checked.rejections];
    const sourceSha256 = await hashing.catch(fail('hash the source'));
    const partial = {
      dataset: recipe.dataset,
      rowsRead: checked.read + malformed,
      rejections,
      rowsRejected: rejections.reduce((sum, r) => sum + r.rows, 0),
      dataVersion: dataVersionOf(salt, sourceSha256),
    };
    onStep(recipe.dataset, 'write the tables');
    return await replaceTables(conn, salt, recipe, columns, partial, sourceSha256);
  } finally {
    onStep.stop();
    await dropTemporaries(conn);
  }
}

/** DuckDB tracks a statement's progress only when asked to, and then only after a delay. */
async function trackProgress(conn: DuckDBConnection): Promise<void> {
  await conn.run('SET enable_progress_bar = true');
  await conn.run('SET enable_progress_bar_print = false');
  await conn.run('SET progress_bar_time = 0');
}

/**
 * Reports each step as it starts, then polls DuckDB's progress of the
 * statement running on `conn` until the next step or stop().
 */
function progressOf(conn: DuckDBConnection, report: IngestProgress) {
  let timer: NodeJS.Timeout | undefined;
  const stop = () => clearInterval(timer);
  const start = (dataset: string, step: (typeof ingestSteps)[number]) => {
    stop();
    report(dataset, step);
    timer = setInterval(() => {
      const percent = conn.progress.percentage;
      if (percent >= 0) report(dataset, step, Math.min(100, percent));
    }, PROGRESS_POLL_MS);
    timer.unref();
  };
  return Object.assign(start, { stop });
}

/** Writes raw, derived and meta rows in one transaction. */
async function replaceTables(
  conn: DuckDBConnection,
  salt: string,
  recipe: DatasetRecipe,
  columns: string[],
  partial: Omit<IngestReport, 'rowsKept'>,
  sourceSha256: string,
): Promise<IngestReport> {
  await conn.run('BEGIN TRANSACTION');
  try {
    await writeRawTable(conn, rawTableSql(recipe, columns));
    await writeDerivedTable(conn, recipe, salt);
    const counts = await conn.runAndReadAll(`SELECT count(*) FROM ${ident(recipe.dataset)}`);
    const report: IngestReport = { ...partial, rowsKept: Number(counts.getRowsJS()[0]![0]) };
    await writeMeta(conn, report, sourceSha256);
    await conn.run('COMMIT');
    return report;
  } catch (err) {
    await conn.run('ROLLBACK');
    if (err instanceof IngestError) throw err;
    throw new IngestError(recipe.dataset, 'write the enclave tables', describeFailure(err));
  }
}

async function dropTemporaries(conn: DuckDBConnection): Promise<void> {
  const tables = [
    'veil_stage',
    'veil_copies',
    'veil_rejected',
    'veil_gazetteer',
    'veil_csv_errors',
    'veil_csv_scans',
  ];
  for (const table of tables) {
    await conn.run(`DROP TABLE IF EXISTS temp.${table}`);
  }
}

/**
 * The version every answer names: keyed by the salt, so that it changes
 * with the data and the ingest code but tells nothing about the file. An
 * unkeyed hash of the source would let someone who knows every record but
 * one test guesses for the last against the version in any answer.
 */
function dataVersionOf(salt: string, sourceSha256: string): string {
  return createHmac('sha256', salt)
    .update(`${sourceSha256}\n${ingestCodeVersion}`)
    .digest('hex')
    .slice(0, 16);
}

/** Hashes the source while DuckDB reads it, so version stamping costs no extra pass. */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
