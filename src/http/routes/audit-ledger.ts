import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CHECKPOINT_EVERY, checkpoint, listCheckpoints } from '../../audit/checkpoints.js';
import { exportLines } from '../../audit/export.js';
import { privacyLossReport } from '../../audit/privacy-loss.js';
import { listCells } from '../../audit/releases.js';
import { principalOf, requireRole } from '../auth.js';
import type { GatewayContext } from '../context.js';
import { parseQuery } from './policies.js';

/** Filters of the privacy-loss report; exported so the OpenAPI document uses the same rules. */
export const lossQuery = z
  .object({
    buyer: z.string().max(200).optional(),
    dataset: z.string().max(100).optional(),
    period: z.string().max(20).optional(),
  })
  .strict();

/** Filters and paging of the release register, also for the OpenAPI document. */
export const cellsQuery = z
  .object({
    buyer: z.string().max(200).optional(),
    dataset: z.string().max(100).optional(),
    queryId: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(10000).default(1000),
    after: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/** Paging of a buyer's own entries, also for the OpenAPI document. */
export const mineQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    after: z.coerce.number().int().min(0).default(0),
  })
  .strict();

/**
 * The auditor's evidence beyond the entry listing: the signing key, the
 * export, signed checkpoints, the privacy-loss report and the release
 * register; and a buyer's view of its own entries. Also signs the chain head
 * every CHECKPOINT_EVERY entries, after the response is sent: every
 * CHECKPOINT_LOOK_EVERY responses it reads the head, so a checkpoint lands
 * at most that many entries late and the hot path skips two reads.
 */
/** Responses between two looks at whether the chain head is due for a signature. */
export const CHECKPOINT_LOOK_EVERY = 10;

export function auditLedgerRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  const auditor = { onRequest: requireRole('auditor') };
  let sinceLook = 0;
  app.addHook('onResponse', async (req) => {
    if (++sinceLook < CHECKPOINT_LOOK_EVERY) return;
    sinceLook = 0;
    try {
      await checkpoint(ctx.store.db, ctx.auditKeys, new Date().toISOString(), CHECKPOINT_EVERY);
    } catch (err) {
      req.log.error({ event: 'checkpoint_failed', err: (err as Error).name }, 'checkpoint failed');
    }
  });
  app.get('/v1/audit/key', { onRequest: requireRole('auditor', 'bureau', 'buyer') }, async () => ({
    algorithm: 'ed25519',
    publicKey: ctx.auditKeys.publicPem,
  }));
  app.get('/v1/audit/checkpoints', auditor, async () => ({
    checkpoints: await listCheckpoints(ctx.store.db),
  }));
  app.get('/v1/audit/export', auditor, async (_req, reply) => {
    const head = await checkpoint(ctx.store.db, ctx.auditKeys, new Date().toISOString());
    const lines = exportLines(ctx.store.db, ctx.auditKeys.publicPem, head?.seq ?? 0);
    reply.type('application/x-ndjson');
    return Readable.from(withNewlines(lines));
  });
  app.get('/v1/audit/privacy-loss', auditor, async (req) =>
    privacyLossReport(ctx.store.db, parseQuery(lossQuery, req.query)),
  );
  app.get('/v1/audit/releases', auditor, async (req) =>
    listCells(ctx.store.db, parseQuery(cellsQuery, req.query)),
  );
  app.get('/v1/audit/mine', { onRequest: requireRole('buyer') }, async (req) => {
    const q = parseQuery(mineQuery, req.query);
    const who = principalOf(req);
    const page = await ctx.store.audit.list({ buyer: who.sub, limit: q.limit, afterSeq: q.after });
    return { ...page, entries: page.entries.map(({ groupsSuppressed: _hidden, ...own }) => own) };
  });
}

async function* withNewlines(lines: AsyncGenerator<string>): AsyncGenerator<string> {
  for await (const line of lines) yield `${line}\n`;
}
