import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeilError } from '../../errors/registry.js';
import { sqlToChecked } from '../../frontend/sql/index.js';
import { checkQuery } from '../../policy/check.js';
import type { CheckedQuery } from '../../query/checked.js';
import { answerQuery } from '../../query/answer.js';
import { queryRequest } from '../../query/request.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';

/** The SQL form of a query body: `{"sql": "...", "epsilon"?: n}`. */
const sqlBody = z
  .object({
    sql: z.string().min(1).max(20_000),
    epsilon: z.number().finite().positive().optional(),
  })
  .strict();

/**
 * POST /v1/query: a JSON query or `{"sql"}`, both turned into one checked
 * query before anything is charged, then answered by the shared path.
 */
export function queryRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/query', { onRequest: requireRole('buyer') }, async (req) => {
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
  });
}

async function toChecked(
  req: FastifyRequest,
  ctx: GatewayContext,
): Promise<{ checked: CheckedQuery; text: string }> {
  const body = req.body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new VeilError(
      'VEIL_QUERY_INVALID',
      'the body must be a JSON object: a query or {"sql": "..."}',
    );
  }
  if ('sql' in body) {
    const parsed = sqlBody.safeParse(body);
    if (!parsed.success) throw invalid(parsed.error.issues);
    const opts = parsed.data.epsilon === undefined ? {} : { epsilon: parsed.data.epsilon };
    return {
      checked: await sqlToChecked(parsed.data.sql, ctx.policies, opts),
      text: parsed.data.sql,
    };
  }
  const parsed = queryRequest.safeParse(body);
  if (!parsed.success) throw invalid(parsed.error.issues);
  return { checked: checkQuery(parsed.data, ctx.policies), text: JSON.stringify(parsed.data) };
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
