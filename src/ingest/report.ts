import type { DatasetId } from './recipe.js';

/** What one ingest did, with counts only: it never carries a data value. */
export interface IngestReport {
  dataset: string;
  rowsRead: number;
  rowsKept: number;
  rowsRejected: number;
  rejections: { reason: string; rows: number }[];
  dataVersion: string;
}

/** Options of one dataset's ingest; `source` defaults to the bundled file. */
export interface IngestOptions {
  dataDir: string;
  dataset: DatasetId;
  source?: string;
}

/**
 * An ingest that failed. The message names the dataset and the step, and
 * never quotes the source (DuckDB's own messages can contain a CSV line, so
 * only their error class is kept).
 */
export class IngestError extends Error {
  constructor(
    readonly dataset: string,
    readonly step: string,
    detail: string,
  ) {
    super(`ingest of ${dataset} failed to ${step}: ${detail}`);
    this.name = 'IngestError';
  }
}

/** A value-free summary of an error thrown by DuckDB or the file system. */
export function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  const kind = /^([A-Za-z ]+ Error):/.exec(message)?.[1] ?? (err as Error)?.name ?? 'Error';
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === undefined ? kind : `${kind} (${code})`;
}
