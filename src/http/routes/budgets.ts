import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeilError } from '../../errors/registry.js';
import type { BudgetAmount } from '../../ledger/limits.js';
import { periodKey, type BudgetPeriod } from '../../ledger/period.js';
import { appendEntry } from '../../audit/log.js';
import { atomically } from '../../ledger/transaction.js';
import { putGrant } from '../../ledger/charges.js';
import { buyerLimit } from '../../query/limits.js';
import { requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { parseQuery } from './policies.js';
import { bureauChangeEntry } from '../bureau-audit.js';

type BuyerParams = { Params: { dataset: string; buyer: string } };

const period = z
  .string()
  .regex(/^(all|\d{4}|\d{4}-\d{2})$/, 'a period is all, YYYY or YYYY-MM')
  .optional();
const amount = z.number().finite().min(0).max(1e6);
/** Bodies and query of the budget routes, exported so the OpenAPI document is built from them. */
export const grantBody = z.object({ epsilon: amount, delta: amount.lt(1), period }).strict();
export const topUpBody = z
  .object({ epsilon: amount.default(0), delta: amount.lt(1).default(0), period })
  .strict();
export const revokeQuery = z.object({ period }).strict();

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

/** Where a change applies and how it turns the limit before it into the limit after. */
interface ChangeRequest {
  action: Change['action'];
  dataset: string;
  buyer: string;
  period: string;
  next: (before: BudgetAmount) => BudgetAmount;
}

/**
 * Reads the buyer's limit, sets the new one and appends its audit entry in
 * one transaction: a budget change without its record is impossible, and two
 * concurrent top-ups cannot both start from the same limit (one would be lost
 * and its audit entry would show a "before" that never was). The change is
 * acknowledged only once it is on disk: a revoke the bureau saw succeed
 * cannot come undone in a power loss.
 */
async function apply(ctx: GatewayContext, req: FastifyRequest, request: ChangeRequest) {
  const { next, ...target } = request;
  const policy = ctx.registry.require(request.dataset);
  const { change, before } = await atomically(ctx.store.db, async (trx) => {
    const before = await buyerLimit(trx, policy, request.buyer, request.period);
    const change: Change = { ...target, limit: next(before) };
    const grant = { buyer: change.buyer, dataset: change.dataset, period: change.period };
    await putGrant(trx, { ...grant, ...change.limit });
    await appendEntry(
      trx,
      {
        ...bureauChangeEntry(req),
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
    return { change, before };
  });
  await ctx.store.durable();
  req.audited = true;
  const spent = await ctx.store.ledger.spent({
    buyer: change.buyer,
    dataset: change.dataset,
    period: change.period,
  });
  return { ...change, before, spent };
}

/** The shape of the period keys a policy's budgets use: only those are ever reserved against. */
const PERIOD_FORMS: Record<BudgetPeriod, { pattern: RegExp; example: string }> = {
  year: { pattern: /^\d{4}$/, example: 'YYYY' },
  month: { pattern: /^\d{4}-(0[1-9]|1[0-2])$/, example: 'YYYY-MM' },
  all: { pattern: /^all$/, example: 'all' },
};

/**
 * The dataset, buyer and period a change is about. A period of another shape
 * than the policy's (a month under yearly budgets) would be stored and never
 * read by a reservation, so the grant would silently do nothing: refused.
 */
function scope(ctx: GatewayContext, req: FastifyRequest<BuyerParams>, p: string | undefined) {
  const policy = ctx.registry.require(req.params.dataset);
  const form = PERIOD_FORMS[policy.budgets.period];
  if (p !== undefined && !form.pattern.test(p)) {
    throw new VeilError(
      'VEIL_BUDGET_GRANT_INVALID',
      `period: "${p}" is not a period of this dataset, whose budgets are per ` +
        `${policy.budgets.period}; give ${form.example}`,
      { path: ['period'] },
    );
  }
  return {
    dataset: policy.dataset,
    buyer: req.params.buyer,
    period: p ?? periodKey(policy.budgets.period, new Date()),
  };
}

/** The bureau's budget administration: grant, top up or revoke; each change audited. */
export function budgetRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const bureau = { onRequest: requireRole('bureau') };
  app.get<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const s = scope(ctx, req, undefined);
    const policy = ctx.registry.require(s.dataset);
    const limit = await buyerLimit(ctx.store.db, policy, s.buyer, s.period);
    return { ...s, limit, spent: await ctx.store.ledger.spent(s) };
  });
  app.put<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const b = parseBody(grantBody, req.body);
    const next = () => ({ epsilon: b.epsilon, delta: b.delta });
    return apply(ctx, req, { action: 'grant', ...scope(ctx, req, b.period), next });
  });
  app.post<BuyerParams>('/v1/budgets/:dataset/:buyer/top-up', bureau, async (req) => {
    const b = parseBody(topUpBody, req.body);
    const next = (before: BudgetAmount) => ({
      epsilon: before.epsilon + b.epsilon,
      delta: Math.min(before.delta + b.delta, 0.999),
    });
    return apply(ctx, req, { action: 'top_up', ...scope(ctx, req, b.period), next });
  });
  app.delete<BuyerParams>('/v1/budgets/:dataset/:buyer', bureau, async (req) => {
    const q = parseQuery(revokeQuery, req.query);
    const next = () => ({ epsilon: 0, delta: 0 });
    return apply(ctx, req, { action: 'revoke', ...scope(ctx, req, q.period), next });
  });
}
