import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeilError } from '../../errors/registry.js';
import type { BudgetAmount } from '../../ledger/limits.js';
import { periodKey } from '../../ledger/period.js';
import { appendEntry } from '../../audit/log.js';
import { atomically } from '../../ledger/transaction.js';
import { putGrant } from '../../ledger/charges.js';
import { budgetLimits } from '../../query/answer.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { parseQuery } from './policies.js';

type BuyerParams = { Params: { dataset: string; buyer: string } };

const period = z
  .string()
  .regex(/^(all|\d{4}|\d{4}-\d{2})$/, 'a period is all, YYYY or YYYY-MM')
  .optional();
const amount = z.number().finite().min(0).max(1e6);
const grantBody = z.object({ epsilon: amount, delta: amount.lt(1), period }).strict();
const topUpBody = z
  .object({ epsilon: amount.default(0), delta: amount.lt(1).default(0), period })
  .strict();
const revokeQuery = z.object({ period }).strict();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const i = parsed.error.issues[0]!;
  throw new VeilError('VEIL_BUDGET_GRANT_INVALID', `${i.path.join('.') || 'body'}: ${i.message}`, {
    path: i.path.map(String),
  });
}

interface Change {
  action: 'grant' | 'top_up' | 'revoke';
  dataset: string;
  buyer: string;
  period: string;
  limit: BudgetAmount;
}

/**
 * Sets a buyer's limit for a period and appends its audit entry in one
 * transaction: a budget change without its record is impossible.
 */
async function apply(
  ctx: GatewayContext,
  req: FastifyRequest,
  change: Change,
  before: BudgetAmount,
) {
  const who = principalOf(req);
  const db = ctx.store.db;
  const grant = {
    buyer: change.buyer,
    dataset: change.dataset,
    period: change.period,
    ...change.limit,
  };
  await atomically(db, async (trx) => {
    await putGrant(trx, grant);
    await appendEntry(
      trx,
      {
        requestId: req.id,
        buyer: who.sub,
        role: who.role,
        route: req.routeOptions.url ?? null,
        method: req.method,
        status: 200,
        outcome: 'answered',
        dataset: change.dataset,
        period: change.period,
        query: JSON.stringify({
          action: change.action,
          buyer: change.buyer,
          before,
          after: change.limit,
        }),
      },
      new Date().toISOString(),
    );
  });
  req.audited = true;
  const spent = await ctx.store.ledger.spent(grant);
  return { ...change, before, spent };
}

/** The buyer's limit now: an explicit grant, else the policy's. */
async function currentLimit(ctx: GatewayContext, dataset: string, buyer: string, p: string) {
  const grant = await ctx.store.db
    .selectFrom('budget_grants')
    .select(['epsilon', 'delta'])
    .where('buyer', '=', buyer)
    .where('dataset', '=', dataset)
    .where('period', '=', p)
    .executeTakeFirst();
  return grant ?? budgetLimits(ctx.registry.require(dataset), buyer).buyer;
}

function scope(ctx: GatewayContext, req: FastifyRequest<BuyerParams>, p: string | undefined) {
  const policy = ctx.registry.require(req.params.dataset);
  const buyer = req.params.buyer;
  return {
    dataset: policy.dataset,
    buyer,
    period: p ?? periodKey(policy.budgets.period, new Date()),
  };
}

/** The bureau's budget administration: grant, top up or revoke; each change audited. */
export function budgetRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const bureau = { onRequest: requireRole('bureau') };
  app.get<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const s = scope(ctx, req, undefined);
    const limit = await currentLimit(ctx, s.dataset, s.buyer, s.period);
    return { ...s, limit, spent: await ctx.store.ledger.spent(s) };
  });
  app.put<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const b = parseBody(grantBody, req.body);
    const s = scope(ctx, req, b.period);
    const before = await currentLimit(ctx, s.dataset, s.buyer, s.period);
    const limit = { epsilon: b.epsilon, delta: b.delta };
    return apply(ctx, req, { action: 'grant', ...s, limit }, before);
  });
  app.post<BuyerParams>('/v1/budgets/:dataset/:buyer/top-up', bureau, async (req) => {
    const b = parseBody(topUpBody, req.body);
    const s = scope(ctx, req, b.period);
    const before = await currentLimit(ctx, s.dataset, s.buyer, s.period);
    const limit = {
      epsilon: before.epsilon + b.epsilon,
      delta: Math.min(before.delta + b.delta, 0.999),
    };
    return apply(ctx, req, { action: 'top_up', ...s, limit }, before);
  });
  app.delete<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const q = parseQuery(revokeQuery, req.query);
    const s = scope(ctx, req, q.period);
    const before = await currentLimit(ctx, s.dataset, s.buyer, s.period);
    return apply(ctx, req, { action: 'revoke', ...s, limit: { epsilon: 0, delta: 0 } }, before);
  });
}
