import { z } from 'zod';

/**
 * The policy file a data bureau writes, one per dataset (policies/*.yaml).
 * Everything the gateway may release is derived from it, so every number is
 * checked to be finite and in range here rather than at query time.
 */

const finitePositive = z.number().finite().positive();
const probability = z.number().finite().gt(0).lt(1);

/**
 * Smallest epsilon a query may ask for. Below it the noise scale is so large
 * that the sampler's exact arithmetic stops being representable, and no
 * answer would carry information anyway.
 */
export const MIN_EPSILON = 0.001;

/**
 * Largest epsilon a policy may allow one query. At 100 the discrete Laplace
 * scale of a count is at most m/100, so almost every draw is 0 and the
 * answer is the exact value: any larger number (1e300 for 1e-3) is a typo
 * that would turn the gateway into a raw-count service, not a policy.
 */
export const MAX_QUERY_EPSILON = 100;

const queryEpsilon = z.number().finite().min(MIN_EPSILON).max(MAX_QUERY_EPSILON);

export const columnClass = z.enum(['identifier', 'quasi_identifier', 'sensitive', 'public']);
export type ColumnClass = z.infer<typeof columnClass>;

/** A generalization level name, e.g. `day`, `month`, `community`. */
const levelName = z
  .string()
  .regex(/^[a-z][a-z0-9_]*$/, 'a level is lower-case letters, digits and _');

/** Public keys: an explicit list, or an inclusive range of time keys at one level. */
const publicKeys = z.union([
  z.array(z.string().min(1)).min(1),
  z.object({ from: z.string().min(1), to: z.string().min(1) }).strict(),
]);

export const dimensionSchema = z
  .object({
    description: z.string().optional(),
    /** Levels the buyer may ask for, finest first; a single-level dimension has one. */
    levels: z.array(levelName).min(1),
    /** Level used when the buyer names the dimension without a level. */
    defaultLevel: levelName.optional(),
    /** Public key lists per level: these keys are released always, with noise, no threshold. */
    publicKeys: z.record(levelName, publicKeys).optional(),
    /** What a NULL key becomes: its own group (`group`, keyed `null`) or dropped. */
    nulls: z.enum(['group', 'drop']).default('drop'),
    /**
     * Label of an optional row that counts every key outside the public list
     * (absent: such keys are dropped). It is released only if it passes the
     * release threshold, like any key that is not public. It is also this
     * column's key in the row of suppressed groups a buyer asks for with
     * `"other": true`, the one use it has on a level without a public list.
     */
    other: z.string().min(1).max(100).optional(),
  })
  .strict()
  .superRefine((d, ctx) => {
    if (d.defaultLevel !== undefined && !d.levels.includes(d.defaultLevel)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultLevel'],
        message: `defaultLevel must be one of ${d.levels.join(', ')}`,
      });
    }
    for (const [level, keys] of Object.entries(d.publicKeys ?? {})) {
      if (d.other !== undefined && Array.isArray(keys) && keys.includes(d.other)) {
        ctx.addIssue({
          code: 'custom',
          path: ['other'],
          message: `"${d.other}" is also a public key of level "${level}"; pick another label`,
        });
      }
      if (!d.levels.includes(level)) {
        ctx.addIssue({
          code: 'custom',
          path: ['publicKeys', level],
          message: `public keys given for level "${level}", which is not in levels`,
        });
      }
    }
  });

export const measureSchema = z
  .object({
    description: z.string().optional(),
    unit: z.string().optional(),
    lower: z.number().finite(),
    upper: z.number().finite(),
    /** Sums are taken on an integer grid of this step, so the noise is integer too. */
    granularity: finitePositive,
  })
  .strict()
  .refine((m) => m.lower < m.upper, { message: 'lower must be below upper', path: ['upper'] })
  .refine((m) => Math.max(Math.abs(m.lower), Math.abs(m.upper)) / m.granularity <= 1e9, {
    message: 'bounds divided by granularity must stay below 1e9 grid steps',
    path: ['granularity'],
  });

