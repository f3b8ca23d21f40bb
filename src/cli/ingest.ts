import { mkdirSync } from 'node:fs';
import type { Config } from '../config/config.js';
import { generateGulou, ingestAll, ingestDataset, type IngestReport } from '../ingest/index.js';
import { formatTable } from '../demo/table.js';
import { ingestProgress } from './progress.js';

const datasetIds = ['nyc311_street_flooding', 'gulou_flooding'] as const;

/** `veil ingest`: loads one or both datasets and prints what was read, kept and rejected. */
export async function ingestCommand(config: Config, o: { dataset?: string; source?: string }) {
  if (o.source && !o.dataset)
    throw new Error('--source needs --dataset to say which dataset it feeds');
  if (o.dataset && !(datasetIds as readonly string[]).includes(o.dataset)) {
    throw new Error(`--dataset must be one of ${datasetIds.join(', ')}`);
  }
  mkdirSync(config.dataDir, { recursive: true });
  const progress = ingestProgress(o.dataset ? 1 : datasetIds.length);
  let reports: IngestReport[];
  try {
    reports = o.dataset
      ? [
          await ingestDataset({
            dataDir: config.dataDir,
            dataset: o.dataset as (typeof datasetIds)[number],
            ...(o.source ? { source: o.source } : {}),
            onStep: progress.onStep,
          }),
        ]
      : await ingestAll(config.dataDir, progress.onStep);
  } finally {
    progress.stop();
  }
  process.stdout.write(formatReports(reports));
}

/** The ingest report as readable tables: counts per dataset, then rejections by reason. */
export function formatReports(reports: IngestReport[]): string {
  const counts = formatTable(
    ['dataset', 'rows read', 'kept', 'rejected', 'data version'],
    reports.map((r) => [r.dataset, r.rowsRead, r.rowsKept, r.rowsRejected, r.dataVersion]),
  );
  const reasons = reports.flatMap((r) => r.rejections.map((x) => [r.dataset, x.reason, x.rows]));
  const rejected = reasons.length
    ? formatTable(['dataset', 'rejected because', 'rows'], reasons)
    : '';
  return `${counts}\n${rejected ? `${rejected}\n` : ''}`;
}

/** `veil generate`: writes synthetic hotline records. */
export async function generateCommand(o: { out: string; rows: number; seed: number }) {
  const { rows } = await generateGulou({ rows: o.rows, seed: o.seed, out: o.out });
  process.stdout.write(`wrote ${rows} rows to ${o.out}\n`);
}
