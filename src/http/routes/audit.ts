import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { verifySigned } from '../../audit/checkpoints.js';
import { VeilError } from '../../errors/registry.js';
import { requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';

/** Filters and paging of GET /v1/audit/entries; the OpenAPI document is built from it. */
export const listQuery = z
  .object({
    buyer: z.string().max(200).optional(),
    dataset: z.string().max(100).optional(),
    outcome: z.enum(['answered', 'refused', 'error', 'recovered']).optional(),
    code: z.string().max(100).optional(),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/**
 * A time bound in the form the log stores (`toISOString`: milliseconds, Z),
 * since entries are compared as text: '…:00Z' sorts after '…:00.446Z', so an
 * unconverted bound without milliseconds drops the first second of a window
 * and adds the second after it. Digits past the millisecond round `from` up
 * and `to` down, so the window never grows.
 */
export function storedTime(text: string, bound: 'from' | 'to'): string {
  const ms = Date.parse(text);
  const extra = /\.\d{3}(\d+)Z$/.exec(text)?.[1] ?? '';
  const past = bound === 'from' && /[1-9]/.test(extra) ? 1 : 0;
  return new Date(ms + past).toISOString();
}

/** The auditor's view of the hash-chained log of every request. */
export function auditRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/audit/entries', { onRequest: requireRole('auditor') }, async (req) => {
    const q = listQuery.safeParse(req.query);
    if (!q.success) {
      const i = q.error.issues[0]!;
      throw new VeilError('VEIL_QUERY_INVALID', `${i.path.join('.') || 'query'}: ${i.message}`, {
        path: i.path.map(String),
      });
    }
    const { after, from, to, ...filter } = q.data;
    return ctx.store.audit.list({
      ...filter,
      ...(from === undefined ? {} : { from: storedTime(from, 'from') }),
      ...(to === undefined ? {} : { to: storedTime(to, 'to') }),
      afterSeq: after,
    });
  });
  app.get('/v1/audit/verify', { onRequest: requireRole('auditor') }, async () =>
    verifySigned(ctx.store.db, ctx.auditKeys),
  );
}
