import { z } from 'zod';
import { policySchema } from '../policy/schema.js';

/**
 * Response shapes of the quote, auditor and bureau routes, in zod, so that
 * the OpenAPI document is generated from them and a test can hold every
 * route's real answer to its documented shape. Objects are open (`loose`):
 * fields are added, never renamed.
 */

const amount = z.object({ epsilon: z.number(), delta: z.number() }).loose();
const int = () => z.number().int();

/** POST /v1/query/quote: the price, so buyers can shop for an epsilon before they pay. */
export const quoteBody = z
  .object({
    dataset: z.string(),
    policyVersion: z.string(),
    dataVersion: z.string(),
    epsilon: z.number().meta({ description: 'what the query would be charged; 0 for a repeat' }),
    delta: z.number(),
    cached: z.boolean(),
    intervals: z
      .object({
        confidence: z.number(),
        halfWidth: z.record(z.string(), z.number()),
        avgNumerator: z.record(z.string(), z.number()).optional(),
      })
      .loose(),
    remaining: z.object({ now: amount, after: amount }).loose(),
    fits: z.boolean().meta({ description: 'false when the query would exceed a budget' }),
    partitionSelection: z
      .object({
        needed: z.boolean(),
        dimensions: z.array(z.string()),
        k: int(),
        tau: z.number().nullable(),
      })
      .loose(),
    otherRow: z
      .object({ tau: int(), halfWidth: z.record(z.string(), z.number()) })
      .loose()
      .nullable()
      .meta({ description: 'the row of suppressed groups ("other": true), else null' }),
  })
  .loose();

/** GET /v1/audit/key: auditors keep a copy elsewhere to trust the signatures. */
export const auditKeyBody = z
  .object({ algorithm: z.literal('ed25519'), publicKey: z.string() })
  .loose();

/** GET /v1/audit/checkpoints: the signed heads that make a rewritten log show. */
export const checkpointsBody = z
  .object({
    checkpoints: z.array(
      z.object({ seq: int(), hash: z.string(), signature: z.string(), at: z.string() }).loose(),
    ),
  })
  .loose();

const usage = z.object({ epsilon: z.number(), delta: z.number(), queries: int() }).loose();

/** GET /v1/audit/privacy-loss: the log's and the ledger's sums side by side. */
export const privacyLossBody = z
  .object({
    alarm: z.boolean(),
    rows: z.array(
      z
        .object({
          buyer: z.string(),
          dataset: z.string(),
          period: z.string(),
          log: usage,
          ledger: usage,
          alarm: z.boolean(),
        })
        .loose(),
    ),
  })
  .loose();

/** GET /v1/audit/releases: one page of the release register. */
export const releasesBody = z
  .object({
    cells: z.array(
      z
        .object({
          queryId: z.string(),
          dataset: z.string(),
          buyer: z.string(),
          at: z.string(),
          keys: z.record(z.string(), z.string().nullable()),
          column: z.string(),
          value: z.number().nullable(),
        })
        .loose(),
    ),
    nextAfter: int().nullable(),
  })
  .loose();

/** A whole policy as a bureau sends it to PUT and to the dry run. */
export const policyInput = policySchema;

/** GET /v1/policies/:dataset: the active policy as the bureau wrote it. */
export const policyBody = z.object({ version: z.string(), policy: policySchema }).loose();

/** PUT /v1/policies/:dataset: the version now active, and whether it is new. */
export const policyPutBody = policyBody.extend({ changed: z.boolean() });

/** GET /v1/policies/:dataset/history: every version, for the bureau's records. */
export const policyHistoryBody = z
  .object({
    dataset: z.string(),
    active: z.string(),
    versions: z.array(
      z
        .object({
          id: z.string(),
          version: int(),
          hash: z.string(),
          author: z.string(),
          source: z.enum(['file', 'api']),
          createdAt: z.string(),
        })
        .loose(),
    ),
  })
  .loose();

/** GET /v1/policies/:dataset/diff: what a change changes, key by key. */
export const policyDiffBody = z
  .object({
    from: z.string(),
    to: z.string(),
    changes: z.array(
      z
        .object({
          path: z.string(),
          change: z.enum(['added', 'removed', 'changed']),
          from: z.unknown().optional(),
          to: z.unknown().optional(),
        })
        .loose(),
    ),
  })
  .loose();

/** POST /v1/policies/:dataset/dry-run: what a proposed policy would do to past queries. */
export const dryRunBody = z
  .object({
    dataset: z.string(),
    active: z.string(),
    replayed: int(),
    unchanged: int(),
    newlyRefused: int(),
    newlyAccepted: int(),
    answeredDifferently: int(),
    stillRefused: int(),
    refusedByCode: z.record(z.string(), int()),
    skipped: z
      .record(z.string(), int())
      .meta({ description: 'logged queries not replayed, by reason' }),
  })
  .loose();

/** GET /v1/budgets/:dataset/:buyer: a buyer's standing in the current period. */
export const budgetStateBody = z
  .object({
    dataset: z.string(),
    buyer: z.string(),
    period: z.string(),
    limit: amount,
    spent: amount,
  })
  .loose();

/** A grant, top-up or revoke: the limits before and after, as audited. */
export const budgetChangeBody = budgetStateBody.extend({
  action: z.enum(['grant', 'top_up', 'revoke']),
  before: amount,
});
