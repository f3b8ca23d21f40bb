import { z } from 'zod';

/**
 * The JSON query body, the contract buyers code against. Field names are
 * fixed by the public API: extend, never rename.
 */

const key = z.union([z.string().max(200), z.number().finite()]).transform((v) => String(v));

export const aggregateFns = ['count', 'count_units', 'sum', 'avg', 'median', 'p90'] as const;
export type AggregateFn = (typeof aggregateFns)[number];

export const filterOps = ['eq', 'in', 'between', 'lt', 'lte', 'gt', 'gte'] as const;
export type FilterOp = (typeof filterOps)[number];

const name = z.string().min(1).max(100);

export const aggregateRequest = z
  .object({
    fn: z.enum(aggregateFns),
    column: name.optional(),
    as: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/)
      .optional(),
  })
  .strict();

export const filterRequest = z
  .object({
    column: name,
    op: z.enum(filterOps),
    value: key.optional(),
    values: z.array(key).min(1).max(1000).optional(),
  })
  .strict();

export const orderRequest = z.object({ column: name, desc: z.boolean().default(false) }).strict();

export const queryRequest = z
  .object({
    dataset: name,
    groupBy: z.array(name).max(8).default([]),
    aggregates: z.array(aggregateRequest).min(1).max(8),
    filters: z.array(filterRequest).max(16).default([]),
    epsilon: z.number().finite().positive().optional(),
    orderBy: z.array(orderRequest).max(8).optional(),
    limit: z.number().int().positive().max(100000).optional(),
    /**
     * Ask for the row of suppressed groups: one more row, keyed by the policy's labels, with
     * the total of every group the release threshold withholds (itself thresholded).
     */
    other: z.boolean().optional(),
  })
  .strict();

export type QueryRequest = z.infer<typeof queryRequest>;
export type AggregateRequest = z.infer<typeof aggregateRequest>;
export type FilterRequest = z.infer<typeof filterRequest>;
export type OrderRequest = z.infer<typeof orderRequest>;
