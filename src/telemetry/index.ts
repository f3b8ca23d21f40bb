/**
 * Telemetry: OpenTelemetry spans per query stage, metrics, and the SDK set
 * up from the standard OTEL_* variables (none when they are unset).
 */
export { inSpan, markFailed, tracer, withSpan } from './tracing.js';
export { instruments, type VeilInstruments } from './metrics.js';
export { outcomeOf, traceRequests } from './request-span.js';
export { startTelemetry, telemetryRequested, type Telemetry } from './sdk.js';
