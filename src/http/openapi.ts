import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  answerBody,
  auditEntriesBody,
  auditQuery,
  auditVerifyBody,
  budgetBody,
  datasetsBody,
  errorBody,
  healthBody,
  queryBody,
  queryExamples,
} from './api-schemas.js';

/** A zod schema as OpenAPI 3.1 (JSON Schema 2020-12), in its input form for bodies. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const json = (schema: z.ZodType) => ({ 'application/json': { schema: schemaOf(schema) } });
const refusal = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const authRefusals = {
  '401': refusal('No token, or an invalid or expired one (VEIL_AUTH_*)'),
  '403': refusal("The token's role may not use this route (VEIL_AUTH_FORBIDDEN)"),
};

type Operation = Record<string, unknown>;

/** The described routes, keyed by OpenAPI path then method; the contract buyers code against. */
function describedPaths(): Record<string, Record<string, Operation>> {
  return {
    '/health': {
      get: {
        summary: 'Liveness',
        tags: ['operations'],
        security: [],
        responses: { '200': { description: 'The gateway is up', content: json(healthBody) } },
      },
    },
    '/v1/datasets': {
      get: {
        summary: 'Catalogue: dimensions, levels, public keys, measures, k, epsilon, your budget',
        tags: ['buyers'],
        responses: {
          '200': { description: 'Every dataset', content: json(datasetsBody) },
          ...authRefusals,
        },
      },
    },
    '/v1/budget': {
      get: {
        summary: "The calling buyer's budget per dataset for the current period",
        tags: ['buyers'],
        responses: {
          '200': { description: 'Budgets', content: json(budgetBody) },
          ...authRefusals,
        },
      },
    },
    '/v1/query': {
      post: {
        summary: 'Answer an aggregate query, as JSON or as SQL, with differential privacy',
        description:
          'Checked against the dataset policy, charged to your budget, answered with discrete ' +
          'Laplace noise; groups with too few people are withheld. See docs/sql.md for SQL.',
        tags: ['buyers'],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: schemaOf(queryBody, 'input'), examples: queryExamples },
          },
        },
        responses: {
          '200': { description: 'The noisy answer', content: json(answerBody) },
          '400': refusal(
            'The query is invalid or refused by the policy (VEIL_QUERY_*, VEIL_SQL_*)',
          ),
          ...authRefusals,
          '404': refusal('Unknown dataset (VEIL_QUERY_UNKNOWN_DATASET)'),
          '429': refusal('The query would exceed a privacy budget (VEIL_BUDGET_EXHAUSTED)'),
        },
      },
    },
    '/v1/audit/entries': {
      get: {
        summary: 'The audit log, filtered and paged',
        tags: ['auditors'],
        parameters: queryParameters(auditQuery),
        responses: {
          '200': { description: 'A page of entries', content: json(auditEntriesBody) },
          ...authRefusals,
        },
      },
    },
    '/v1/audit/verify': {
      get: {
        summary: 'Recompute the hash chain and say where it breaks',
        tags: ['auditors'],
        responses: {
          '200': { description: 'The verdict', content: json(auditVerifyBody) },
          ...authRefusals,
        },
      },
    },
  };
}

function queryParameters(schema: z.ZodObject): Operation[] {
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: schemaOf(field as z.ZodType),
  }));
}

/**
 * Fills in the generated document: the described routes get their zod
 * schemas; any other route (one added later without a description) keeps
 * its generated entry with the bearer requirement and the error shape, so
 * that every route is at least listed.
 */
export function completeDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = { ...((doc.paths ?? {}) as Record<string, Record<string, Operation>>) };
  for (const [path, ops] of Object.entries(describedPaths())) {
    paths[path] = { ...paths[path], ...ops };
  }
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      ops[method] = {
        ...op,
        responses: { ...(op.responses as object), default: refusal('A coded refusal or error') },
      };
    }
    paths[path] = ops;
  }
  return { ...doc, paths };
}

const seen = new WeakMap<FastifyInstance, string[]>();

/** Every route added after registerOpenApi, as "METHOD /path": the docs test checks each one. */
export function routesOf(app: FastifyInstance): readonly string[] {
  return seen.get(app) ?? [];
}

/**
 * Serves the OpenAPI document at /docs/json and a browsable page at /docs
 * (its assets ship inside @fastify/swagger-ui, no network needed). Must be
 * registered before the routes, which it collects as they are added.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  const routes: string[] = [];
  seen.set(app, routes);
  app.addHook('onRoute', (r) => {
    const hidden = (r.schema as { hide?: boolean } | undefined)?.hide === true;
    if (hidden) return;
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Veil',
        version: '1',
        description:
          'Aggregate-only, differentially private queries over sensitive public data. ' +
          'Every route but /health needs a bearer token; `veil token` prints one.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
        schemas: { Error: schemaOf(errorBody) },
      },
      security: [{ bearer: [] }],
    },
    transformObject: (d) =>
      completeDocument(
        ('openapiObject' in d ? d.openapiObject : d.swaggerObject) as Record<string, unknown>,
      ),
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.addHook('onRequest', async (req) => {
    if (req.routeOptions.url?.startsWith('/docs')) req.audited = true;
  });
}
