import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import pino, { type Logger } from 'pino';
import { registerAuth } from './auth.js';
import { loadPublicKeys } from './keys.js';
import { registerOpenApi } from './openapi.js';
import type { GatewayContext } from './context.js';
import { isVeilError, type VeilError } from '../errors/registry.js';
import { installErrorHandlers, toVeilError } from './errors.js';
import { auditRoutes } from './routes/audit.js';
import { auditLedgerRoutes } from './routes/audit-ledger.js';
import { budgetRoutes } from './routes/budgets.js';
import { policyRoutes } from './routes/policies.js';
import { datasetRoutes } from './routes/datasets.js';
import { healthRoutes } from './routes/health.js';
import { queryRoutes } from './routes/query.js';
import { quoteRoutes } from './routes/quote.js';
import { registerRateLimit } from './rate-limit.js';
import { traceRequests } from '../telemetry/request-span.js';

/**
 * The gateway's pino logger: JSON lines, no request bodies, headers or values.
 * Standard output is written asynchronously: lines that arrive while a write
 * is in flight go out together in the next, so logging a line per request
 * costs no system call per request under load, and pino flushes what is
 * left when the process exits. A SIGKILL can lose the last lines; the audit
 * log, not this one, is the record that must survive.
 */
export function createLogger(level: string, stream?: NodeJS.WritableStream): Logger {
  const opts = { level, base: { service: 'veil' } };
  const dest = stream ?? pino.destination({ dest: 1, sync: false });
  return pino(opts, dest as pino.DestinationStream);
}

/**
 * Builds the Fastify app with every route, the coded error handlers, one
 * log line per request and one audit entry per request (the query route
 * writes its own, richer entry). A response leaves only once its audit
 * entry, and any write the route made before it, is durable.
 */
export async function buildServer(ctx: GatewayContext): Promise<FastifyInstance> {
  const logger = ctx.logger ?? createLogger(ctx.config.logLevel, ctx.logStream);
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: ctx.config.bodyLimit,
    genReqId: () => randomUUID(),
    return503OnClosing: true,
  });
  const publicKeys = loadPublicKeys({
    ...(ctx.config.jwtPublicKeys ? { publicKeys: ctx.config.jwtPublicKeys } : {}),
    ...(ctx.config.jwksFile ? { jwksFile: ctx.config.jwksFile } : {}),
  });
  await registerAuth(app, ctx.jwtSecret, publicKeys);
  installErrorHandlers(app);
  // JSON is the only body type: text/plain would reach the routes as a string.
  app.removeContentTypeParser('text/plain');
  await registerRateLimit(app, ctx.config.rateLimit);
  traceRequests(app);
  await registerOpenApi(app);
  app.addHook('onSend', async (req, reply, payload) => {
    if (req.audited || req.url === '/health') return payload;
    return auditRequest(ctx, req, reply).then(
      () => payload,
      (err: unknown) => withheld(req, reply, err),
    );
  });
  app.addHook('onResponse', async (req, reply) => logRequest(req, reply));
  healthRoutes(app, ctx);
  datasetRoutes(app, ctx);
  queryRoutes(app, ctx);
  quoteRoutes(app, ctx);
  auditRoutes(app, ctx);
  auditLedgerRoutes(app, ctx);
  policyRoutes(app, ctx);
  budgetRoutes(app, ctx);
  return app;
}

function outcomeOf(status: number): 'answered' | 'refused' | 'error' {
  return status >= 500 ? 'error' : status >= 400 ? 'refused' : 'answered';
}

async function auditRequest(ctx: GatewayContext, req: FastifyRequest, reply: FastifyReply) {
  req.audited = true;
  const body = req.body as Record<string, unknown> | undefined;
  const isQuery = req.method === 'POST' && req.routeOptions.url === '/v1/query';
  await ctx.store.audit.append({
    requestId: req.id,
    buyer: req.principal?.sub ?? null,
    role: req.principal?.role ?? null,
    route: req.routeOptions.url ?? null,
    method: req.method,
    status: reply.statusCode,
    outcome: outcomeOf(reply.statusCode),
    code: req.veilError?.code ?? null,
    dataset: isQuery ? datasetOf(body, req.veilError) : null,
    query: isQuery && body ? queryText(body) : null,
  });
  await ctx.store.durable();
}

/**
 * The payload sent instead of a response whose audit entry could not be
 * written or flushed: the response may not leave without its record, and the
 * client still gets the coded `{"error"}` shape, even when the response was
 * already an error (Fastify's error handler runs only once per request).
 */
function withheld(req: FastifyRequest, reply: FastifyReply, err: unknown): string {
  const veil = toVeilError(err);
  req.veilError = veil;
  if (!isVeilError(err)) req.failure ??= (err as Error).name ?? 'unknown';
  reply.code(veil.status).type('application/json; charset=utf-8');
  return JSON.stringify(veil.toBody());
}

/** The dataset a query request named: the JSON body's field, else the one its SQL named. */
function datasetOf(body: Record<string, unknown> | undefined, err?: VeilError): string | null {
  if (typeof body?.dataset === 'string') return body.dataset.slice(0, 100);
  return err?.dataset ?? null;
}

function queryText(body: Record<string, unknown>): string {
  if (typeof body.sql === 'string') return body.sql.slice(0, 20_000);
  try {
    return JSON.stringify(body).slice(0, 20_000);
  } catch {
    return '(body too deeply nested to record)';
  }
}

/**
 * One line per request, the only place that picks a level: 4xx at info, 5xx
 * at error (with an unexpected error's class name, never its message).
 */
function logRequest(req: FastifyRequest, reply: FastifyReply): void {
  const status = reply.statusCode;
  const line = {
    event: 'request',
    requestId: req.id,
    method: req.method,
    route: req.routeOptions.url ?? 'unknown',
    status,
    code: req.veilError?.code,
    ms: Math.round(reply.elapsedTime * 10) / 10,
    buyer: req.principal?.sub,
    error: req.failure,
  };
  if (status >= 500) req.log.error(line, 'request failed');
  else req.log.info(line, 'request');
}
