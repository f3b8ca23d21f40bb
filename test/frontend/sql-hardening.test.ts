import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { hardenedDuckDbOptions, parserDuckDbOptions } from '../../src/frontend/sql/hardening.js';
import { startTestGateway } from '../fixtures/gateway.js';

// Defence in depth: the statements the SQL front end refuses must also fail
// when sent straight to a DuckDB instance configured like the enclave (a
// database file opened read-only, external access off, configuration
// locked) and like the parser's in-memory instance.

const dir = mkdtempSync(join(tmpdir(), 'veil-hardening-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Statements that reach outside the database or loosen its settings. */
function hostile(): string[] {
  return [
    "SELECT * FROM read_csv('/etc/passwd')",
    "SELECT * FROM read_csv_auto('/etc/hostname')",
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_blob('/etc/passwd')",
    "SELECT * FROM read_parquet('/etc/passwd')",
    "SELECT * FROM read_json_auto('/etc/hostname')",
    "SELECT * FROM '/etc/passwd'",
    "SELECT * FROM glob('/*')",
    `COPY (SELECT 42 AS x) TO '${dir}/copy.csv'`,
    `ATTACH '${dir}/other.duckdb' AS other`,
    'INSTALL httpfs',
    'LOAD httpfs',
    'SET enable_external_access = true',
    'SET lock_configuration = false',
    'RESET enable_external_access',
    "SET allowed_directories = ['/']",
    "SET GLOBAL memory_limit = '100GB'",
    "PRAGMA memory_limit = '100GB'",
    'PRAGMA threads = 64',
    `PRAGMA profiling_output = '${dir}/profile.txt'`,
    `EXPORT DATABASE '${dir}/export'`,
    `IMPORT DATABASE '${dir}'`,
    "SELECT getenv('HOME')",
    "CREATE SECRET leak (TYPE s3, KEY_ID 'a', SECRET 'b')",
  ];
}

/** The statements that ran without an error, and what each refused one said. */
async function tryAll(con: DuckDBConnection, statements: string[]) {
  const ran: string[] = [];
  const errors: string[] = [];
  for (const sql of statements) {
    try {
      await con.run(sql);
      ran.push(sql);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { ran, errors };
}

/** Files the statements would have written, had any of them run. */
function writtenFiles(): string[] {
  return ['copy.csv', 'export', 'profile.txt', 'other.duckdb'].filter((f) =>
    existsSync(join(dir, f)),
  );
}

/** Side effects the statements would have had, checked after they ran. */
async function leftovers(con: DuckDBConnection) {
  const setting = await con.runAndReadAll("SELECT current_setting('enable_external_access')");
  return { externalAccess: setting.getRows()[0]![0], files: writtenFiles() };
}

t.test('an enclave-like instance refuses every hostile statement', async (t) => {
  const file = join(dir, 'enclave.duckdb');
  const writer = await DuckDBInstance.create(file);
  const setup = await writer.connect();
  await setup.run('CREATE TABLE complaints AS SELECT 1 AS id, 2 AS zip');
  setup.closeSync();
  writer.closeSync();

  const instance = await DuckDBInstance.create(file, { ...hardenedDuckDbOptions });
  const con = await instance.connect();
  t.teardown(() => {
    con.closeSync();
    instance.closeSync();
  });
  const rows = await con.runAndReadAll('SELECT count(*) AS n FROM complaints');
  t.equal(Number(rows.getRows()[0]![0]), 1, 'the data is readable');
  const statements = [
    ...hostile(),
    'CREATE TABLE more (a INT)',
    'INSERT INTO complaints VALUES (3, 4)',
    'DROP TABLE complaints',
    "ATTACH ':memory:' AS scratch",
  ];
  const { ran, errors } = await tryAll(con, statements);
  t.same(ran, [], 'every statement failed');
  t.equal(errors.length, statements.length);
  t.ok(
    errors.some((e) => /disabled by configuration/.test(e)),
    'file access is disabled',
  );
  t.ok(
    errors.some((e) => /configuration has been locked/.test(e)),
    'settings are locked',
  );
  t.ok(
    errors.some((e) => /read-only mode/.test(e)),
    'the database is read-only',
  );
  t.same(await leftovers(con), { externalAccess: false, files: [] });
  const after = await con.runAndReadAll('SELECT count(*) FROM complaints');
  t.equal(Number(after.getRows()[0]![0]), 1, 'the data is unchanged');
});

t.test("the parser's in-memory instance refuses them too", async (t) => {
  const instance = await DuckDBInstance.create(':memory:', { ...parserDuckDbOptions });
  const con = await instance.connect();
  t.teardown(() => {
    con.closeSync();
    instance.closeSync();
  });
  const { ran } = await tryAll(con, hostile());
  t.same(ran, [], 'every statement failed');
  t.same(await leftovers(con), { externalAccess: false, files: [] });
});

t.test('the options name every safeguard, configuration lock last', async (t) => {
  for (const options of [hardenedDuckDbOptions, parserDuckDbOptions]) {
    t.equal(options.enable_external_access, 'false');
    t.equal(options.autoinstall_known_extensions, 'false');
    t.equal(options.autoload_known_extensions, 'false');
    t.equal(options.allow_community_extensions, 'false');
    t.equal(options.allow_unsigned_extensions, 'false');
    t.equal(Object.keys(options).at(-1), 'lock_configuration');
    t.equal(options.lock_configuration, 'true');
  }
  t.equal(hardenedDuckDbOptions.access_mode, 'READ_ONLY');
});

t.test("the gateway's own enclave connection refuses them too", async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const { enclave } = g.gw;
  const count = async () =>
    Number((await enclave.rawForTest('SELECT count(*) FROM nyc311_street_flooding'))[0]![0]);
  t.equal(await count(), 1000, 'the real data is readable');
  const writes = [
    'DELETE FROM nyc311_street_flooding',
    'UPDATE nyc311_street_flooding SET borough = NULL',
    'DROP TABLE nyc311_street_flooding',
    'CREATE TABLE more (a INT)',
  ];
  const failures: Record<string, string> = {};
  for (const sql of [...hostile(), ...writes]) {
    failures[sql] = await enclave.rawForTest(sql).then(
      () => 'ran',
      (err: unknown) => (err as Error).message,
    );
  }
  const ran = Object.entries(failures).filter(([, m]) => m === 'ran');
  t.same(ran, [], 'every statement failed on the enclave connection');
  for (const sql of writes) t.match(failures[sql], /read-only/, `${sql}: read-only`);
  for (const sql of ['SET enable_external_access = true', 'SET lock_configuration = false']) {
    t.match(failures[sql], /configuration has been locked/, `${sql}: locked`);
  }
  t.match(failures["SELECT * FROM read_csv('/etc/passwd')"], /disabled by configuration/);
  t.same(
    await enclave.rawForTest(
      "SELECT current_setting('enable_external_access'), current_setting('lock_configuration')",
    ),
    [[false, true]],
    'external access stays off and the configuration locked',
  );
  t.same(writtenFiles(), [], 'no file was written');
  t.equal(await count(), 1000, 'the data is unchanged');
});
