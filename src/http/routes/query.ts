import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeilError } from '../../errors/registry.js';
import { sqlToChecked } from '../../frontend/sql/index.js';
import { checkQuery } from '../../policy/check.js';
import type { CheckedQuery } from '../../query/checked.js';
import { applyAccuracy, splitAccuracy } from '../../query/accuracy-target.js';
import { answerQuery } from '../../query/answer.js';
import { queryRequest, type QueryRequest } from '../../query/request.js';
import { inSpan, withSpan } from '../../telemetry/tracing.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';

/**
 * The SQL form of a query body: `{"sql": "...", "epsilon"?: n, "other"?: true}`.
 * An empty text is left to the parser, which refuses it as VEIL_SQL_PARSE
 * with a position like any other text that holds no statement.
 */
export const sqlBody = z
  .object({
    sql: z.string(),
    epsilon: z.number().finite().positive().optional(),
    /** The row of suppressed groups, as in the JSON form (SQL has no spelling for it). */
    other: z.boolean().optional(),
  })
  .strict();

/**
 * POST /v1/query: a JSON query or `{"sql"}`, both turned into one checked
 * query before anything is charged, then answered by the shared path.
 */
export function queryRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/query', { onRequest: requireRole('buyer') }, async (req) =>
    withSpan(req.span, async () => {
      const principal = principalOf(req);
      const { checked, text } = await toChecked(req, ctx);
      const answer = await answerQuery(ctx, checked, {
        principal,
        requestId: req.id,
        route: '/v1/query',
        method: 'POST',
        text,
      });
      req.audited = true;
      return answer;
    }),
  );
}

/**
 * The checked query of a request body, shared by /v1/query and the quote
 * route; a target accuracy (if any) is turned into the epsilon that reaches it.
 * `text` is what the audit entry records: the SQL, or the parsed JSON body
 * with its target accuracy, so that a policy dry run can replay the target.
 */
export async function toChecked(
  req: FastifyRequest,
  ctx: GatewayContext,
): Promise<{ checked: CheckedQuery; text: string }> {
  const { body, accuracy } = splitAccuracy(req.body);
  const { checked, text, request } = await parseChecked(body, ctx);
  if (!accuracy) return { checked, text };
  const recorded = request ? JSON.stringify({ ...request, accuracy }) : text;
  return { checked: applyAccuracy(checked, accuracy), text: recorded };
}

async function parseChecked(
  body: unknown,
  ctx: GatewayContext,
): Promise<{ checked: CheckedQuery; text: string; request?: QueryRequest }> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new VeilError(
      'VEIL_QUERY_INVALID',
      'the body must be a JSON object: a query or {"sql": "..."}',
    );
  }
  if ('sql' in body) {
    refuseLongSql(body.sql, ctx.config.sqlMaxLength);
    const parsed = sqlBody.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const { sql, epsilon, other } = parsed.data;
    const opts = {
      ...(epsilon === undefined ? {} : { epsilon }),
      ...(other === true ? { other } : {}),
    };
    const attrs = { 'veil.query.form': 'sql', 'veil.sql.length': sql.length };
    return {
      checked: await inSpan('veil.parse', attrs, () => sqlToChecked(sql, ctx.policies, opts)),
      text: sql,
    };
  }
  const request = await inSpan('veil.parse', { 'veil.query.form': 'json' }, () => {
    const parsed = queryRequest.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error.issues);
    return parsed.data;
  });
  const checked = await inSpan('veil.policy', {}, () => checkQuery(request, ctx.policies));
  return { checked, text: JSON.stringify(request), request };
}

function invalid(issues: z.core.$ZodIssue[]): VeilError {
  const first = issues[0]!;
  const where = first.path.length ? first.path.join('.') : 'the body';
  return new VeilError('VEIL_QUERY_INVALID', `${where}: ${first.message}`, {
    path: first.path.map((p) => (typeof p === 'symbol' ? String(p) : p)),
    issues: issues.map((i) => ({ path: i.path.map(String), message: i.message })),
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    audited?: boolean;
  }
}

/**
 * SQL past the configured length is refused before it reaches the parser.
 * Length and position count code points, the unit of every other SQL
 * position, so the position is the first character past the limit.
 */
function refuseLongSql(sql: unknown, max: number): void {
  // A string never has more code points than UTF-16 units: most texts stop here.
  if (typeof sql !== 'string' || sql.length <= max) return;
  const length = Array.from(sql).length;
  if (length <= max) return;
  throw new VeilError(
    'VEIL_SQL_TOO_LONG',
    `the SQL text is ${length} characters; the limit is ${max}. Send a shorter query`,
    { length, limit: max, position: max },
  );
}
