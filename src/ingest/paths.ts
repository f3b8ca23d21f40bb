import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where ingest finds its inputs and puts its outputs. The repository root is
 * found from this module's own URL: src/ingest/paths.ts under the TypeScript
 * loader and dist/ingest/paths.js when built sit at the same depth, so the
 * bundled datasets resolve the same way in tests and in production.
 */

/** The repository root (the folder holding datasets/ and policies/). */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A file of the bundled datasets folder. */
export function bundledDataset(file: string): string {
  return join(repoRoot, 'datasets', file);
}

/** The enclave's DuckDB file; the gateway opens the same path read-only. */
export function enclaveFile(dataDir: string): string {
  return join(dataDir, 'enclave.duckdb');
}

/** The per-installation salt that keys unit ids and row ranks. */
export function saltFile(dataDir: string): string {
  return join(dataDir, 'salt.key');
}

/** The list of datasets the last ingests committed, readable without opening DuckDB. */
export function manifestFile(dataDir: string): string {
  return join(dataDir, 'enclave.datasets.json');
}
