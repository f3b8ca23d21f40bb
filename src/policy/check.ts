import { VeilError } from '../errors/registry.js';
import type { QueryRequest } from '../query/request.js';
import {
  dimensionColumn,
  keyPasses,
  needsSelection,
  type CheckedAggregate,
  type CheckedFilter,
  type CheckedGroup,
  type CheckedQuery,
} from '../query/checked.js';
import type { LoadedPolicy } from './load.js';
import { MIN_EPSILON } from './schema.js';

/**
 * Checks a query request against its dataset's policy and returns the
 * checked query. Each refusal carries `path`, the place in the request it
 * is about, so the SQL front end can turn it into a text position.
 */
export function checkQuery(
  req: QueryRequest,
  policies: ReadonlyMap<string, LoadedPolicy>,
): CheckedQuery {
  const policy = policies.get(req.dataset);
  if (!policy) {
    throw new VeilError(
      'VEIL_QUERY_UNKNOWN_DATASET',
      `dataset "${req.dataset}" does not exist; GET /v1/datasets lists the ids: ` +
        [...policies.keys()].join(', '),
      { path: ['dataset'] },
    );
  }
  const groupBy = req.groupBy.map((entry, i) => checkGroup(policy, entry, ['groupBy', i]));
  const filters = req.filters.map((f, i): CheckedFilter => checkFilter(policy, f, ['filters', i]));
  const aggregates = req.aggregates.map((a, i) => checkAggregate(policy, a, ['aggregates', i]));
  checkNames(groupBy, aggregates);
  const epsilon = req.epsilon ?? policy.epsilon.default;
  refuseTinyEpsilon(epsilon);
  if (epsilon > policy.epsilon.max) {
    throw new VeilError(
      'VEIL_QUERY_EPSILON',
      `epsilon ${epsilon} is above this dataset's maximum per query, ${policy.epsilon.max}; ` +
        `ask for at most ${policy.epsilon.max}`,
      { path: ['epsilon'] },
    );
  }
  restrictPublicKeys(groupBy, filters);
  checkGroupCount(policy, groupBy);
  const outputs = new Set([...groupBy.map((g) => g.label), ...aggregates.map((a) => a.alias)]);
  const orderBy = (req.orderBy ?? []).map((o, i) => {
    if (!outputs.has(o.column)) {
      throw new VeilError(
        'VEIL_QUERY_UNKNOWN_COLUMN',
        `orderBy "${o.column}" is not an output column; order by one of: ` +
          [...outputs].join(', '),
        { path: ['orderBy', i, 'column'] },
      );
    }
    return { output: o.column, desc: o.desc };
  });
  const checked: CheckedQuery = {
    dataset: policy.dataset,
    policy,
    groupBy,
    aggregates,
    filters,
    epsilon,
    orderBy,
    limit: req.limit,
  };
  if (req.other === true) checkOtherRow(checked);
  return checked;
}

/**
 * The row of suppressed groups is for queries whose groups pass the release
 * threshold: without a groupBy there is one group and nothing to total, and
 * with public cells only nothing is ever suppressed (a dimension's `other`
 * label already totals the keys outside its list). Asking for it there is
 * refused rather than ignored, since it would change the question's key.
 */
function checkOtherRow(q: CheckedQuery): void {
  if (q.groupBy.length === 0) {
    throw new VeilError(
      'VEIL_QUERY_OTHER_ROW',
      '"other" totals the groups the release threshold withholds, and a query without ' +
        'groupBy has a single group; group by a dimension or drop "other"',
      { path: ['other'] },
    );
  }
  if (!needsSelection(q)) {
    throw new VeilError(
      'VEIL_QUERY_OTHER_ROW',
      '"other" totals the groups the release threshold withholds, and every cell of this ' +
        'query is public (released whatever the data, no threshold); drop "other"',
      { path: ['other'] },
    );
  }
  q.otherRow = true;
}

