import { createHash, createHmac } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { enclaveExists, ingestAll, ingestCodeVersion } from '../../src/ingest/index.js';
import { loadOrCreateSalt } from '../../src/ingest/salt.js';
import { loadPolicies } from '../../src/policy/load.js';
import { firstRow, query, tempDir } from './helpers.js';

const repo = new URL('../../', import.meta.url).pathname;
const fileSha = (name: string) =>
  createHash('sha256')
    .update(readFileSync(join(repo, 'datasets', name)))
    .digest('hex');

/** The data version ingest stamps: HMAC-SHA256 under the data directory's salt. */
function keyedVersion(dir: string, sourceSha: string): string {
  return createHmac('sha256', loadOrCreateSalt(dir))
    .update(`${sourceSha}\n${ingestCodeVersion}`)
    .digest('hex')
    .slice(0, 16);
}

t.test('ingesting the bundled datasets', async (t) => {
  const dir = tempDir(t);
  t.equal(enclaveExists(dir), false, 'no enclave before the first ingest');
  const [nyc, gulou] = await ingestAll(dir);
  t.equal(enclaveExists(dir), true);

  t.test('NYC: all 1,000 real rows are kept', async (t) => {
    t.match(nyc, {
      dataset: 'nyc311_street_flooding',
      rowsRead: 1000,
      rowsKept: 1000,
      rowsRejected: 0,
      rejections: [
        { reason: 'malformed_row', rows: 0 },
        { reason: 'missing_unique_key', rows: 0 },
        { reason: 'duplicate_unique_key', rows: 0 },
        { reason: 'bad_created_date', rows: 0 },
      ],
    });
    const sha = fileSha('nyc311_street_flooding_sj_2022-11_to_2023-02.csv');
    t.equal(sha, '9e9d357c1f00a96bcbd27dae269a59182ab71dded0cc0c446465bcc6d1e5385b');
    t.equal(nyc!.dataVersion, keyedVersion(dir, sha), 'keyed by the salt');
    const unkeyed = createHash('sha256').update(`${sha}\n${ingestCodeVersion}`).digest('hex');
    t.not(nyc!.dataVersion, unkeyed.slice(0, 16), 'not a plain hash of the file');
  });

  t.test('Gulou: 50 of 1,593 synthetic rows are rejected, by reason', async (t) => {
    t.same(gulou, {
      dataset: 'gulou_flooding',
      rowsRead: 1593,
      rowsKept: 1543,
      rowsRejected: 50,
      rejections: [
        { reason: 'malformed_row', rows: 0 },
        { reason: 'missing_record_id', rows: 0 },
        { reason: 'duplicate', rows: 19 },
        { reason: 'bad_time', rows: 3 },
        { reason: 'bad_phone', rows: 9 },
        { reason: 'bad_depth', rows: 11 },
        { reason: 'end_before_start', rows: 4 },
        { reason: 'unknown_address', rows: 4 },
      ],
      dataVersion: keyedVersion(dir, fileSha('gulou_flooding.csv')),
    });
  });

  t.test('the meta tables record both ingests', async (t) => {
    const [datasets, rejections] = await query(
      dir,
      `SELECT dataset, data_version, source_sha256, rows_read, rows_kept, rows_rejected
       FROM veil_datasets ORDER BY dataset`,
      `SELECT dataset, reason, "rows" FROM veil_ingest_rejections
       WHERE "rows" > 0 ORDER BY dataset, reason`,
    );
    t.same(datasets, [
      ['gulou_flooding', gulou!.dataVersion, fileSha('gulou_flooding.csv'), 1593n, 1543n, 50n],
      [
        'nyc311_street_flooding',
        nyc!.dataVersion,
        fileSha('nyc311_street_flooding_sj_2022-11_to_2023-02.csv'),
        1000n,
        1000n,
        0n,
      ],
    ]);
    t.same(rejections, [
      ['gulou_flooding', 'bad_depth', 11n],
      ['gulou_flooding', 'bad_phone', 9n],
      ['gulou_flooding', 'bad_time', 3n],
      ['gulou_flooding', 'duplicate', 19n],
      ['gulou_flooding', 'end_before_start', 4n],
      ['gulou_flooding', 'unknown_address', 4n],
    ]);
  });

  t.test('the salt is 32 random bytes in hex, readable by the owner only', async (t) => {
    const path = join(dir, 'salt.key');
    t.match(readFileSync(path, 'utf8'), /^[0-9a-f]{64}$/);
    t.equal(statSync(path).mode & 0o777, 0o600);
  });

  t.test('derived tables hold keys, measures, unit ids and ranks only', async (t) => {
    const policies = loadPolicies(join(repo, 'policies'));
    const expected: Record<string, [string, string][]> = {
      nyc311_street_flooding: [
        ['unit_id', 'VARCHAR'],
        ['row_rank', 'INTEGER'],
        ['borough', 'VARCHAR'],
        ['community_board', 'VARCHAR'],
        ['zip', 'VARCHAR'],
        ['status', 'VARCHAR'],
        ['channel', 'VARCHAR'],
        ['created_day', 'VARCHAR'],
        ['created_week', 'VARCHAR'],
        ['created_month', 'VARCHAR'],
        ['hours_to_close', 'DOUBLE'],
      ],
      gulou_flooding: [
        ['unit_id', 'VARCHAR'],
        ['row_rank', 'INTEGER'],
        ['community', 'VARCHAR'],
        ['street_office', 'VARCHAR'],
        ['location_type', 'VARCHAR'],
        ['severity', 'VARCHAR'],
        ['called_day', 'VARCHAR'],
        ['called_month', 'VARCHAR'],
        ['called_year', 'VARCHAR'],
        ['depth_cm', 'DOUBLE'],
        ['flood_hours', 'DOUBLE'],
      ],
    };
    for (const [dataset, columns] of Object.entries(expected)) {
      const [described] = await query(
        dir,
        `SELECT column_name, data_type FROM duckdb_columns()
         WHERE table_name = '${dataset}' ORDER BY column_index`,
      );
      t.same(described, columns, dataset);
      const policy = policies.get(dataset)!;
      const identifiers = Object.entries(policy.columns)
        .filter(([, cls]) => cls === 'identifier')
        .map(([name]) => name);
      t.ok(identifiers.length > 0);
      const leaked = columns.filter(([name]) => identifiers.includes(name));
      t.same(leaked, [], `${dataset} has no identifier column`);
      const [ids] = await firstRow(
        dir,
        `SELECT count(*) FILTER (WHERE NOT regexp_full_match(unit_id, '[0-9a-f]{64}'))
         FROM ${dataset}`,
      );
      t.equal(ids, 0n, `${dataset} unit ids are hex sha256`);
    }
  });

  t.test('row_rank numbers each unit 1..n', async (t) => {
    for (const dataset of ['nyc311_street_flooding', 'gulou_flooding']) {
      const [bad, units, maxRank] = await firstRow(
        dir,
        `SELECT count(*) FILTER (WHERE lo <> 1 OR hi <> n OR distinct_ranks <> n),
                count(*), max(hi)
         FROM (SELECT unit_id, min(row_rank) lo, max(row_rank) hi, count(*) n,
                      count(DISTINCT row_rank) distinct_ranks
               FROM ${dataset} GROUP BY unit_id)`,
      );
      t.equal(bad, 0n, `${dataset}: no unit with a gap or repeat`);
      t.same(
        [units, maxRank],
        dataset === 'gulou_flooding' ? [763n, 19] : [857n, 12],
        `${dataset}: units and largest unit`,
      );
    }
  });

  t.test('NYC keys have the documented formats and spread', async (t) => {
    const row = await firstRow(
      dir,
      `SELECT count(DISTINCT community_board), count(DISTINCT zip),
              count(*) FILTER (WHERE borough IS NULL),
              count(*) FILTER (WHERE hours_to_close IS NULL),
              min(created_week), max(created_week),
              string_agg(DISTINCT created_month, ',' ORDER BY created_month),
              count(*) FILTER (WHERE NOT regexp_full_match(created_day, '\\d{4}-\\d{2}-\\d{2}'))
       FROM nyc311_street_flooding`,
    );
    t.same(row, [
      59n,
      148n,
      5n,
      12n,
      '2022-W45',
      '2023-W07',
      '2022-11,2022-12,2023-01,2023-02',
      0n,
    ]);
  });
});
