import { readFileSync } from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';
import t from 'tap';
import { parse } from 'yaml';
import { checkQuery } from '../../src/policy/check.js';
import { PolicyFileError, validatePolicy } from '../../src/policy/load.js';
import { planQuery } from '../../src/privacy/mechanisms.js';
import { seededSource } from '../../src/privacy/random.js';
import { release } from '../../src/privacy/release.js';
import type { PlanInput, TrueGroup } from '../../src/privacy/types.js';
import { queryRequest } from '../../src/query/request.js';
import { rewrite } from '../../src/rewrite/rewrite.js';

/**
 * The policy's optional "other" row: keys outside a public list are counted
 * into one cell that is released only if it passes the threshold, while the
 * listed cells stay public (always released, noisy, no threshold).
 */

const lists = [['mild', 'severe']];

function plan(otherCells: boolean, mechanism: PlanInput['mechanism'] = 'laplace') {
  return planQuery({
    aggregates: [{ fn: 'count', alias: 'n' }],
    epsilon: 1,
    delta: 1e-6,
    k: 5,
    maxContributions: 2,
    needsSelection: false,
    otherCells,
    mechanism,
  });
}

function group(key: string, units: number): TrueGroup {
  return { keys: [key], rows: units, units, measures: {} };
}

t.test('the plan charges the units mechanism and δ only when an other row exists', async (t) => {
  const without = plan(false);
  t.same(
    without.mechanisms.map((m) => m.id),
    ['rows'],
  );
  t.equal(without.deltaCharged, 0);
  const withOther = plan(true);
  t.same(
    withOther.mechanisms.map((m) => m.id),
    ['units', 'rows'],
  );
  t.equal(withOther.deltaCharged, 1e-6);
  // Same tau as selection: b = 2 / 0.5 = 4, t = ceil(4 (ln(2e6) - ln(1 + e^-0.25))) = 56.
  t.same(withOther.selection, { mechanism: 'units', k: 5, tau: 5 + 56, onlyOther: true });
  const gaussian = plan(true, 'gaussian');
  t.equal(gaussian.selection!.onlyOther, true);
  t.ok(gaussian.deltaCharged > 1e-6, 'Gaussian: conversion δ plus the threshold δ');
});

t.test('a big other row is released after the public cells; a small one is not', async (t) => {
  const p = plan(true);
  const big = release(
    {
      plan: p,
      groups: [group('mild', 3), group('OTHER', 500)],
      publicKeys: lists,
      otherKeys: ['OTHER'],
    },
    seededSource('other-big'),
  );
  t.same(
    big.rows.map((r) => r.keys[0]),
    ['mild', 'severe', 'OTHER'],
  );
  t.equal(big.suppressed, 0);
  for (const units of [4, 5, 20]) {
    const small = release(
      {
        plan: p,
        groups: [group('mild', 3), group('OTHER', units)],
        publicKeys: lists,
        otherKeys: ['OTHER'],
      },
      seededSource(`other-small-${units}`),
    );
    t.same(
      small.rows.map((r) => r.keys[0]),
      ['mild', 'severe'],
      `an other row of ${units} units (below tau ${p.selection!.tau}) is withheld`,
    );
    t.equal(small.suppressed, 1);
  }
  const dropped = release(
    { plan: plan(false), groups: [group('mild', 3), group('extreme', 900)], publicKeys: lists },
    seededSource('no-other'),
  );
  t.same(
    dropped.rows.map((r) => r.keys[0]),
    ['mild', 'severe'],
    'without the option, unlisted keys are dropped',
  );
});

t.test('the enclave maps unlisted keys to the label and counts units once', async (t) => {
  const file = new URL('../../policies/nyc311_street_flooding.yaml', import.meta.url);
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, any>;
  raw.dimensions.borough.publicKeys.borough = ['BRONX', 'QUEENS'];
  raw.dimensions.borough.other = 'OTHER';
  const policy = validatePolicy(raw, 'other.yaml');
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `create table nyc311_street_flooding (unit_id varchar, row_rank integer, borough varchar)`,
  );
  await conn.run(`insert into nyc311_street_flooding values
    ('a', 1, 'BRONX'), ('b', 1, 'BROOKLYN'), ('b', 2, 'MANHATTAN'), ('c', 1, 'MANHATTAN'),
    ('d', 1, NULL)`);
  const q = checkQuery(
    queryRequest.parse({
      dataset: 'nyc311_street_flooding',
      groupBy: ['borough'],
      aggregates: [{ fn: 'count' }],
    }),
    new Map([['nyc311_street_flooding', policy]]),
  );
  const stmt = rewrite(q);
  const rows = (await conn.runAndReadAll(stmt.sql, stmt.params as never[])).getRowsJS();
  const byKey = new Map(rows.map((r) => [r[0], [Number(r[1]), Number(r[2])]]));
  t.same(byKey.get('OTHER'), [3, 2], 'three rows, two distinct units (b counted once)');
  t.same(byKey.get('BRONX'), [1, 1]);
  t.equal(byKey.has('BROOKLYN'), false, 'no unlisted key leaves the enclave');
  t.equal(byKey.has(null), false, 'nulls: drop still drops NULL keys');

  raw.dimensions.borough.other = 'QUEENS';
  t.throws(() => validatePolicy(raw, 'clash.yaml'), PolicyFileError, 'a label that is a key');
});
