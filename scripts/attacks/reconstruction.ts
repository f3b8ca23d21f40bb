import { sampleDiscreteLaplace, toRational } from '../../src/privacy/discrete-laplace.js';
import { seededSource } from '../../src/privacy/random.js';
import { gulou, truthCounts, type LabGateway } from './lab.js';
import type { AttackFigure } from './report.js';
import { leastSquares, seeded } from './stats.js';

/**
 * Reconstruction in the manner of Dinur and Nissim: many counts over random
 * subsets of the public community list, within one buyer's budget, solved
 * by least squares for every community's count. Veil's recovery is compared
 * with the same attack on an ideal mechanism (true counts plus discrete
 * Laplace noise of the scale Veil reported); without noise it is exact.
 */

export interface ReconstructionOptions {
  gateway: LabGateway;
  /** Subset queries to ask; each gets budget / queries, so the last may be refused. */
  queries: number;
  budget: number;
  seed: number;
  /** Ideal-mechanism repetitions for the reference figures. */
  simulations: number;
  z: number;
}

/** Rounds the least-squares solution; fraction of cells exact and mean absolute error. */
function score(a: number[][], y: number[], truth: number[]) {
  const x = leastSquares(a, y).map((v) => Math.max(0, Math.round(v)));
  const exact = x.filter((v, i) => v === truth[i]).length / truth.length;
  const mae = x.reduce((s, v, i) => s + Math.abs(v - truth[i]!), 0) / truth.length;
  return { exact, mae };
}

export async function reconstruction(o: ReconstructionOptions): Promise<AttackFigure[]> {
  const t = await truthCounts(o.gateway.gw, ['community']);
  const communities = await publicCommunities(o.gateway);
  const truth = communities.map((c) => t.get(c) ?? 0);
  const rng = seeded(o.seed);
  const eps = Math.floor((o.budget / o.queries) * 1e6) / 1e6;
  const a: number[][] = [];
  const y: number[] = [];
  let scale = 0;
  for (let q = 0; q < o.queries; q++) {
    const row = communities.map(() => (rng() < 0.5 ? 1 : 0));
    const values = communities.filter((_, i) => row[i] === 1);
    if (values.length === 0) continue;
    const r = await o.gateway.ask(
      {
        dataset: gulou,
        groupBy: ['location_type'],
        aggregates: [{ fn: 'count' }],
        filters: [{ column: 'community', op: 'in', values }],
        epsilon: eps,
      },
      'reconstructor',
    );
    if (r.status !== 200) break;
    scale = r.json.noise.count.scale;
    a.push(row);
    y.push(r.json.rows.reduce((s: number, x: any) => s + Number(x.count), 0));
  }
  const veil = score(a, y, truth);
  const ideal = simulate(a, truth, scale, o.simulations);
  const cells = truth.length;
  const margin = o.z * Math.sqrt((ideal.exact * (1 - ideal.exact)) / cells) + 1 / cells;
  const note = `${a.length} subset counts at eps ${eps}, noise scale ${scale.toFixed(1)} (x2 cells)`;
  return [
    {
      attack: 'reconstruction',
      variant: `${cells} community counts exact`,
      n: cells,
      measured: veil.exact,
      reference: ideal.exact,
      relation: '<=~',
      limit: ideal.exact + margin,
      pass: veil.exact <= ideal.exact + margin,
      note: `${note}; ideal-mechanism mean of ${o.simulations}; without noise 1.000`,
    },
    {
      attack: 'reconstruction',
      variant: 'mean absolute error',
      n: cells,
      measured: veil.mae,
      reference: ideal.mae,
      relation: '>=~',
      limit: ideal.mae - o.z * ideal.maeSd,
      pass: veil.mae >= ideal.mae - o.z * ideal.maeSd,
      note:
        'per community, rounded least squares: no smaller than the ideal mechanism at the ' +
        `same scale, less z = ${o.z} of its spread over ${o.simulations} simulations`,
    },
  ];
}

/** The same design against true counts plus discrete Laplace noise of each location cell. */
function simulate(a: number[][], truth: number[], scale: number, reps: number) {
  const random = seededSource('attack-reconstruction-ideal');
  const b = toRational(scale, 'up');
  let exact = 0;
  let mae = 0;
  const maes: number[] = [];
  for (let s = 0; s < reps; s++) {
    const y = a.map(
      (row) =>
        row.reduce((acc, v, i) => acc + v * truth[i]!, 0) +
        Number(sampleDiscreteLaplace(b, random)) +
        Number(sampleDiscreteLaplace(b, random)),
    );
    const r = score(a, y, truth);
    exact += r.exact / reps;
    mae += r.mae / reps;
    maes.push(r.mae);
  }
  const variance = maes.reduce((acc, m) => acc + (m - mae) ** 2, 0) / Math.max(1, reps - 1);
  return { exact, mae, maeSd: Math.sqrt(variance) };
}

/** The community keys as the gateway releases them (its public list, in answer order). */
async function publicCommunities(g: LabGateway): Promise<string[]> {
  const r = await g.ask(
    { dataset: gulou, groupBy: ['community'], aggregates: [{ fn: 'count' }], epsilon: 0.001 },
    'catalogue-reader',
  );
  return r.json.rows.map((x: any) => x.community as string);
}