const budgetAmount = z
  .object({ epsilon: finitePositive, delta: z.number().finite().min(0).lt(1) })
  .strict();

export const policySchema = z
  .object({
    dataset: z.string().regex(/^[a-z][a-z0-9_]*$/),
    title: z.string().min(1),
    description: z.string().min(1),
    source: z.string().min(1),
    period: z.string().min(1),
    /** Catalogue: a stable product code; derived from the dataset id when absent. */
    registrationCode: z
      .string()
      .regex(/^[A-Z0-9][A-Z0-9-]{2,39}$/)
      .optional(),
    /** Catalogue: the bureau that publishes the data. */
    bureau: z.string().min(1).optional(),
    /** Catalogue: example SQL queries a buyer can start from. */
    exampleQueries: z
      .array(z.object({ title: z.string().min(1), sql: z.string().min(1).max(2000) }).strict())
      .max(20)
      .optional(),
    privacyUnit: z.object({ name: z.string().min(1), description: z.string().min(1) }).strict(),
    /** Class of every raw and derived column the enclave holds. */
    columns: z.record(z.string(), columnClass),
    dimensions: z.record(z.string(), dimensionSchema),
    measures: z.record(z.string(), measureSchema),
    k: z.number().int().min(2).max(1000),
    contribution: z
      .object({
        /** Rows one unit may contribute to a whole query (kept by keyed random rank). */
        maxContributions: z.number().int().min(1).max(100),
      })
      .strict(),
    epsilon: z
      .object({ default: queryEpsilon, max: queryEpsilon })
      .strict()
      .refine((e) => e.default <= e.max, {
        message: 'default must not exceed max',
        path: ['default'],
      }),
    /**
     * Noise of every mechanism: `laplace` (pure ε; the default when absent, so
     * existing policies keep their version) or `gaussian` (discrete Gaussian,
     * zCDP converted to (ε, δ)); docs/privacy.md derives both.
     */
    mechanism: z.enum(['laplace', 'gaussian']).optional(),
    /** Chance of releasing a group of fewer than k units, per query. */
    delta: probability.max(1e-3),
    /**
     * Key of the row of suppressed groups (a buyer's `"other": true`) in every grouped column
     * whose dimension names no `other` label of its own; OTHER when absent.
     */
    otherLabel: z.string().min(1).max(100).optional(),
    maxGroups: z.number().int().min(1).max(100000).default(5000),
    budgets: z
      .object({
        period: z.enum(['year', 'month', 'all']),
        perBuyer: budgetAmount,
        dataset: budgetAmount,
        buyers: z.record(z.string(), budgetAmount).default({}),
      })
      .strict(),
  })
  .strict()
  .superRefine((p, ctx) => {
    const check = (name: string, path: (string | number)[]) => {
      const cls = p.columns[name];
      if (cls === undefined) {
        ctx.addIssue({ code: 'custom', path, message: `column "${name}" has no class in columns` });
      } else if (cls === 'identifier') {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `column "${name}" is an identifier and can be neither dimension nor measure`,
        });
      }
    };
    for (const name of Object.keys(p.dimensions)) check(name, ['dimensions', name]);
    for (const name of Object.keys(p.measures)) {
      check(name, ['measures', name]);
      if (name in p.dimensions)
        ctx.addIssue({
          code: 'custom',
          path: ['measures', name],
          message: `"${name}" is both a dimension and a measure`,
        });
    }
    if (p.epsilon.max > p.budgets.perBuyer.epsilon) {
      ctx.addIssue({
        code: 'custom',
        path: ['epsilon', 'max'],
        message: 'max epsilon per query exceeds the per-buyer budget',
      });
    }
  });

export type Policy = z.infer<typeof policySchema>;
export type DimensionPolicy = z.infer<typeof dimensionSchema>;
export type MeasurePolicy = z.infer<typeof measureSchema>;
