import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { VeilError } from '../../errors/registry.js';
import { registrationProblems } from '../../policy/catalogue.js';
import { classificationProblems } from '../../policy/classification.js';
import { diffPolicies } from '../../policy/diff.js';
import { dryRun, paidAnswerLookup, recentQueries } from '../../policy/dry-run.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { bureauChangeEntry } from '../bureau-audit.js';

type DatasetParams = { Params: { dataset: string } };

/** Query of GET .../diff: the two versions, by number or id; exported for the OpenAPI document. */
export const diffQuery = z.object({
  from: z.string().min(1).max(40),
  to: z.string().min(1).max(40),
});
/** Query of POST .../dry-run: how many logged queries to replay; also documents it. */
export const dryRunQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

/** Parses route query parameters or refuses with the first problem's path. */
export function parseQuery<T>(schema: z.ZodType<T>, value: unknown): T {
  const q = schema.safeParse(value);
  if (q.success) return q.data;
  const i = q.error.issues[0]!;
  throw new VeilError('VEIL_QUERY_INVALID', `${i.path.join('.') || 'query'}: ${i.message}`, {
    path: i.path.map(String),
  });
}

/**
 * Records a policy change in the hash-chained log: the dataset, the version
 * now active and its full sha256, so the stored policy history (a plain
 * table) can be checked against the chain, and the entry is signed with the
 * chain at the next checkpoint. Sets `audited` so the request gets no second,
 * poorer entry.
 */
async function auditPut(
  ctx: GatewayContext,
  req: FastifyRequest,
  policy: LoadedPolicy,
  changed: boolean,
): Promise<void> {
  const stored = (await ctx.registry.history(policy.dataset)).find((v) => v.id === policy.version);
  await ctx.store.audit.append({
    ...bureauChangeEntry(req),
    dataset: policy.dataset,
    policyVersion: policy.version,
    query: JSON.stringify({ action: 'policy_put', changed, hash: stored?.hash ?? null }),
  });
  req.audited = true;
  await ctx.store.durable();
}

/** The policy as the bureau wrote it, with its version id. */
function shown(p: LoadedPolicy) {
  const { publicKeyLists: _k, version, ...policy } = p;
  return { version, policy };
}

/**
 * The bureau's policy administration: read, change (a new version each time,
 * applied to the next query), history, diff and a dry run before a change.
 */
export function policyRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const bureau = { onRequest: requireRole('bureau') };
  app.get<DatasetParams>('/v1/policies/:dataset', bureau, async (req) =>
    shown(ctx.registry.require(req.params.dataset)),
  );
  app.put<DatasetParams>('/v1/policies/:dataset', bureau, async (req) => {
    const who = principalOf(req);
    const active = ctx.registry.require(req.params.dataset);
    const proposed = ctx.registry.propose(req.params.dataset, req.body);
    const problems = [
      ...classificationProblems(proposed, active),
      ...registrationProblems(proposed, active, ctx.registry.values()),
    ];
    if (problems.length) {
      throw new VeilError('VEIL_POLICY_INVALID', `the policy is invalid: ${problems[0]}`, {
        problems,
      });
    }
    const { policy, changed } = await ctx.registry.put(req.params.dataset, req.body, who.sub);
    await auditPut(ctx, req, policy, changed);
    req.log.info(
      { event: 'policy_put', dataset: policy.dataset, version: policy.version, changed },
      'policy',
    );
    return { ...shown(policy), changed };
  });
  app.get<DatasetParams>('/v1/policies/:dataset/history', bureau, async (req) => ({
    dataset: req.params.dataset,
    active: ctx.registry.require(req.params.dataset).version,
    versions: await ctx.registry.history(req.params.dataset),
  }));
  app.get<DatasetParams>('/v1/policies/:dataset/diff', bureau, async (req) => {
    const q = parseQuery(diffQuery, req.query);
    const from = await ctx.registry.version(req.params.dataset, q.from);
    const to = await ctx.registry.version(req.params.dataset, q.to);
    return {
      from: from.version,
      to: to.version,
      changes: diffPolicies(shown(from).policy, shown(to).policy),
    };
  });
  app.post<DatasetParams>('/v1/policies/:dataset/dry-run', bureau, async (req) => {
    const q = parseQuery(dryRunQuery, req.query);
    const active = ctx.registry.require(req.params.dataset);
    const proposed = ctx.registry.propose(req.params.dataset, req.body);
    const recent = await recentQueries(ctx.store.db, active.dataset, q.limit);
    return {
      dataset: active.dataset,
      active: active.version,
      ...(await dryRun(recent, active, proposed, paidAnswerLookup(ctx.store.db))),
    };
  });
}
