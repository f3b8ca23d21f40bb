import { SpanStatusCode, context, trace, type Attributes, type Span } from '@opentelemetry/api';
import { isVeilError } from '../errors/registry.js';

/**
 * Spans for the stages of a query. Through @opentelemetry/api only, so
 * without a registered SDK every call is a no-op and costs next to nothing.
 * Attributes carry codes, sizes, counts and epsilon: never a query's text,
 * a filter value, a group key or a released number.
 */
export const tracer = trace.getTracer('veil');

/**
 * Runs `fn` inside a child span of the active one; a thrown error marks the
 * span with its Veil code (not its message, which may quote the query).
 */
export async function inSpan<T>(
  name: string,
  attributes: Attributes,
  fn: (span: Span) => T | Promise<T>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Marks a span failed with the error's Veil code, or VEIL_INTERNAL for anything else. */
export function markFailed(span: Span, err: unknown): void {
  const code = isVeilError(err) ? err.code : 'VEIL_INTERNAL';
  span.setAttribute('veil.error.code', code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: code });
}

/** Runs `fn` with `span` as the active span, so the stage spans become its children. */
export function withSpan<T>(span: Span | undefined, fn: () => T): T {
  return span ? context.with(trace.setSpan(context.active(), span), fn) : fn();
}
