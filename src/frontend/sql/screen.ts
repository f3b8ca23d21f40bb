import type { VeilError } from '../../errors/registry.js';
import type { LoadedPolicy } from '../../policy/load.js';
import { datasetId, notPlainSelect, outsideCalls, sourceProblems } from './reach.js';
import { Scope } from './scope.js';
import { child, describe, list, nodes, str, walk, type Locator, type Node } from './tree.js';

/**
 * Screens a parsed statement before it is translated, in tiers: first
 * whatever reaches beyond the one dataset table (reach.ts), then constructs
 * outside the subset (SELECT *, windows, HAVING, DISTINCT, OFFSET, sampling,
 * grouping sets, parameters), then identifier columns. Within a tier the
 * refusal earliest in the text wins, so the reported position is the first
 * thing the buyer has to change.
 */
export function screen(
  loc: Locator,
  statement: Node,
  policies: ReadonlyMap<string, LoadedPolicy>,
  end: number,
): { scope: Scope; select: Node } {
  const select = child(statement, 'node') ?? {};
  if (str(select, 'type') !== 'SELECT_NODE') throw notPlainSelect(loc, select);
  const table = child(select, 'from_table') ?? {};
  throwEarliest([...outsideCalls(loc, select), ...sourceProblems(loc, table, policies, end)]);
  throwEarliest(subsetProblems(loc, select, table));
  const policy = policies.get(datasetId(policies, str(table, 'table_name')) ?? '');
  if (!policy) throw loc.refuse('VEIL_SQL_UNKNOWN_TABLE', 'select FROM one dataset', table);
  const names = [str(table, 'table_name'), str(table, 'alias')].filter(Boolean);
  const scope = new Scope(loc, policy, names);
  throwEarliest(identifierUses(scope, select));
  return { scope, select };
}

/** The dataset a statement's FROM clause names, if it names one the policies know. */
export function namedDataset(
  statement: Node,
  policies: ReadonlyMap<string, LoadedPolicy>,
): string | undefined {
  const table = child(child(statement, 'node') ?? {}, 'from_table') ?? {};
  return datasetId(policies, str(table, 'table_name'));
}

function throwEarliest(errors: VeilError[]): void {
  let best: VeilError | undefined;
  for (const e of errors) {
    if (!best || (e.detail.position ?? 0) < (best.detail.position ?? 0)) best = e;
  }
  if (best) throw best;
}

type Report = (message: string, at: number) => void;

/** Constructs outside the subset that need no policy to spot. */
function subsetProblems(loc: Locator, select: Node, table: Node): VeilError[] {
  const out: VeilError[] = [];
  const unsupported: Report = (message, at) =>
    out.push(loc.refuse('VEIL_SQL_UNSUPPORTED', message, at));
  for (const item of nodes(select, 'select_list')) {
    if (str(item, 'class') === 'STAR') {
      const message =
        'SELECT * would release rows; select dimensions and aggregates, ' +
        'e.g. SELECT borough, COUNT(*) ... GROUP BY borough';
      out.push(loc.refuse('VEIL_SQL_SELECT_STAR', message, item));
    }
  }
  expressionProblems(loc, select, unsupported);
  const having = child(select, 'having');
  if (having) {
    const message =
      'HAVING is not supported: it would filter on noisy values; ' +
      'drop it and filter the answer rows yourself';
    out.push(loc.refuse('VEIL_SQL_HAVING', message, loc.keyword(['HAVING'], loc.of(having))));
  }
  clauseProblems(loc, select, table, unsupported);
  for (const m of nodes(select, 'modifiers')) modifierProblems(loc, m, unsupported);
  return out;
}

/** Window functions and query parameters, wherever they are. */
function expressionProblems(loc: Locator, select: Node, unsupported: Report): void {
  for (const n of walk(select)) {
    const cls = str(n, 'class');
    if (cls === 'PARAMETER') {
      unsupported(
        'query parameters ($1, ?) are not supported; write the values as literals',
        parameterPosition(loc),
      );
    } else if (cls === 'WINDOW') {
      unsupported(
        `${describe(n)} OVER (...) is a window function, which is not supported; ` +
          'aggregate with GROUP BY',
        loc.of(n),
      );
    }
  }
}

/** QUALIFY, sampling, grouping sets and unusual GROUP BY forms. */
function clauseProblems(loc: Locator, select: Node, table: Node, unsupported: Report): void {
  const qualify = child(select, 'qualify');
  if (qualify) {
    unsupported('QUALIFY is not supported; drop it', loc.keyword(['QUALIFY'], loc.of(qualify)));
  }
  if (child(select, 'sample') || child(table, 'sample')) {
    unsupported(
      'sampling (USING SAMPLE, TABLESAMPLE) is not supported; Veil answers from all rows',
      loc.keyword(['USING', 'TABLESAMPLE'], loc.of(table)),
    );
  }
  if (list(select, 'group_sets').length > 1) {
    unsupported(
      'GROUPING SETS, ROLLUP and CUBE are not supported; send one query per grouping',
      loc.keyword(['GROUPING', 'ROLLUP', 'CUBE'], loc.of(nodes(select, 'group_expressions')[0])),
    );
  }
  const handling = str(select, 'aggregate_handling');
  if (handling !== 'STANDARD_HANDLING' && handling !== 'FORCE_AGGREGATES') {
    unsupported('this form of GROUP BY is not supported; list the dimensions', loc.fallback);
  }
}

/** Parameters have no location in the tree; the first `$1`, `$name` or `?` token is theirs. */
function parameterPosition(loc: Locator): number {
  const t = loc.tokens.find(
    (tok) => tok.punct === '?' || /^\$[A-Za-z0-9_]/.test(loc.sql.slice(tok.start, tok.start + 2)),
  );
  return t?.start ?? loc.fallback;
}

/** DISTINCT, OFFSET, LIMIT n% and any modifier other than ORDER BY and LIMIT. */
function modifierProblems(loc: Locator, m: Node, unsupported: Report): void {
  const type = str(m, 'type');
  if (type === 'DISTINCT_MODIFIER') {
    unsupported(
      'SELECT DISTINCT (and DISTINCT ON) is not supported; GROUP BY the dimensions instead',
      loc.keyword(['DISTINCT'], loc.fallback),
    );
  } else if (type === 'LIMIT_PERCENT_MODIFIER') {
    unsupported(
      'LIMIT with a percentage is not supported; write LIMIT n',
      loc.keyword(['LIMIT'], loc.fallback),
    );
  } else if (type === 'LIMIT_MODIFIER' && child(m, 'offset')) {
    unsupported(
      'OFFSET is not supported; use LIMIT alone',
      loc.keyword(['OFFSET'], loc.of(child(m, 'offset'))),
    );
  } else if (type !== 'LIMIT_MODIFIER' && type !== 'ORDER_MODIFIER') {
    unsupported('this clause is not supported; use ORDER BY and LIMIT only', loc.of(m));
  }
}

/** Every mention of an identifier column, wherever it is. */
function identifierUses(scope: Scope, select: Node): VeilError[] {
  const out: VeilError[] = [];
  for (const n of walk(select)) {
    if (str(n, 'class') !== 'COLUMN_REF') continue;
    const hit = scope.columnParts(n).find((part) => scope.isIdentifier(part));
    if (hit !== undefined) out.push(scope.identifierError(hit, n));
  }
  return out;
}
