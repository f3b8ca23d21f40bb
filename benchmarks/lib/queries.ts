import type { QueryRequest } from '../../src/query/request.js';

/**
 * The four buyer questions the in-process benchmark asks, each as Veil's
 * JSON request and as the plain DuckDB aggregation a buyer with direct
 * access would run (no rank filter, no noise, no thresholding).
 */
export interface BenchQuery {
  name: string;
  request: Omit<QueryRequest, 'epsilon'>;
  rawSql: string;
  rawParams: string[];
}

const dataset = 'gulou_flooding';

/** The questions, in the order they are reported. */
export const benchQueries: BenchQuery[] = [
  {
    name: 'count by community',
    request: { dataset, groupBy: ['community'], aggregates: [{ fn: 'count' }], filters: [] },
    rawSql: 'SELECT community, count(*) FROM gulou_flooding GROUP BY community',
    rawParams: [],
  },
  {
    name: 'distinct units by community and month',
    request: {
      dataset,
      groupBy: ['community', 'called:month'],
      aggregates: [{ fn: 'count_units' }],
      filters: [],
    },
    rawSql: `SELECT community, called_month, count(DISTINCT unit_id)
      FROM gulou_flooding GROUP BY community, called_month`,
    rawParams: [],
  },
  {
    name: 'avg depth by street office and severity',
    request: {
      dataset,
      groupBy: ['street_office', 'severity'],
      aggregates: [{ fn: 'avg', column: 'depth_cm' }],
      filters: [],
    },
    rawSql: `SELECT street_office, severity, avg(depth_cm)
      FROM gulou_flooding GROUP BY street_office, severity`,
    rawParams: [],
  },
  {
    name: 'filtered count',
    request: {
      dataset,
      groupBy: [],
      aggregates: [{ fn: 'count' }],
      filters: [
        { column: 'severity', op: 'eq', value: 'severe' },
        { column: 'called:year', op: 'eq', value: '2020' },
      ],
    },
    rawSql: 'SELECT count(*) FROM gulou_flooding WHERE severity = $1 AND called_year = $2',
    rawParams: ['severe', '2020'],
  },
];