/** Splits `dimension:level` and checks both against the policy. */
function resolveDimension(policy: LoadedPolicy, entry: string, path: (string | number)[]) {
  const [dimension = '', level, extra] = entry.split(':');
  if (extra !== undefined) {
    throw new VeilError(
      'VEIL_QUERY_UNKNOWN_COLUMN',
      `"${entry}" has more than one ":"; write <dimension> or <dimension>:<level>`,
      { path },
    );
  }
  const dim = own(policy.dimensions, dimension);
  if (!dim) {
    refuseColumn(policy, dimension, path, 'a dimension');
  }
  const lvl = level ?? dim.defaultLevel ?? dim.levels[dim.levels.length - 1]!;
  if (!dim.levels.includes(lvl)) {
    throw new VeilError(
      'VEIL_QUERY_LEVEL_NOT_ALLOWED',
      `level "${lvl}" of "${dimension}" is not allowed by the policy; use one of: ` +
        dim.levels.join(', '),
      { path },
    );
  }
  return { dimension, level: lvl, dim, column: dimensionColumn(dimension, lvl, dim.levels) };
}

/** Throws the most helpful refusal for a name that is not usable where it was named. */
function refuseColumn(
  policy: LoadedPolicy,
  name: string,
  path: (string | number)[],
  wanted: string,
): never {
  if (own(policy.columns, name) === 'identifier') {
    throw new VeilError(
      'VEIL_QUERY_IDENTIFIER',
      `"${name}" is an identifier and never leaves the enclave; use a dimension such as ` +
        Object.keys(policy.dimensions).slice(0, 3).join(', '),
      { path },
    );
  }
  const names =
    wanted === 'a measure' ? Object.keys(policy.measures) : Object.keys(policy.dimensions);
  throw new VeilError(
    'VEIL_QUERY_UNKNOWN_COLUMN',
    `"${name}" is not ${wanted} of ${policy.dataset}; use one of: ${names.join(', ')}`,
    { path },
  );
}

