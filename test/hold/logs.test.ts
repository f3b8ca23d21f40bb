import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { startTelemetry } from '../../src/telemetry/sdk.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { distinctQuery, nyc } from '../fixtures/hold.js';
import { hostileSql, jsonBodies } from '../fixtures/hostile.js';
import { identifierValues, rawMeasureValues } from '../fixtures/secrets.js';

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
  const secrets = await identifierValues();
  const raw = await rawMeasureValues();
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
