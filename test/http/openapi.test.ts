import { Validator } from '@seriousme/openapi-schema-validator';
import t from 'tap';
import { fetch } from 'undici';
import { queryExamples } from '../../src/http/api-schemas.js';
import { routesOf } from '../../src/http/openapi.js';
import { operations } from '../../src/http/openapi-operations.js';
import { listQuery } from '../../src/http/routes/audit.js';
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
    '413',
    '415',
    '429',
    '500',
    '503',
    'default',
  ]);
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const where = `${method.toUpperCase()} ${path}`;
      t.ok(op.summary && op.responses['200']?.content, `${where} is described, not just listed`);
      for (const name of path.match(/\{\w+\}/g) ?? []) {
        const param = (op.parameters ?? []).find((p: any) => `{${p.name}}` === name);
        t.equal(param?.in, 'path', `${where} declares ${name}`);
      }
    }
  }
  const entriesParams = doc.paths['/v1/audit/entries'].get.parameters.map((p: any) => p.name);
  t.same(entriesParams, Object.keys(listQuery.shape), 'parameters come from the route schema');
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

/**
 * Keys of a value that its JSON schema forbids (additionalProperties false),
 * which zod's parse would silently strip; anyOf passes when one branch does.
 */
function extraKeys(schema: any, value: unknown, at = '$'): string[] {
  if (!schema || typeof schema !== 'object' || value === null || typeof value !== 'object') {
    return [];
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.map((b: unknown) => extraKeys(b, value, at));
    return branches.some((b: string[]) => b.length === 0) ? [] : branches[0];
  }
  if (Array.isArray(value))
    return value.flatMap((v, i) => extraKeys(schema.items, v, `${at}[${i}]`));
  const props = schema.properties ?? {};
  return Object.entries(value).flatMap(([k, v]) => {
    if (k in props) return extraKeys(props[k], v, `${at}.${k}`);
    if (schema.additionalProperties === false) return [`${at}.${k}`];
    return extraKeys(schema.additionalProperties, v, `${at}.${k}`);
  });
}

/** One call per documented operation: path parameters filled, the role that may call it. */
function calls(policy: unknown) {
  const nyc = 'nyc311_street_flooding';
  const query = { dataset: nyc, groupBy: ['borough'], aggregates: [{ fn: 'count' }] };
  return [
    ['get', '/health', '/health', undefined, undefined],
    ['get', '/v1/datasets', '/v1/datasets', 'buyer', undefined],
    ['get', '/v1/budget', '/v1/budget', 'buyer', undefined],
    ['post', '/v1/query', '/v1/query', 'buyer', query],
    ['post', '/v1/query/quote', '/v1/query/quote', 'buyer', query],
    ['get', '/v1/audit/mine', '/v1/audit/mine?limit=5', 'buyer', undefined],
    ['get', '/v1/audit/key', '/v1/audit/key', 'buyer', undefined],
    ['get', '/v1/audit/entries', '/v1/audit/entries?limit=5', 'auditor', undefined],
    ['get', '/v1/audit/verify', '/v1/audit/verify', 'auditor', undefined],
    ['get', '/v1/audit/checkpoints', '/v1/audit/checkpoints', 'auditor', undefined],
    ['get', '/v1/audit/export', '/v1/audit/export', 'auditor', undefined],
    ['get', '/v1/audit/privacy-loss', '/v1/audit/privacy-loss', 'auditor', undefined],
    ['get', '/v1/audit/releases', '/v1/audit/releases?limit=5', 'auditor', undefined],
    ['get', '/v1/policies/{dataset}', `/v1/policies/${nyc}`, 'bureau', undefined],
    ['put', '/v1/policies/{dataset}', `/v1/policies/${nyc}`, 'bureau', policy],
    ['get', '/v1/policies/{dataset}/history', `/v1/policies/${nyc}/history`, 'bureau', undefined],
    ['get', '/v1/policies/{dataset}/diff', `/v1/policies/${nyc}/diff?from=1&to=1`, 'bureau'],
    ['post', '/v1/policies/{dataset}/dry-run', `/v1/policies/${nyc}/dry-run`, 'bureau', policy],
    ['get', '/v1/budgets/{dataset}/{buyer}', `/v1/budgets/${nyc}/acme`, 'bureau', undefined],
    [
      'put',
      '/v1/budgets/{dataset}/{buyer}',
      `/v1/budgets/${nyc}/acme`,
      'bureau',
      { epsilon: 9, delta: 0 },
    ],
    [
      'post',
      '/v1/budgets/{dataset}/{buyer}/top-up',
      `/v1/budgets/${nyc}/acme/top-up`,
      'bureau',
      { epsilon: 1 },
    ],
    ['delete', '/v1/budgets/{dataset}/{buyer}', `/v1/budgets/${nyc}/other`, 'bureau', undefined],
  ] as const;
}

t.test('every route answers in the shape its document describes', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const bureau = g.token('bureau');
  const policy = (await g.call('/v1/policies/nyc311_street_flooding', { token: bureau })).json;
  const doc = (await g.call('/docs/json')).json;
  const seen = new Set<string>();
  for (const [method, path, url, role, body] of calls(policy.policy)) {
    const spec = operations[path]?.[method];
    const where = `${method.toUpperCase()} ${path}`;
    if (!spec) {
      t.fail(`${where} is not documented`);
      continue;
    }
    seen.add(where);
    const res = await fetch(g.url + url, {
      method: method.toUpperCase(),
      headers: {
        ...(role ? { authorization: `Bearer ${g.token(role)}` } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    t.equal(res.status, 200, `${where} answers 200`);
    if (spec.response === 'ndjson') {
      t.ok(
        text
          .split('\n')
          .filter(Boolean)
          .every((l) => JSON.parse(l)),
        `${where} is JSON Lines`,
      );
      continue;
    }
    const parsed = spec.response.safeParse(JSON.parse(text));
    t.same(parsed.error?.issues ?? [], [], `${where} matches its documented answer`);
    const schema = doc.paths[path][method].responses['200'].content['application/json'].schema;
    t.same(extraKeys(schema, JSON.parse(text)), [], `${where} has no field the document forbids`);
  }
  const documented = Object.entries(operations).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
  );
  t.same(
    documented.filter((d) => !seen.has(d)),
    [],
    'every documented operation was called',
  );
});
