import { gulou, truthCounts, type LabGateway } from './lab.js';
import type { AttackFigure } from './report.js';
import { binomialCritical, membershipBound, seeded } from './stats.js';

/**
 * Membership inference on neighbouring datasets: each trial picks D (with
 * the target) or D' (without) at random, asks questions whose answers
 * isolate the target's cell, and guesses membership from the noise. An
 * epsilon-DP system lets no guess succeed more often than e^eps/(1+e^eps).
 */

export interface DifferencingOptions {
  withTarget: LabGateway;
  withoutTarget: LabGateway;
  trials: number;
  /** Epsilon of each query; trial i adds i * 1e-6 so no trial repeats an earlier question. */
  epsilon: number;
  seed: number;
  /** False-failure rate of the pass mark (binomial tail at the bound). */
  alpha: number;
}

const bands = ['mild', 'moderate', 'severe'];

/** The one (community, severity) cell where D and D' differ, and D's count without the target. */
async function targetCell(o: DifferencingOptions) {
  const d = await truthCounts(o.withTarget.gw, ['community', 'severity']);
  const d2 = await truthCounts(o.withoutTarget.gw, ['community', 'severity']);
  const cells = [...d].filter(([k, n]) => n !== (d2.get(k) ?? 0));
  if (cells.length !== 1 || cells[0]![1] - (d2.get(cells[0]![0]) ?? 0) !== 2) {
    throw new Error("D and D' must differ by two rows in one cell");
  }
  const [community, severity] = cells[0]![0].split('|') as [string, string];
  return { community, severity, without: d2.get(cells[0]![0]) ?? 0 };
}

type Cell = Awaited<ReturnType<typeof targetCell>>;

function countIn(json: any, cell: Partial<Cell>): number {
  const row = json.rows.find(
    (r: Record<string, unknown>) =>
      r.community === cell.community &&
      (cell.severity === undefined || r.severity === cell.severity),
  );
  if (!row) throw new Error('the public-key cell is missing from the answer');
  return Number(row.count);
}

async function ask(g: LabGateway, body: Record<string, unknown>): Promise<any> {
  const r = await g.ask({ dataset: gulou, aggregates: [{ fn: 'count' }], ...body });
  if (r.status !== 200) throw new Error(`query refused: ${r.json?.error?.code}`);
  return r.json;
}

/** Tracker: all severities minus the other bands, in the target's community (two queries). */
async function trackerValue(g: LabGateway, cell: Cell, eps: number) {
  const all = await ask(g, { groupBy: ['community'], epsilon: eps });
  const others = bands.filter((b) => b !== cell.severity);
  const rest = await ask(g, {
    groupBy: ['community'],
    filters: [{ column: 'severity', op: 'in', values: others }],
    epsilon: eps,
  });
  const c = { community: cell.community };
  return { value: countIn(all, c) - countIn(rest, c), cached: false };
}

/** Direct: the target's (community, severity) cell in one query. */
async function directValue(g: LabGateway, cell: Cell, eps: number) {
  const j = await ask(g, { groupBy: ['community', 'severity'], epsilon: eps });
  return { value: countIn(j, cell), cached: j.cached !== undefined };
}

type Probe = (
  g: LabGateway,
  cell: Cell,
  eps: number,
) => Promise<{ value: number; cached: boolean }>;

/** Runs `trials` guesses; the guess is "member" when the value passes the midpoint of 0 and 2. */
async function guessRate(o: DifferencingOptions, cell: Cell, probe: Probe, fixedEps: boolean) {
  const rng = seeded(o.seed);
  let correct = 0;
  let cachedAnswers = 0;
  const seen = [new Set<number>(), new Set<number>()];
  for (let i = 0; i < o.trials; i++) {
    const member = rng() < 0.5;
    const eps = fixedEps ? o.epsilon : o.epsilon + (i + 1) * 1e-6;
    const { value, cached } = await probe(member ? o.withTarget : o.withoutTarget, cell, eps);
    if (cached) cachedAnswers++;
    seen[member ? 1 : 0]!.add(value);
    const excess = value - cell.without - 1;
    const guess = excess === 0 ? rng() < 0.5 : excess > 0;
    if (guess === member) correct++;
  }
  const distinct = Math.max(seen[0]!.size, seen[1]!.size);
  return { rate: correct / o.trials, correct, cachedAnswers, distinct };
}

/** The three variants: tracker pair, direct cell, and the direct cell repeated verbatim (cache). */
export async function differencing(o: DifferencingOptions): Promise<AttackFigure[]> {
  const cell = await targetCell(o);
  const maxEps = o.epsilon + o.trials * 1e-6;
  const figure = (
    variant: string,
    eps: number,
    r: { rate: number; correct: number },
    note: string,
  ) => {
    const bound = membershipBound(eps);
    const critical = binomialCritical(o.trials, bound, o.alpha);
    return {
      attack: 'differencing',
      variant,
      n: o.trials,
      measured: r.rate,
      reference: bound,
      relation: '<=',
      pass: r.correct < critical,
      note: `eps/trial ${eps.toFixed(3)}; fail at >= ${critical} right (alpha ${o.alpha}); ${note}`,
    };
  };
  const tracker = await guessRate(o, cell, trackerValue, false);
  const direct = await guessRate(o, cell, directValue, false);
  const repeat = await guessRate({ ...o, seed: o.seed + 1 }, cell, directValue, true);
  const repeatFigure = figure('repeat, same query', o.epsilon, repeat, '');
  repeatFigure.pass = repeat.distinct === 1;
  repeatFigure.note =
    `${repeat.cachedAnswers} of ${o.trials} from the cache, ${repeat.distinct} distinct ` +
    `answer(s) per world: one noise draw, so the rate is 0, 1 or a coin's`;
  return [
    figure('tracker, 2 queries', 2 * maxEps, tracker, 'count(C) - count(C, other bands)'),
    figure('direct, 1 query', maxEps, direct, 'count(C, band)'),
    repeatFigure,
  ];
}
