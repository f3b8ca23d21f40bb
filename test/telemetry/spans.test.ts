import { MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import t from 'tap';
import { startTelemetry, telemetryRequested } from '../../src/telemetry/sdk.js';
import { startTestGateway } from '../fixtures/gateway.js';

class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

function metricPoints(rm: ResourceMetrics, name: string) {
  const m = rm.scopeMetrics.flatMap((s) => s.metrics).find((x) => x.descriptor.name === name);
  return m ? (m.dataPoints as { attributes: Record<string, unknown>; value: unknown }[]) : [];
}

t.test('telemetry is off unless an OTEL_* variable asks for an exporter', async (t) => {
  t.equal(telemetryRequested({}), false);
  t.equal(startTelemetry({}), undefined);
  t.equal(telemetryRequested({ OTEL_TRACES_EXPORTER: 'console' }), true);
  t.equal(telemetryRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  t.equal(telemetryRequested({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' }), false);
});

t.test('a trace per request, a span per stage, no data values', async (t) => {
  const exporter = new InMemorySpanExporter();
  const reader = new TestReader();
  const telemetry = startTelemetry(
    {},
    { spanProcessors: [new SimpleSpanProcessor(exporter)], metricReaders: [reader] },
  )!;
  const g = await startTestGateway();
  t.teardown(async () => {
    await g.close();
    await telemetry.shutdown();
  });
  const token = g.token('buyer', 'acme-insurer');
  const sql =
    "SELECT community_board, COUNT(*) AS n FROM nyc311_street_flooding WHERE borough = 'QUEENS' GROUP BY ALL";
  const sqlAnswer = await g.call('/v1/query', { token, body: { sql, epsilon: 1 } });
  t.equal(sqlAnswer.status, 200);
  const jsonBody = {
    dataset: 'nyc311_street_flooding',
    groupBy: ['borough', 'created:month'],
    aggregates: [{ fn: 'count' }],
    filters: [{ column: 'status', op: 'eq', value: 'Closed' }],
    epsilon: 1,
  };
  const jsonAnswer = await g.call('/v1/query', { token, body: jsonBody });
  t.equal(jsonAnswer.status, 200);
  const refused = await g.call('/v1/query', {
    token,
    body: { ...jsonBody, filters: [{ column: 'incident_address', op: 'eq', value: '1 MAIN ST' }] },
  });
  t.equal(refused.status, 400);

  const audit = await g.call('/v1/audit/entries?outcome=answered&buyer=acme-insurer', {
    token: g.token('auditor'),
  });
  const suppressedOf = (queryId: string) =>
    audit.json.entries.find((e: { queryId: string }) => e.queryId === queryId).groupsSuppressed;
  const sqlSuppressed = suppressedOf(sqlAnswer.json.queryId);
  const jsonSuppressed = suppressedOf(jsonAnswer.json.queryId);
  t.ok(sqlSuppressed > 0, 'the audit log, not the answer, says how many groups were suppressed');
  t.equal(jsonAnswer.json.privacy.groupsSuppressed, undefined, 'buyers never see it');

  const spans = exporter.getFinishedSpans();
  const roots = spans.filter((s) => s.name === 'POST /v1/query');
  t.equal(roots.length, 3, 'one request span per request');
  const stages = [
    'veil.parse',
    'veil.budget',
    'veil.rewrite',
    'veil.enclave',
    'veil.release',
    'veil.audit',
  ];
  for (const root of roots.slice(0, 2)) {
    const traceId = root.spanContext().traceId;
    const inTrace = spans.filter((s) => s.spanContext().traceId === traceId);
    const names = inTrace.map((s) => s.name);
    for (const stage of stages) t.ok(names.includes(stage), `${stage} in the trace`);
    for (const s of inTrace.filter((x) => x !== root)) {
      t.equal(s.parentSpanContext?.spanId !== undefined, true, `${s.name} has a parent`);
    }
    t.equal(root.attributes['http.response.status_code'], 200);
    t.equal(root.attributes['veil.outcome'], 'answered');
  }
  const jsonTrace = spans.filter(
    (s) => s.spanContext().traceId === roots[1]!.spanContext().traceId,
  );
  t.ok(
    jsonTrace.some((s) => s.name === 'veil.policy'),
    'the JSON form has its own policy span',
  );
  const budget = jsonTrace.find((s) => s.name === 'veil.budget')!;
  t.equal(budget.attributes['veil.epsilon'], 1);
  const release = jsonTrace.find((s) => s.name === 'veil.release')!;
  t.equal(release.attributes['veil.groups.released'], jsonAnswer.json.privacy.groupsReleased);
  t.equal(release.attributes['veil.groups.suppressed'], jsonSuppressed);

  const refusedRoot = roots[2]!;
  t.equal(refusedRoot.attributes['veil.error.code'], 'VEIL_QUERY_IDENTIFIER');
  t.equal(refusedRoot.attributes['veil.outcome'], 'refused');
  const refusedTrace = spans.filter(
    (s) => s.spanContext().traceId === refusedRoot.spanContext().traceId,
  );
  t.notOk(
    refusedTrace.some((s) => s.name === 'veil.enclave'),
    'a refused query never reaches the enclave',
  );

  const keys = new Set<string>(['QUEENS', 'Closed', '1 MAIN ST', 'acme-insurer']);
  for (const a of [sqlAnswer, jsonAnswer]) {
    for (const row of a.json.rows as Record<string, unknown>[]) {
      for (const v of Object.values(row)) if (typeof v === 'string' && v.length > 2) keys.add(v);
    }
  }
  t.ok(keys.size >= 8, 'the answers had group keys to look for');
  const leaks: string[] = [];
  for (const s of spans) {
    for (const [name, v] of Object.entries(s.attributes)) {
      const text = String(v);
      if (text.includes('SELECT') || [...keys].some((k) => text.includes(k))) {
        leaks.push(`${s.name} ${name}=${text}`);
      }
    }
  }
  t.same(leaks, [], 'no span attribute holds a query, a key or a buyer');

  const { resourceMetrics } = await reader.collect();
  const requests = metricPoints(resourceMetrics, 'veil.requests');
  const byOutcome = Object.fromEntries(
    requests
      .filter((p) => p.attributes['http.route'] === '/v1/query')
      .map((p) => [p.attributes.outcome, p.value]),
  );
  t.same(byOutcome, { answered: 2, refused: 1 });
  const epsilon = metricPoints(resourceMetrics, 'veil.epsilon.spent');
  t.same(
    epsilon.map((p) => [p.attributes['veil.dataset'], p.value]),
    [['nyc311_street_flooding', 2]],
  );
  const enclave = metricPoints(resourceMetrics, 'veil.enclave.duration');
  t.equal((enclave[0]?.value as { count: number }).count, 2, 'two enclave runs timed');
  const suppressed = metricPoints(resourceMetrics, 'veil.groups.suppressed');
  t.equal(suppressed[0]?.value, sqlSuppressed + jsonSuppressed);
});
