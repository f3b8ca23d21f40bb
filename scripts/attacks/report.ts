/** One printed line of the attack table: Veil's measured figure next to what DP allows. */
export interface AttackFigure {
  attack: string;
  variant: string;
  /** Trials, queries or values the figure is measured over. */
  n: number;
  /** Veil's measured figure (a rate, an error or a fraction). */
  measured: number;
  /** What a correct epsilon-DP system gives at most (or, for errors, at least). */
  reference: number;
  /** How `reference` reads: "<= bound", ">= ideal"... */
  relation: string;
  /**
   * The value Veil's figure is held to (reference plus the margin for a
   * stated false-failure rate), where that differs from `reference`.
   */
  limit?: number;
  /** Whether the figure is within `limit` (or `reference`), false-failure rate in `note`. */
  pass: boolean;
  note: string;
}

/** Three decimals, or a power of ten for bounds too small for them (a p-value's 1e-6). */
const fmt = (x: number) => {
  if (Number.isInteger(x)) return String(x);
  if (Math.abs(x) < 0.001) return x.toExponential(0);
  return x.toFixed(3);
};

/** The figures as an aligned text table, one attack variant a line. */
export function formatTable(figures: AttackFigure[]): string {
  const head = ['attack', 'variant', 'n', 'Veil', 'correct DP', 'limit', 'ok', 'note'];
  const rows = figures.map((f) => [
    f.attack,
    f.variant,
    String(f.n),
    fmt(f.measured),
    `${f.relation} ${fmt(f.reference)}`,
    f.limit === undefined ? '' : fmt(f.limit),
    f.pass ? 'yes' : 'NO',
    f.note,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
