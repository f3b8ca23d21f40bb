import { Validator } from '@seriousme/openapi-schema-validator';
import t from 'tap';
import { queryExamples } from '../../src/http/api-schemas.js';
import { routesOf } from '../../src/http/openapi.js';
import { startTestGateway } from '../fixtures/gateway.js';

t.test('the OpenAPI document is valid, complete, and its examples work', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const res = await g.call('/docs/json');
  t.equal(res.status, 200);
  const doc = res.json;
  const verdict = await new Validator().validate(doc);
  t.same(verdict.errors ?? [], [], 'no validation errors');
  t.equal(verdict.valid, true, 'valid OpenAPI 3.1');
  t.equal(doc.openapi, '3.1.0');

  const documented = new Set<string>();
  for (const [path, ops] of Object.entries(doc.paths as Record<string, object>)) {
    for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
  }
  const served = routesOf(g.gw.app).map((r) => r.replace(/:(\w+)/g, '{$1}'));
  t.ok(served.length >= 6, `routes found: ${served.join(', ')}`);
  for (const r of served) t.ok(documented.has(r), `${r} is in the document`);

  const query = doc.paths['/v1/query'].post;
  t.ok(query.requestBody.content['application/json'].schema.anyOf, 'JSON or SQL body');
  t.same(Object.keys(query.responses).sort(), [
    '200',
    '400',
    '401',
    '403',
    '404',
    '429',
    'default',
  ]);
  t.equal(doc.paths['/health'].get.security.length, 0, '/health needs no token');
  const answer = query.responses['200'].content['application/json'].schema;
  t.ok(answer.properties.privacy.properties.groupsReleased, 'answer schema from zod');
  t.notOk(answer.properties.privacy.properties.groupsSuppressed, 'no suppressed count for buyers');

  const token = g.token('buyer', 'docs-reader');
  const examples = query.requestBody.content['application/json'].examples;
  t.same(Object.keys(examples), Object.keys(queryExamples));
  for (const [name, ex] of Object.entries(examples as Record<string, { value: unknown }>)) {
    const r = await g.call('/v1/query', { token, body: ex.value });
    t.equal(r.status, 200, `example ${name} answers on the bundled data`);
    t.ok(Array.isArray(r.json.rows) && r.json.rows.length > 0, `example ${name} has rows`);
  }

  const page = await g.call('/docs/');
  t.equal(page.status, 200);
  t.match(page.text, /swagger-ui/i, 'a browsable page');
  const css = await g.call('/docs/static/swagger-ui.css');
  t.equal(css.status, 200, 'assets are served from the package');
  const audit = await g.call('/v1/audit/entries?limit=1000', { token: g.token('auditor') });
  const docsAudited = audit.json.entries.filter((e: { route: string | null }) =>
    (e.route ?? '').startsWith('/docs'),
  );
  t.equal(docsAudited.length, 0, 'reading the docs writes no audit entries');
});
