import { SpanKind, SpanStatusCode, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { instruments } from './metrics.js';
import { tracer } from './tracing.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's root span; stage spans hang under it. */
    span?: Span;
  }
}

/** The request's outcome as metrics and audit name it. */
export function outcomeOf(status: number): 'answered' | 'refused' | 'error' {
  return status >= 500 ? 'error' : status >= 400 ? 'refused' : 'answered';
}

/**
 * One trace per request: a server span opened when the request arrives and
 * closed with its route template (never the raw URL, whose query string may
 * hold filter values), status, Veil code and outcome; plus the request counter.
 */
export function traceRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (req) => {
    req.span = tracer.startSpan('veil.request', {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': req.method },
    });
  });
  app.addHook('onResponse', async (req, reply) => endRequestSpan(req, reply));
}

function endRequestSpan(req: FastifyRequest, reply: FastifyReply): void {
  const route = req.routeOptions.url ?? 'unknown';
  const status = reply.statusCode;
  const outcome = outcomeOf(status);
  const code = req.veilError?.code;
  instruments().requests.add(1, { 'http.route': route, outcome });
  const span = req.span;
  if (!span) return;
  span.updateName(`${req.method} ${route}`);
  span.setAttributes({
    'http.route': route,
    'http.response.status_code': status,
    'veil.outcome': outcome,
    ...(code ? { 'veil.error.code': code } : {}),
    ...(req.principal ? { 'veil.role': req.principal.role } : {}),
  });
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? 'error' });
  span.end();
}
