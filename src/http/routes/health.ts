import type { FastifyInstance } from 'fastify';
import type { GatewayContext } from '../context.js';

/** Liveness for load balancers and the container health check; needs no token. */
export function healthRoutes(app: FastifyInstance, ctx: GatewayContext): void {
  app.get('/health', async () => ({ status: 'ok', datasets: ctx.enclave.datasets.size }));
}
