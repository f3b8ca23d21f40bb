import { VeilError, isVeilError } from '../../errors/registry.js';
import { checkQuery } from '../../policy/check.js';
import type { LoadedPolicy } from '../../policy/load.js';
import type { CheckedQuery } from '../../query/checked.js';
import { parseSql } from './parse.js';
import { namedDataset, screen } from './screen.js';
import { statementSpans } from './text.js';
import { positionOf, translate, type Translation } from './translate.js';
import { Locator } from './tree.js';

/**
 * The SQL front end: buyer SQL in, the same checked query the JSON front
 * end produces out, so both share the policy, rewrite and privacy stages.
 * Every refusal is a VeilError whose `detail.position` is a 0-based offset
 * into the SQL text, counted in Unicode code points (docs/sql.md).
 */

export { closeSqlParser, maxSqlLength } from './parse.js';
export { hardenedDuckDbOptions, parserDuckDbOptions } from './hardening.js';
export type { Positions, Translation } from './translate.js';

/** Options the HTTP body carries beside the SQL text. */
export interface SqlQueryOptions {
  /** Epsilon for this query; the policy default when absent. */
  epsilon?: number;
  /** Ask for the row of suppressed groups, as the JSON body's `"other": true`. */
  other?: boolean;
}

/**
 * Parses and translates SQL into a QueryRequest without the policy check,
 * with the text position of each request part. Golden tests pin this down.
 */
export async function sqlToRequest(
  sql: string,
  policies: ReadonlyMap<string, LoadedPolicy>,
  opts: SqlQueryOptions = {},
): Promise<Translation> {
  const { sql: text, tokens, statement } = await parseSql(sql);
  const span = statementSpans(tokens)[0];
  const loc = new Locator(text, tokens, span?.start ?? 0);
  try {
    const { scope, select } = screen(loc, statement, policies, span?.end ?? text.length);
    return translate(scope, select, opts.epsilon);
  } catch (err) {
    if (isVeilError(err)) err.dataset ??= namedDataset(statement, policies);
    throw err;
  }
}

/**
 * Parses, translates and checks buyer SQL against the dataset's policy.
 * Throws only VeilError; refusals about the SQL text carry `position`, the
 * ones about the body's epsilon and other carry `path: ['epsilon']` or
 * `path: ['other']` instead.
 */
export async function sqlToChecked(
  sql: string,
  policies: ReadonlyMap<string, LoadedPolicy>,
  opts: SqlQueryOptions = {},
): Promise<CheckedQuery> {
  const { request, positions } = await sqlToRequest(sql, policies, opts);
  try {
    return checkQuery(opts.other === true ? { ...request, other: true } : request, policies);
  } catch (err) {
    if (!isVeilError(err)) throw err;
    err.dataset ??= request.dataset;
    if (err.detail.position !== undefined) throw err;
    const position = positionOf(positions, err.detail.path);
    if (position === undefined) throw err;
    const placed = new VeilError(err.code, err.message, { ...err.detail, position });
    placed.dataset = err.dataset;
    throw placed;
  }
}
