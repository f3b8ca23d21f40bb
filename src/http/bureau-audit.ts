import type { FastifyRequest } from 'fastify';
import type { AuditEntryInput } from '../audit/entry.js';
import { principalOf } from './auth.js';

/**
 * The audit fields every change a bureau made carries: who asked, on which
 * route, and that it was carried out. A policy PUT and a budget change add
 * what they changed; both are audited by the route itself, in the same
 * transaction or right after the change, not by the generic request entry.
 */
export function bureauChangeEntry(req: FastifyRequest) {
  const who = principalOf(req);
  return {
    requestId: req.id,
    buyer: who.sub,
    role: who.role,
    route: req.routeOptions.url ?? null,
    method: req.method,
    status: 200,
    outcome: 'answered',
  } satisfies AuditEntryInput;
}
