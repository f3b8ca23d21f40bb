import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { isVeilError } from '../../src/errors/registry.js';
import { closeSqlParser, sqlToChecked, sqlToRequest } from '../../src/frontend/sql/index.js';
import { loadPolicies } from '../../src/policy/load.js';
import type { QueryRequest } from '../../src/query/request.js';

// Golden cases of the SQL front end: each accepted query with the request it
// becomes, each refused query with its code, its position and the text found
// at that position. VEIL_UPDATE_GOLDEN=1 rewrites the expectations from the
// current code; review the diff before keeping it.

interface Accepted {
  name: string;
  sql: string;
  epsilon?: number;
  request?: QueryRequest;
}

interface Refused {
  name: string;
  sql: string;
  epsilon?: number;
  code?: string;
  position?: number;
  at?: string;
}

const file = new URL('./golden/sql.json', import.meta.url);
const golden = JSON.parse(readFileSync(file, 'utf8')) as {
  accepted: Accepted[];
  refused: Refused[];
};
const policies = loadPolicies(new URL('../../policies', import.meta.url).pathname);
const update = process.env.VEIL_UPDATE_GOLDEN === '1';

/** The text at a position, counted in code points, as the golden file quotes it. */
function textAt(sql: string, position: number): string {
  return Array.from(sql)
    .slice(position, position + 16)
    .join('');
}

t.after(closeSqlParser);

t.test('the golden file is big enough and names are unique', async (t) => {
  const all = [...golden.accepted, ...golden.refused];
  t.ok(all.length >= 40, `${all.length} cases`);
  t.equal(new Set(all.map((c) => c.name)).size, all.length);
  for (const dataset of policies.keys()) {
    t.ok(
      all.some((c) => c.sql.includes(dataset)),
      `cases over ${dataset}`,
    );
  }
});

for (const c of golden.accepted) {
  t.test(`accepted: ${c.name}`, async (t) => {
    const opts = c.epsilon === undefined ? {} : { epsilon: c.epsilon };
    const { request } = await sqlToRequest(c.sql, policies, opts);
    if (update) c.request = request;
    t.same(request, c.request);
    const checked = await sqlToChecked(c.sql, policies, opts);
    t.equal(checked.dataset, request.dataset);
    t.same(
      checked.groupBy.map((g) => g.label),
      request.groupBy,
    );
    t.same(
      checked.aggregates.map((a) => a.fn),
      request.aggregates.map((a) => a.fn),
    );
  });
}

for (const c of golden.refused) {
  t.test(`refused: ${c.name}`, async (t) => {
    const opts = c.epsilon === undefined ? {} : { epsilon: c.epsilon };
    const err: unknown = await sqlToChecked(c.sql, policies, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!isVeilError(err)) {
      t.fail(`expected a VeilError, got ${String(err)}`);
      return;
    }
    const position = err.detail.position;
    if (update) {
      c.code = err.code;
      c.position = position;
      c.at = position === undefined ? undefined : textAt(c.sql, position);
    }
    t.equal(err.code, c.code, err.message);
    t.equal(position, c.position);
    t.type(position, 'number');
    t.equal(textAt(c.sql, position!), c.at);
    t.ok(err.status >= 400 && err.status < 500, 'a client error');
    t.ok(err.message.length > 20, 'the message says what to change');
  });
}

if (update) {
  t.test('rewrite the golden file', async () => {
    const { format } = await import('prettier');
    const text = await format(JSON.stringify(golden), { parser: 'json', printWidth: 100 });
    writeFileSync(file, text);
  });
}
