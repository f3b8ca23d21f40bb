import { NodeSDK } from '@opentelemetry/sdk-node';
import type { IMetricReader } from '@opentelemetry/sdk-metrics';
import type { SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** A started telemetry SDK; `shutdown` flushes what is buffered. */
export interface Telemetry {
  shutdown(): Promise<void>;
}

/** Test hooks: in-memory span processors and metric readers instead of exporters. */
export interface TelemetryOverrides {
  spanProcessors?: SpanProcessor[];
  metricReaders?: IMetricReader[];
}

const exporterVars = [
  'OTEL_TRACES_EXPORTER',
  'OTEL_METRICS_EXPORTER',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_METRICS_ENDPOINT',
] as const;

/**
 * True when the standard OTEL_* variables ask for an exporter. With none
 * set, Veil starts no SDK at all: an operator who did not ask for telemetry
 * gets no background exporter retrying an endpoint that is not there.
 */
export function telemetryRequested(env: NodeJS.ProcessEnv): boolean {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return false;
  return exporterVars.some((name) => (env[name] ?? '').trim() !== '');
}

/**
 * Starts the OpenTelemetry Node SDK, configured by the OTEL_* variables
 * (exporters, endpoints, service name, sampling), or returns undefined when
 * none asks for telemetry. No auto-instrumentation: Veil's own spans are the
 * only ones, so no library can put a query's values into a span.
 */
export function startTelemetry(
  env: NodeJS.ProcessEnv = process.env,
  overrides: TelemetryOverrides = {},
): Telemetry | undefined {
  const overridden = overrides.spanProcessors || overrides.metricReaders;
  if (!overridden && !telemetryRequested(env)) return undefined;
  const sdk = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME ?? 'veil',
    instrumentations: [],
    ...(overrides.spanProcessors ? { spanProcessors: overrides.spanProcessors } : {}),
    ...(overrides.metricReaders ? { metricReaders: overrides.metricReaders } : {}),
  });
  sdk.start();
  return { shutdown: () => sdk.shutdown() };
}
