/**
 * Ingest: the only code that writes the enclave. It turns the bundled CSVs
 * (or a given file) into `<dataset>__raw` and `<dataset>` tables plus the
 * `veil_datasets` bookkeeping, and generates the synthetic Gulou export.
 */
export { enclaveExists, ingestAll, ingestDataset, datasetIds, ingestSteps } from './ingest.js';
export type { IngestProgress } from './ingest.js';
export { generateGulou, gulouDefaults, type GenerateGulouOptions } from './gulou-generator.js';
export { IngestError, type IngestOptions, type IngestReport } from './report.js';
export type { DatasetId } from './recipe.js';
export { ingestCodeVersion } from './meta.js';
export { enclaveFile, saltFile } from './paths.js';
