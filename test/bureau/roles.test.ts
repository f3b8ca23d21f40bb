import t from 'tap';
import type { Role } from '../../src/http/principal.js';
import { roles } from '../../src/http/principal.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { boroughCount, send } from './helpers.js';

const nyc = 'nyc311_street_flooding';

/** Every route of the three roles, with the roles it serves. */
const routes: { method: string; path: string; allowed: Role[]; body?: unknown }[] = [
  { method: 'GET', path: '/v1/datasets', allowed: ['buyer', 'bureau', 'auditor'] },
  { method: 'GET', path: '/v1/audit/key', allowed: ['buyer', 'bureau', 'auditor'] },
  { method: 'GET', path: '/v1/budget', allowed: ['buyer'] },
  { method: 'POST', path: '/v1/query', allowed: ['buyer'], body: boroughCount(0.1) },
  { method: 'POST', path: '/v1/query/quote', allowed: ['buyer'], body: boroughCount(0.1) },
  { method: 'GET', path: '/v1/audit/mine', allowed: ['buyer'] },
  { method: 'GET', path: '/v1/audit/entries', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/verify', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/export', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/checkpoints', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/privacy-loss', allowed: ['auditor'] },
  { method: 'GET', path: '/v1/audit/releases', allowed: ['auditor'] },
  { method: 'GET', path: `/v1/policies/${nyc}`, allowed: ['bureau'] },
  { method: 'PUT', path: `/v1/policies/${nyc}`, allowed: ['bureau'], body: 'current' },
  { method: 'GET', path: `/v1/policies/${nyc}/history`, allowed: ['bureau'] },
  { method: 'GET', path: `/v1/policies/${nyc}/diff?from=1&to=1`, allowed: ['bureau'] },
  { method: 'POST', path: `/v1/policies/${nyc}/dry-run`, allowed: ['bureau'], body: 'current' },
  { method: 'GET', path: `/v1/budgets/${nyc}/acme`, allowed: ['bureau'] },
  {
    method: 'PUT',
    path: `/v1/budgets/${nyc}/acme`,
    allowed: ['bureau'],
    body: { epsilon: 5, delta: 0.001 },
  },
  {
    method: 'POST',
    path: `/v1/budgets/${nyc}/acme/top-up`,
    allowed: ['bureau'],
    body: { epsilon: 1 },
  },
  { method: 'DELETE', path: `/v1/budgets/${nyc}/zeta`, allowed: ['bureau'] },
];

t.test('each role is served on its routes and refused on the others', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const policy = (await send(g, 'GET', `/v1/policies/${nyc}`, g.token('bureau'))).json.policy;
  for (const route of routes) {
    const body = route.body === 'current' ? policy : route.body;
    for (const role of roles) {
      const r = await send(g, route.method, route.path, g.token(role), body);
      const name = `${role} ${route.method} ${route.path}`;
      if (route.allowed.includes(role)) {
        t.equal(r.status, 200, name);
      } else {
        t.equal(r.status, 403, name);
        t.equal(r.json.error.code, 'VEIL_AUTH_FORBIDDEN', name);
      }
    }
    const anonymous = await send(g, route.method, route.path, '', body);
    t.equal(anonymous.status, 401, `no token: ${route.method} ${route.path}`);
  }
  const history = await send(g, 'GET', `/v1/policies/${nyc}/history`, g.token('bureau'));
  t.equal(history.json.versions.length, 1, 'refused PUTs changed nothing');
});
