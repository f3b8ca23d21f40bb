import { z } from 'zod';
import { queryRequest } from '../query/request.js';
import { sqlBody } from './routes/query.js';

/**
 * The response shapes of the HTTP API, in zod, so that the OpenAPI document
 * is generated from one source. Objects are open (`loose`): the API is
 * extended, never renamed, and a client must ignore fields it does not know.
 */

const noiseInfo = z.object({ mechanism: z.string(), scale: z.number() }).loose();

export const errorBody = z.object({
  error: z
    .object({
      code: z
        .string()
        .meta({ description: 'stable code, see docs/errors.md', example: 'VEIL_SQL_PARSE' }),
      message: z.string(),
      position: z
        .number()
        .int()
        .optional()
        .meta({ description: 'SQL refusals: offset in code points' }),
      path: z.array(z.union([z.string(), z.number()])).optional(),
    })
    .loose(),
});

export const healthBody = z.object({ status: z.literal('ok'), datasets: z.number().int() }).loose();

export const budgetEntry = z
  .object({
    dataset: z.string(),
    period: z.string(),
    epsilonLimit: z.number(),
    epsilonSpent: z.number(),
    deltaLimit: z.number(),
    deltaSpent: z.number(),
  })
  .loose();

export const budgetBody = z.object({ budgets: z.array(budgetEntry) }).loose();

export const datasetBody = z
  .object({
    id: z.string(),
    title: z.string(),
    privacyUnit: z.string(),
    policyVersion: z.string(),
    dataVersion: z.string().nullable(),
    dimensions: z.array(
      z
        .object({
          name: z.string(),
          levels: z.array(z.string()),
          defaultLevel: z.string().optional(),
          publicKeys: z.record(z.string(), z.array(z.string())),
        })
        .loose(),
    ),
    measures: z.array(z.object({ name: z.string(), lower: z.number(), upper: z.number() }).loose()),
    aggregates: z.array(z.string()),
    k: z.number().int(),
    maxContributions: z.number().int(),
    epsilon: z.object({ default: z.number(), max: z.number() }),
    delta: z.number(),
    budget: budgetEntry.nullable(),
  })
  .loose();

export const datasetsBody = z.object({ datasets: z.array(datasetBody) }).loose();

export const queryBody = z.union([queryRequest, sqlBody]);

export const answerBody = z
  .object({
    queryId: z.string(),
    dataset: z.string(),
    policyVersion: z.string(),
    dataVersion: z.string(),
    rows: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.null()]))),
    privacy: z
      .object({
        epsilon: z.number(),
        delta: z.number(),
        remaining: z.object({ epsilon: z.number(), delta: z.number() }),
        groupsReleased: z.number().int(),
      })
      .loose(),
    noise: z.record(z.string(), noiseInfo),
    other: z
      .object({
        released: z.boolean(),
        keys: z.record(z.string(), z.string()),
        tau: z.number().int(),
        noise: z.record(z.string(), noiseInfo),
        halfWidth: z.record(z.string(), z.number()),
      })
      .loose()
      .optional()
      .meta({ description: 'with "other": true, the row of suppressed groups' }),
  })
  .loose();

export const auditEntriesBody = z
  .object({
    entries: z.array(
      z
        .object({
          seq: z.number().int(),
          at: z.string(),
          outcome: z.string(),
          buyer: z.string().nullable(),
          code: z.string().nullable(),
          hash: z.string(),
          prevHash: z.string(),
        })
        .loose(),
    ),
    nextAfterSeq: z.number().int().nullable(),
  })
  .loose();

export const auditVerifyBody = z.union([
  z
    .object({
      ok: z.literal(true),
      entries: z.number().int(),
      checkpoints: z.number().int(),
      signedThrough: z.number().int().meta({ description: 'the newest signed entry' }),
    })
    .loose(),
  z.object({ ok: z.literal(false), brokenAt: z.number().int(), reason: z.string() }).loose(),
]);

/** Bodies that work as written on the bundled data, for the docs page's "Try it out". */
export const queryExamples = {
  json: {
    summary: 'JSON: closed NYC flooding complaints by borough and month',
    value: {
      dataset: 'nyc311_street_flooding',
      groupBy: ['borough', 'created:month'],
      aggregates: [{ fn: 'count' }, { fn: 'avg', column: 'hours_to_close', as: 'mean_hours' }],
      filters: [{ column: 'status', op: 'eq', value: 'Closed' }],
      epsilon: 1,
    },
  },
  sql: {
    summary: 'SQL: Queens households by community board and month',
    value: {
      sql:
        'SELECT community_board, month(created), COUNT(DISTINCT unit) AS households ' +
        "FROM nyc311_street_flooding WHERE borough = 'QUEENS' GROUP BY ALL",
      epsilon: 2,
    },
  },
  gulou: {
    summary: 'JSON: Gulou complaints by street office and year',
    value: {
      dataset: 'gulou_flooding',
      groupBy: ['street_office', 'called:year'],
      aggregates: [{ fn: 'count_units' }],
      epsilon: 1,
    },
  },
};
