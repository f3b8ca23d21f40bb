import { DuckDBInstance } from '@duckdb/node-api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { startTelemetry } from '../../src/telemetry/sdk.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { distinctQuery, nyc } from '../fixtures/hold.js';
import { hostileSql, jsonBodies } from '../fixtures/hostile.js';

const identifiers: Record<string, string[]> = {
  nyc311_street_flooding: [
    'incident_address',
    'street_name',
    'bbl',
    'latitude',
    'longitude',
    'unique_key',
  ],
  gulou_flooding: ['caller_name', 'phone', 'address'],
};
/**
 * Raw measures, and the raw timestamps measures are derived from. Values
 * shorter than six characters (most depths in cm) cannot be told from the
 * numbers every log line holds, so only the longer ones are looked for.
 */
const measures: Record<string, string[]> = {
  nyc311_street_flooding: ['created_date', 'closed_date'],
  gulou_flooding: ['depth_cm', 'flood_start', 'flood_end'],
};

const sources: Record<string, string> = {
  nyc311_street_flooding: 'nyc311_street_flooding_sj_2022-11_to_2023-02.csv',
  gulou_flooding: 'gulou_flooding.csv',
};

/**
 * Distinct values of the given columns in the bundled source CSV (the enclave
 * drops identifiers at ingest), as text, long enough to be telling.
 */
async function valuesOf(dataset: string, columns: string[], minLength: number) {
  const file = new URL(`../../datasets/${sources[dataset]}`, import.meta.url).pathname;
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const out = new Set<string>();
  try {
    for (const c of columns) {
      const sql =
        `SELECT DISTINCT CAST("${c}" AS VARCHAR) ` + `FROM read_csv('${file}', all_varchar = true)`;
      const rows = (await conn.runAndReadAll(sql)).getRowsJS() as [string | null][];
      for (const [v] of rows) if (v && v.trim().length >= minLength) out.add(v.trim());
    }
  } finally {
    conn.closeSync();
    db.closeSync();
  }
  return out;
}

t.test('no identifier or raw measure value reaches a log line, a span or an error', async (t) => {
  const exporter = new InMemorySpanExporter();
  const telemetry = startTelemetry({}, { spanProcessors: [new SimpleSpanProcessor(exporter)] })!;
  const g = await startTestGateway({ LOG_LEVEL: 'debug', VEIL_RATE_LIMIT: '0' });
  t.teardown(async () => {
    await g.close();
    await telemetry.shutdown();
  });
  const token = g.token('buyer', 'logged');
  for (let i = 0; i < 15; i++) await g.call('/v1/query', { token, body: distinctQuery(i, 0.5) });
  const gulou = {
    dataset: 'gulou_flooding',
    groupBy: ['severity'],
    aggregates: [
      { fn: 'count' },
      { fn: 'avg', column: 'depth_cm' },
      { fn: 'sum', column: 'flood_hours' },
    ],
  };
  await g.call('/v1/query', { token, body: gulou });
  await g.call('/v1/query', {
    token,
    body: { sql: `SELECT borough, AVG(hours_to_close) FROM ${nyc} GROUP BY borough` },
  });
  for (const body of jsonBodies) await g.call('/v1/query', { token, body });
  for (const sql of hostileSql) await g.call('/v1/query', { token, body: { sql } });
  await g.call('/v1/audit/entries', { token: g.token('auditor') });
  const secrets = new Set<string>();
  for (const [table, cols] of Object.entries(identifiers)) {
    for (const v of await valuesOf(table, cols, 5)) secrets.add(v);
  }
  const raw = new Set<string>();
  for (const [table, cols] of Object.entries(measures)) {
    for (const v of await valuesOf(table, cols, 6)) raw.add(v);
  }
  t.ok(secrets.size > 500, `${secrets.size} identifier values to look for`);
  t.ok(raw.size > 500, `${raw.size} raw measure and timestamp values to look for`);
  const errors = g.bodies.filter((b) => b.startsWith('{"error"'));
  const spans = exporter.getFinishedSpans();
  const attributes = spans.flatMap((s) =>
    Object.entries(s.attributes).map(([k, v]) => `${s.name} ${k}=${String(v)}`),
  );
  const haystack = [...g.logs, ...errors, ...attributes];
  t.ok(
    g.logs.length > 100 && errors.length > 50 && spans.length > 100,
    `${g.logs.length} log lines, ${errors.length} errors, ${attributes.length} span attributes`,
  );
  const leaks = haystack.filter((line) => [...secrets].some((s) => line.includes(s)));
  t.same(leaks, [], 'no identifier value in any log line, span attribute or error message');
  const measureLeaks = haystack.filter((line) => [...raw].some((v) => line.includes(v)));
  t.same(measureLeaks, [], 'no raw measure value in any log line, span attribute or error');
});
