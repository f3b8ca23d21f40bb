import { DuckDBInstance } from '@duckdb/node-api';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Enclave } from '../../src/enclave/enclave.js';
import { enclaveFile } from '../../src/ingest/paths.js';
import { checkQuery } from '../../src/policy/check.js';
import { loadPolicies } from '../../src/policy/load.js';
import type { ProvenColumns } from '../../src/query/checked.js';
import { queryRequest } from '../../src/query/request.js';
import { rewrite } from '../../src/rewrite/rewrite.js';

/**
 * The rewrite leaves out a NULL filter or a NaN guard only where the enclave
 * proved, by scanning the read-only table at opening, that it could not
 * change a row; and the enclave proves exactly that, no more.
 */

const policies = loadPolicies(fileURLToPath(new URL('../../policies', import.meta.url)));
const avgByBorough = checkQuery(
  queryRequest.parse({
    dataset: 'nyc311_street_flooding',
    groupBy: ['borough'],
    aggregates: [{ fn: 'avg', column: 'hours_to_close' }],
  }),
  policies,
);

t.test('without a proof every filter and guard is there', async (t) => {
  const { sql } = rewrite(avgByBorough, { units: false });
  t.match(sql, /"borough" is not null/);
  t.match(sql, /isfinite\("hours_to_close"\)/);
});

t.test('a proof removes only what it covers', async (t) => {
  const proven = (p: Partial<ProvenColumns>): ProvenColumns => ({
    nullFree: new Set(p.nullFree ?? []),
    finite: new Set(p.finite ?? []),
  });
  const noNull = rewrite(
    { ...avgByBorough, proven: proven({ nullFree: new Set(['borough']) }) },
    { units: false },
  ).sql;
  t.notMatch(noNull, /is not null/, 'no NULL filter on a column proved NULL-free');
  t.match(noNull, /isfinite/, 'the NaN guard stays without its own proof');
  const finite = rewrite(
    { ...avgByBorough, proven: proven({ finite: new Set(['hours_to_close']) }) },
    { units: false },
  ).sql;
  t.notMatch(finite, /isfinite/, 'no guard on a measure proved finite');
  t.match(finite, /"borough" is not null/, 'the NULL filter stays without its own proof');
  t.match(finite, /case when "hours_to_close" < \$\d+ then/, 'the value is still clamped');
});

t.test('the enclave proves NULL-free and finite columns from the data', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-proven-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const db = await DuckDBInstance.create(enclaveFile(dir));
  const conn = await db.connect();
  await conn.run(`CREATE TABLE veil_datasets (dataset VARCHAR, data_version VARCHAR,
    rows_kept BIGINT)`);
  await conn.run(`INSERT INTO veil_datasets VALUES ('d', 'v', 4)`);
  await conn.run(`CREATE TABLE d (full_key VARCHAR, holey_key VARCHAR, clean DOUBLE,
    nan DOUBLE, inf DOUBLE, nulls DOUBLE)`);
  await conn.run(`INSERT INTO d VALUES
    ('a', 'x', 1.5, 1, 1, 1), ('b', NULL, 2, 'NaN', 2, NULL),
    ('c', 'y', 3, 3, 'inf', 3), ('d', 'z', 4, 4, '-inf', NULL)`);
  conn.closeSync();
  db.closeSync();
  const enclave = await Enclave.open({ dataDir: dir });
  t.teardown(() => enclave.close());
  const p = enclave.proven.get('d')!;
  t.same([...p.nullFree].sort(), ['clean', 'full_key', 'inf', 'nan']);
  t.same([...p.finite].sort(), ['clean', 'nulls'], 'NULLs are no obstacle to finite');
});
