import { readFileSync } from 'node:fs';
import t from 'tap';
import { parse } from 'yaml';
import { sqlToChecked } from '../../src/frontend/sql/index.js';
import { checkQuery } from '../../src/policy/check.js';
import { PolicyFileError, validatePolicy, type LoadedPolicy } from '../../src/policy/load.js';
import { otherRowKeys } from '../../src/query/other-row.js';
import { answerKey, normalizeQuery } from '../../src/query/normalize.js';
import { queryRequest } from '../../src/query/request.js';

/**
 * The row of suppressed groups is part of the question (invariant 8): the
 * same question with and without it has two keys, and every spelling of it
 * (JSON or SQL, orders, aliases) has one. Questions without it keep the
 * key they always had. Its keys come from the policy.
 */

const nyc = 'nyc311_street_flooding';
const file = new URL('../../policies/nyc311_street_flooding.yaml', import.meta.url);
const raw = () => parse(readFileSync(file, 'utf8')) as Record<string, any>;
const scope = { buyer: 'acme', policyVersion: 'p1', dataVersion: 'd1' };

function policies(edit: (p: Record<string, any>) => void = () => {}) {
  const p = raw();
  edit(p);
  return new Map<string, LoadedPolicy>([[nyc, validatePolicy(p, 'nyc.yaml')]]);
}

const base = {
  dataset: nyc,
  groupBy: ['zip', 'borough'],
  aggregates: [{ fn: 'count' }, { fn: 'count_units' }],
  epsilon: 1,
};

t.test('asking for the row changes the key; its spellings share one', async (t) => {
  const ps = policies();
  const checked = (body: object) => checkQuery(queryRequest.parse(body), ps);
  const plain = checked(base);
  const other = checked({ ...base, other: true });
  t.equal(other.otherRow, true);
  t.equal(plain.otherRow, undefined, 'not asked: no flag at all');
  t.notOk('other' in normalizeQuery(plain), 'so the normal form of a plain question is unchanged');
  t.equal(normalizeQuery(other).other, true);
  t.not(answerKey(other, scope), answerKey(plain, scope), 'with the row: another question');
  t.equal(
    answerKey(checked({ ...base, other: false }), scope),
    answerKey(plain, scope),
    '"other": false is the question without it',
  );
  const respelled = checked({
    ...base,
    groupBy: ['borough:borough', 'zip'],
    aggregates: [
      { fn: 'count_units', as: 'u' },
      { fn: 'count', as: 'n' },
    ],
    other: true,
  });
  t.equal(answerKey(respelled, scope), answerKey(other, scope));
  const sql = `SELECT borough, zip, COUNT(*), COUNT(DISTINCT unit) FROM ${nyc} GROUP BY ALL`;
  const fromSql = await sqlToChecked(sql, ps, { epsilon: 1, other: true });
  t.equal(answerKey(fromSql, scope), answerKey(other, scope), 'the SQL body field, same key');
  const sqlPlain = await sqlToChecked(sql, ps, { epsilon: 1 });
  t.equal(answerKey(sqlPlain, scope), answerKey(plain, scope));
});

t.test('the row keys: the dimension label, else the policy otherLabel, else OTHER', async (t) => {
  const q = (ps: Map<string, LoadedPolicy>) =>
    checkQuery(queryRequest.parse({ ...base, other: true }), ps);
  t.same(otherRowKeys(q(policies())), ['OTHER', 'OTHER']);
  const labelled = policies((p) => {
    p.otherLabel = '(other)';
    p.dimensions.zip.other = 'ANY ZIP';
  });
  t.same(otherRowKeys(q(labelled)), ['ANY ZIP', '(other)'], 'zip has its own label');
  t.throws(
    () => validatePolicy({ ...raw(), otherLabel: 'QUEENS' }, 'clash.yaml'),
    PolicyFileError,
    'an otherLabel that is a public key of a column without a label of its own is refused',
  );
  t.doesNotThrow(() =>
    validatePolicy(
      {
        ...raw(),
        otherLabel: 'QUEENS',
        dimensions: { ...raw().dimensions, borough: { ...raw().dimensions.borough, other: 'X' } },
      },
      'labelled.yaml',
    ),
  );
});
