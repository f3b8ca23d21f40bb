import type { FastifyInstance } from 'fastify';
import { quoteQuery } from '../../query/quote.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { toChecked } from './query.js';

/**
 * POST /v1/query/quote: the same body as POST /v1/query (JSON or SQL, with
 * an epsilon or a target accuracy), answered with what the query would cost
 * and how accurate it would be. It passes the same checks as a query, so a
 * query that would be refused is refused here with the same code; it never
 * reaches the enclave and never touches the budget.
 */
export function quoteRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.post('/v1/query/quote', { onRequest: requireRole('buyer') }, async (req) => {
    const principal = principalOf(req);
    const { checked } = await toChecked(req, ctx);
    return quoteQuery(ctx, checked, principal.sub);
  });
}
