import type { FastifyInstance } from 'fastify';
import { countAccuracy, registrationCode, rowCountBucket } from '../../policy/catalogue.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { budgetStanding } from '../../query/limits.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import type { Principal } from '../principal.js';

/** The catalogue: what each dataset offers and, for a buyer, how much budget is left. */
export function datasetRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/v1/datasets', { onRequest: requireRole('buyer', 'bureau', 'auditor') }, async (req) => {
    const who = principalOf(req);
    const datasets = [];
    for (const policy of ctx.policies.values()) datasets.push(await describe(ctx, policy, who));
    return { datasets };
  });
  app.get('/v1/budget', { onRequest: requireRole('buyer') }, async (req) => {
    const who = principalOf(req);
    const budgets = [];
    for (const policy of ctx.policies.values()) budgets.push(await budgetOf(ctx, policy, who.sub));
    return { budgets };
  });
}

/** A buyer's limit (a bureau's grant, else the policy's) and spending in the current period. */
async function budgetOf(ctx: GatewayContext, policy: LoadedPolicy, buyer: string) {
  const { period, limits, spent } = await budgetStanding(ctx.store, policy, buyer, new Date());
  const limit = limits.buyer;
  return {
    dataset: policy.dataset,
    period,
    epsilonLimit: limit.epsilon,
    epsilonSpent: spent.epsilon,
    deltaLimit: limit.delta,
    deltaSpent: spent.delta,
  };
}

async function describe(ctx: GatewayContext, p: LoadedPolicy, who: Principal) {
  const meta = ctx.enclave.datasets.get(p.dataset);
  return {
    id: p.dataset,
    registrationCode: registrationCode(p),
    title: p.title,
    description: p.description,
    source: p.source,
    bureau: p.bureau ?? null,
    period: p.period,
    rowCount: rowCountBucket(meta?.rowsKept),
    privacyUnit: p.privacyUnit.name,
    policyVersion: p.version,
    dataVersion: meta?.dataVersion ?? null,
    dimensions: Object.entries(p.dimensions).map(([name, d]) => ({
      name,
      description: d.description ?? null,
      levels: d.levels,
      defaultLevel: d.defaultLevel ?? d.levels[d.levels.length - 1],
      publicKeys: p.publicKeyLists[name] ?? {},
    })),
    measures: Object.entries(p.measures).map(([name, m]) => ({
      name,
      description: m.description ?? null,
      unit: m.unit ?? null,
      lower: m.lower,
      upper: m.upper,
      granularity: m.granularity,
    })),
    aggregates: ['count', 'count_units', 'sum', 'avg', 'median', 'p90'],
    k: p.k,
    maxContributions: p.contribution.maxContributions,
    epsilon: { default: p.epsilon.default, max: p.epsilon.max },
    delta: p.delta,
    exampleQueries: p.exampleQueries ?? [],
    countAccuracy: countAccuracy(p),
    budget: who.role === 'buyer' ? await budgetOf(ctx, p, who.sub) : null,
  };
}
