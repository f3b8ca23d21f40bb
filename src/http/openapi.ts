import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { errorBody } from './api-schemas.js';
import { operations, type OperationSpec } from './openapi-operations.js';

/** A zod schema as OpenAPI 3.1 (JSON Schema 2020-12), in its input form for bodies. */
function schemaOf(schema: z.ZodType, io: 'input' | 'output' = 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return rest;
}

const refusal = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});
const authRefusals = {
  '401': refusal('No token, or an invalid or expired one (VEIL_AUTH_*)'),
  '403': refusal("The token's role may not use this route (VEIL_AUTH_FORBIDDEN)"),
  '429': refusal('Too many requests from this caller (VEIL_RATE_LIMITED, Retry-After header)'),
};

type Operation = Record<string, unknown>;

/** The parameters of an operation: its path's `{names}`, then its query schema's fields. */
function parametersOf(path: string, query: z.ZodObject | undefined): Operation[] {
  const inPath = [...path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const inQuery = Object.entries(query?.shape ?? {}).map(([name, field]) => ({
    name,
    in: 'query',
    required: false,
    schema: schemaOf(field as z.ZodType, 'input'),
  }));
  return [...inPath, ...inQuery];
}

function operationOf(path: string, spec: OperationSpec): Operation {
  const answer =
    spec.response === 'ndjson'
      ? { 'application/x-ndjson': { schema: { type: 'string' } } }
      : { 'application/json': { schema: schemaOf(spec.response) } };
  const refusals = Object.fromEntries(
    Object.entries(spec.refusals ?? {}).map(([status, text]) => [status, refusal(text)]),
  );
  const parameters = parametersOf(path, spec.query);
  const body = spec.body && {
    required: true,
    content: {
      'application/json': {
        schema: schemaOf(spec.body, 'input'),
        ...(spec.bodyExamples ? { examples: spec.bodyExamples } : {}),
      },
    },
  };
  return {
    summary: spec.summary,
    ...(spec.description ? { description: spec.description } : {}),
    tags: spec.tags,
    ...(spec.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(body ? { requestBody: body } : {}),
    responses: {
      '200': { description: spec.responseDescription, content: answer },
      ...(spec.public ? {} : authRefusals),
      ...refusals,
    },
  };
}

/** The described routes, keyed by OpenAPI path then method, built from the zod operations. */
function describedPaths(): Record<string, Record<string, Operation>> {
  return Object.fromEntries(
    Object.entries(operations).map(([path, ops]) => [
      path,
      Object.fromEntries(
        Object.entries(ops).map(([method, spec]) => [method, operationOf(path, spec)]),
      ),
    ]),
  );
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
