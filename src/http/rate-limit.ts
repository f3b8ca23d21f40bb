import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { VeilError } from '../errors/registry.js';

/**
 * Limits each authenticated caller to `perMinute` requests a minute, keyed
 * by the token's `sub` so that one organisation cannot starve the others
 * (or hammer the enclave) by spreading over addresses. It runs after the
 * route's auth hook; unauthenticated requests are refused there and never
 * counted. `perMinute` 0 turns the limit off.
 */
export async function registerRateLimit(app: FastifyInstance, perMinute: number): Promise<void> {
  if (perMinute === 0) return;
  await app.register(rateLimit, {
    max: perMinute,
    timeWindow: 60_000,
    allowList: (req: FastifyRequest) => req.principal === undefined,
    keyGenerator: (req: FastifyRequest) => `sub:${req.principal?.sub ?? ''}`,
    errorResponseBuilder: (_req, ctx) =>
      new VeilError(
        'VEIL_RATE_LIMITED',
        `more than ${ctx.max} requests a minute from this caller; retry in ${ctx.after}`,
        { retryAfterSeconds: Math.ceil(ctx.ttl / 1000) },
      ),
  });
}
