import { gulou, type LabGateway } from './lab.js';
import type { AttackFigure } from './report.js';
import { chiSquareTail, chiSquareUniform } from './stats.js';

/**
 * Precision probe: every released count must be an integer and every sum a
 * multiple of its measure's granularity, printed with no more decimals than
 * the granularity has; digits beyond the grid are where floating-point
 * noise leaks the true value (Mironov 2012). The last grid digit of values
 * with wide noise must also look uniform.
 */

const measures = [
  { column: 'depth_cm', granularity: 1 },
  { column: 'flood_hours', granularity: 0.1 },
];

function decimals(g: number): number {
  return (String(g).split('.')[1] ?? '').length;
}

/** True when `v` is a grid multiple and prints without digits past the grid. */
function onGrid(v: number, g: number): boolean {
  const steps = v / g;
  const printed = (String(v).split('.')[1] ?? '').length;
  return (
    Math.abs(steps - Math.round(steps)) < 1e-6 && printed <= decimals(g) && !/e/i.test(String(v))
  );
}

export interface PrecisionOptions {
  gateway: LabGateway;
  queries: number;
  /** False-failure rate of the uniformity check. */
  alpha: number;
}

export async function precision(o: PrecisionOptions): Promise<AttackFigure[]> {
  let values = 0;
  let extra = 0;
  const digits = new Array<number>(10).fill(0);
  for (let i = 0; i < o.queries; i++) {
    const r = await o.gateway.ask(
      {
        dataset: gulou,
        groupBy: ['community'],
        aggregates: [
          { fn: 'count' },
          ...measures.map((m) => ({ fn: 'sum', column: m.column, as: m.column })),
        ],
        epsilon: 0.1 + (i + 1) * 1e-6,
      },
      'prober',
    );
    if (r.status !== 200) throw new Error(`probe refused: ${r.json?.error?.code}`);
    for (const row of r.json.rows) {
      const cells = [{ v: Number(row.count), g: 1 }].concat(
        measures.map((m) => ({ v: row[m.column] as number, g: m.granularity })),
      );
      for (const { v, g } of cells) {
        values++;
        if (!onGrid(v, g)) extra++;
        digits[Math.abs(Math.round(v / g)) % 10]!++;
      }
    }
  }
  const chi = chiSquareUniform(digits);
  const p = chiSquareTail(chi, 9);
  return [
    {
      attack: 'precision',
      variant: 'digits beyond the grid',
      n: values,
      measured: extra / values,
      reference: 0,
      relation: '=',
      pass: extra === 0,
      note: 'counts integers; sums multiples of 1 cm and 0.1 h',
    },
    {
      attack: 'precision',
      variant: 'last grid digit uniform',
      n: values,
      measured: p,
      reference: o.alpha,
      relation: '>',
      pass: p > o.alpha,
      note: `chi-square ${chi.toFixed(1)} on 9 df (p-value shown)`,
    },
  ];
}
