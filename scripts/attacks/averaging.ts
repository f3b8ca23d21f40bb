import { discreteLaplaceVariance } from '../../src/privacy/discrete-laplace.js';
import { gulou, truthCounts, type LabGateway } from './lab.js';
import type { AttackFigure } from './report.js';

/**
 * Averaging: the same question asked again and again, verbatim and in other
 * spellings, to average the noise away. With the answer cache every
 * spelling gets the first noisy answer (invariant 8), so the mean is no
 * closer than one answer; questions that differ (here, by epsilon) get fresh
 * noise but each costs budget, so the buyer's budget caps the repeats.
 */

const filters = [
  { column: 'location_type', op: 'eq', value: 'residential_community' },
  { column: 'severity', op: 'in', values: ['mild', 'moderate'] },
];
const sqlWhere = [`location_type = 'residential_community'`, `severity IN ('mild', 'moderate')`];

/** One question in six spellings: JSON and SQL, filter order, IN of one, an alias. */
export function spellings(): Record<string, unknown>[] {
  const json = (f: unknown[], alias?: string) => ({
    dataset: gulou,
    groupBy: ['community'],
    aggregates: [{ fn: 'count', ...(alias ? { as: alias } : {}) }],
    filters: f,
    epsilon: 1,
  });
  const sql = (where: string[]) => ({
    sql: `SELECT community, COUNT(*) FROM ${gulou} WHERE ${where.join(' AND ')} GROUP BY community`,
    epsilon: 1,
  });
  const inOfOne = { column: 'location_type', op: 'in', values: ['residential_community'] };
  return [
    json(filters),
    json([...filters].reverse()),
    json([inOfOne, filters[1]]),
    json(filters, 'n'),
    sql(sqlWhere),
    sql([...sqlWhere].reverse()),
  ];
}

const cellsOf = (json: any): Map<string, number> =>
  new Map(json.rows.map((r: any) => [r.community as string, Number(r.count ?? r.n)]));

async function truth(g: LabGateway): Promise<Map<string, number>> {
  const all = await truthCounts(g.gw, ['community', 'location_type', 'severity']);
  const out = new Map<string, number>();
  for (const [k, n] of all) {
    const [c, loc, sev] = k.split('|');
    if (loc === 'residential_community' && sev !== 'severe') out.set(c!, (out.get(c!) ?? 0) + n);
  }
  return out;
}

function meanSquaredError(answers: Map<string, number>[], t: Map<string, number>): number {
  let s = 0;
  for (const c of answers[0]!.keys()) {
    const mean = answers.reduce((a, m) => a + m.get(c)!, 0) / answers.length;
    s += (mean - (t.get(c) ?? 0)) ** 2;
  }
  return s / answers[0]!.size;
}

export interface AveragingOptions {
  gateway: LabGateway;
  /** Buyers, each with the policy's budget, that average fresh answers until refused. */
  rounds: number;
  /** Standard normal quantile of the pass mark (4.75: false failure about 1e-6). */
  z: number;
}

/** Figures: the spellings against the cache, and budget-capped averaging against the ideal. */
export async function averaging(o: AveragingOptions): Promise<AttackFigure[]> {
  const t = await truth(o.gateway);
  const answers: Map<string, number>[] = [];
  let charged = 0;
  const repeats = 5;
  for (let i = 0; i < repeats; i++) {
    for (const body of spellings()) {
      const r = await o.gateway.ask(body, 'speller');
      if (r.status !== 200) throw new Error(`spelling refused: ${r.json?.error?.code}`);
      answers.push(cellsOf(r.json));
      charged += r.json.privacy.epsilon;
    }
  }
  const distinct = new Set(answers.map((a) => JSON.stringify([...a]))).size;
  const single = meanSquaredError([answers[0]!], t);
  const spelled = meanSquaredError(answers, t);
  const capped = await cappedAveraging(o, t);
  return [
    {
      attack: 'averaging',
      variant: `${answers.length} asks, 6 spellings`,
      n: answers.length,
      measured: Math.sqrt(spelled),
      reference: Math.sqrt(single),
      relation: '=',
      pass: distinct === 1 && charged === 1,
      note: `RMSE of the mean vs one answer; ${distinct} distinct answer(s), eps charged ${charged}`,
    },
    capped,
  ];
}

/** Each buyer asks with fresh epsilons (1, 1.000001, ...) until the budget refuses. */
async function cappedAveraging(o: AveragingOptions, t: Map<string, number>): Promise<AttackFigure> {
  let sse = 0;
  let cells = 0;
  let asked = 0;
  let idealMse = 0;
  for (let r = 0; r < o.rounds; r++) {
    const answers: Map<string, number>[] = [];
    let scale = 0;
    for (let i = 0; ; i++) {
      const body = { ...spellings()[0]!, epsilon: 1 + i * 1e-6 };
      const res = await o.gateway.ask(body, `averager-${r}`);
      if (res.status !== 200) break;
      scale = res.json.noise.count.scale;
      answers.push(cellsOf(res.json));
    }
    asked += answers.length;
    const mse = meanSquaredError(answers, t);
    sse += mse * answers[0]!.size;
    cells += answers[0]!.size;
    idealMse += (discreteLaplaceVariance(scale) / answers.length) * answers[0]!.size;
  }
  const measured = sse / cells;
  const ideal = idealMse / cells;
  // Var(Z^2) <= 5 Var(Z)^2 for Laplace noise (and less for its means): the MSE's relative error.
  const low = ideal * (1 - o.z * Math.sqrt(5 / cells));
  return {
    attack: 'averaging',
    variant: `fresh eps, ${o.rounds} buyers`,
    n: asked,
    measured: Math.sqrt(measured),
    reference: Math.sqrt(ideal),
    relation: '>=~',
    limit: Math.sqrt(low),
    pass: measured >= low,
    note: `RMSE of the mean of ${Math.round(asked / o.rounds)} answers per buyer (budget-capped) vs the ideal`,
  };
}
