import { fetch } from 'undici';
import { formatTable } from './table.js';

/** One step of the insurer's session: a title and a query body. */
interface Step {
  title: string;
  body: Record<string, unknown>;
}

const steps: Step[] = [
  {
    title: 'NYC street flooding complaints by borough (public keys: every borough appears)',
    body: {
      dataset: 'nyc311_street_flooding',
      groupBy: ['borough'],
      aggregates: [
        { fn: 'count', as: 'complaints' },
        { fn: 'count_units', as: 'households' },
      ],
    },
  },
  {
    title: 'NYC households complaining, by community board and month (small groups suppressed)',
    body: {
      dataset: 'nyc311_street_flooding',
      groupBy: ['community_board', 'created:month'],
      aggregates: [{ fn: 'count_units', as: 'households' }],
      orderBy: [{ column: 'households', desc: true }],
      epsilon: 2,
    },
  },
  {
    title: 'NYC average hours to close a complaint, by borough',
    body: {
      dataset: 'nyc311_street_flooding',
      groupBy: ['borough'],
      aggregates: [{ fn: 'avg', column: 'hours_to_close', as: 'avg_hours' }, { fn: 'count' }],
      epsilon: 2,
    },
  },
  {
    title: 'Gulou 12345 hotline: severe flooding by community (public list, top 15)',
    body: {
      dataset: 'gulou_flooding',
      groupBy: ['community'],
      aggregates: [{ fn: 'count', as: 'severe_calls' }],
      filters: [{ column: 'severity', op: 'eq', value: 'severe' }],
      orderBy: [{ column: 'severe_calls', desc: true }],
      limit: 15,
    },
  },
  {
    title: 'Gulou 12345 hotline: water depth by street office',
    body: {
      dataset: 'gulou_flooding',
      groupBy: ['street_office'],
      aggregates: [
        { fn: 'count', as: 'calls' },
        { fn: 'avg', column: 'depth_cm' },
      ],
      epsilon: 2,
    },
  },
  {
    title: 'Gulou 12345 hotline: calls by year and severity (SQL)',
    body: {
      sql:
        'SELECT year(called), severity, COUNT(*) AS calls ' +
        'FROM gulou_flooding GROUP BY ALL ORDER BY 1, 2',
    },
  },
];

const refused: Step = {
  title: 'A query that asks for an identifier is refused, and costs nothing',
  body: {
    dataset: 'nyc311_street_flooding',
    groupBy: ['incident_address'],
    aggregates: [{ fn: 'count' }],
  },
};

type Json = Record<string, unknown>;

async function call(url: string, token: string, path: string, body?: Json) {
  const res = await fetch(`${url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { 'content-type': 'application/json' } : {}),
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Json };
}

/** Describes an answer's cost and noise in one line. */
function costLine(json: Json): string {
  const privacy = json.privacy as Json;
  const noise = Object.entries(json.noise as Record<string, { scale: number }>)
    .map(([alias, n]) => `${alias} ${n.scale.toFixed(2)}`)
    .join(', ');
  return (
    `epsilon ${privacy.epsilon}, delta ${privacy.delta}; noise scale ${noise}; ` +
    `groups released ${privacy.groupsReleased}\n`
  );
}

/** Plays the session against a gateway, writing readable tables to `out`. */
export async function playSession(url: string, token: string, out: (s: string) => void) {
  for (const step of steps) {
    const { status, json } = await call(url, token, '/v1/query', step.body);
    out(`\n== ${step.title}\n`);
    if (status !== 200) {
      out(`refused (${status}): ${JSON.stringify(json.error)}\n`);
      continue;
    }
    const rows = json.rows as Json[];
    const header = rows.length ? Object.keys(rows[0]!) : [];
    out(
      rows.length
        ? formatTable(
            header,
            rows.map((r) => header.map((h) => r[h])),
          )
        : '(no group released)\n',
    );
    out(costLine(json));
  }
  const r = await call(url, token, '/v1/query', refused.body);
  const err = r.json.error as Json;
  out(`\n== ${refused.title}\nHTTP ${r.status} ${err.code}: ${err.message}\n`);
  const b = await call(url, token, '/v1/budget');
  const budgets = (b.json.budgets as Json[]).map((x) => [
    x.dataset,
    x.period,
    x.epsilonSpent,
    x.epsilonLimit,
    Number(x.epsilonLimit) - Number(x.epsilonSpent),
  ]);
  out('\n== Budget left\n');
  out(formatTable(['dataset', 'period', 'epsilon spent', 'limit', 'left'], budgets));
}