/** Looks a buyer-supplied name up among a record's own keys only (never `constructor` etc.). */
function own<T>(record: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

function checkGroup(policy: LoadedPolicy, entry: string, path: (string | number)[]): CheckedGroup {
  const r = resolveDimension(policy, entry, path);
  return {
    label: entry,
    dimension: r.dimension,
    level: r.level,
    column: r.column,
    publicKeys: policy.publicKeyLists[r.dimension]?.[r.level],
    nulls: r.dim.nulls,
    ...(r.dim.other === undefined ? {} : { otherKey: r.dim.other }),
  };
}

function checkFilter(
  policy: LoadedPolicy,
  f: QueryRequest['filters'][number],
  path: (string | number)[],
): CheckedFilter {
  const r = resolveDimension(policy, f.column, [...path, 'column']);
  let values: string[];
  if (f.op === 'in') {
    if (!f.values || f.value !== undefined)
      throw badFilter(path, `op "in" takes "values", a list of keys`);
    values = [...new Set(f.values)];
  } else if (f.op === 'between') {
    if (!f.values || f.values.length !== 2 || f.value !== undefined)
      throw badFilter(path, `op "between" takes "values": [low, high]`);
    values = f.values;
    if (values[0]! > values[1]!)
      throw badFilter(path, `"between" needs low <= high, got [${values.join(', ')}]`);
  } else {
    if (f.value === undefined || f.values !== undefined)
      throw badFilter(path, `op "${f.op}" takes "value", one key`);
    values = [f.value];
  }
  return {
    dimension: r.dimension,
    level: r.level,
    column: r.column,
    op: f.op === 'in' && values.length === 1 ? 'eq' : f.op,
    values,
  };
}

function badFilter(path: (string | number)[], message: string): VeilError {
  return new VeilError('VEIL_QUERY_BAD_FILTER', message, { path });
}

const defaultAlias = {
  count: 'count',
  count_units: 'count_units',
  sum: 'sum',
  avg: 'avg',
  median: 'median',
  p90: 'p90',
} as const;

function checkAggregate(
  policy: LoadedPolicy,
  a: QueryRequest['aggregates'][number],
  path: (string | number)[],
): CheckedAggregate {
  const needsMeasure = a.fn !== 'count' && a.fn !== 'count_units';
  if (!needsMeasure) {
    if (a.column !== undefined) {
      if (own(policy.columns, a.column) === 'identifier')
        refuseColumn(policy, a.column, [...path, 'column'], 'a measure');
      throw new VeilError(
        'VEIL_QUERY_BAD_AGGREGATE',
        `"${a.fn}" counts rows or units and takes no column; drop "column"`,
        { path: [...path, 'column'] },
      );
    }
    return { fn: a.fn, measure: undefined, alias: a.as ?? defaultAlias[a.fn] };
  }
  if (a.column === undefined) {
    throw new VeilError(
      'VEIL_QUERY_BAD_AGGREGATE',
      `"${a.fn}" needs "column", one of: ${Object.keys(policy.measures).join(', ')}`,
      { path },
    );
  }
  if (!own(policy.measures, a.column))
    refuseColumn(policy, a.column, [...path, 'column'], 'a measure');
  return { fn: a.fn, measure: a.column, alias: a.as ?? `${a.fn}_${a.column}` };
}

function checkNames(groups: CheckedGroup[], aggs: CheckedAggregate[]): void {
  const seen = new Set<string>();
  const all = [
    ...groups.map((g, i) => ({ n: g.label, path: ['groupBy', i] })),
    ...aggs.map((a, i) => ({ n: a.alias, path: ['aggregates', i] })),
  ];
  for (const { n, path } of all) {
    if (n === '__proto__')
      throw new VeilError(
        'VEIL_QUERY_INVALID',
        'the output name "__proto__" is reserved; pick another "as"',
        { path },
      );
    if (seen.has(n))
      throw new VeilError(
        'VEIL_QUERY_DUPLICATE_NAME',
        `output column "${n}" appears twice; give one an "as" alias`,
        { path },
      );
    seen.add(n);
  }
  const dims = new Set(groups.map((g) => g.dimension));
  if (dims.size !== groups.length) {
    throw new VeilError(
      'VEIL_QUERY_DUPLICATE_NAME',
      'a dimension is grouped twice (at two levels); group by one level of it',
      { path: ['groupBy'] },
    );
  }
}

/** Public keys that a filter on the same dimension and level excludes are not released. */
function restrictPublicKeys(groups: CheckedGroup[], filters: CheckedFilter[]): void {
  for (const g of groups) {
    if (!g.publicKeys) continue;
    for (const f of filters) {
      if (f.dimension !== g.dimension) continue;
      if (f.level !== g.level) {
        // A filter at another level cannot be applied to key lists; threshold instead.
        g.publicKeys = undefined;
        break;
      }
      g.publicKeys = g.publicKeys.filter((k) => keyPasses(f, k));
    }
  }
}

function checkGroupCount(policy: LoadedPolicy, groups: CheckedGroup[]): void {
  if (!groups.every((g) => g.publicKeys)) return;
  const cells = groups.reduce((n, g) => n * g.publicKeys!.length, 1);
  if (cells > policy.maxGroups) {
    throw new VeilError(
      'VEIL_QUERY_TOO_MANY_GROUPS',
      `grouping by ${groups.map((g) => g.label).join(', ')} gives ${cells} public cells, ` +
        `above the limit ${policy.maxGroups}; group by fewer or coarser keys or add a filter`,
      { path: ['groupBy'] },
    );
  }
}

/** Re-exported where query checks have always found it; the policy schema bounds it too. */
export { MIN_EPSILON };

function refuseTinyEpsilon(epsilon: number): void {
  if (epsilon >= MIN_EPSILON) return;
  throw new VeilError(
    'VEIL_QUERY_EPSILON',
    `epsilon ${epsilon} is below the smallest Veil accepts, ${MIN_EPSILON}; ask for more`,
    { path: ['epsilon'] },
  );
}
