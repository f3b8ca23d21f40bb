import stringWidth from 'string-width';

/**
 * Formats rows as a plain text table with a header rule; numbers right-aligned.
 * Small enough not to need a dependency, and the demo's output is its product.
 */
export function formatTable(header: string[], rows: unknown[][]): string {
  const cells = rows.map((r) => r.map(show));
  const widths = header.map((h, i) =>
    Math.max(stringWidth(h), ...cells.map((r) => stringWidth(r[i]!))),
  );
  const numeric = header.map(
    (_h, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => pad(c, widths[i]!, numeric[i]!))
      .join('  ')
      .trimEnd();
  return (
    [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n') +
    '\n'
  );
}

/** Pads to a display width (CJK characters take two columns). */
function pad(text: string, width: number, right: boolean): string {
  const fill = ' '.repeat(Math.max(0, width - stringWidth(text)));
  return right ? fill + text : text + fill;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return '(null)';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}
