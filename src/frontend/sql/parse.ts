import {
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBPreparedStatement,
} from '@duckdb/node-api';
import { VeilError } from '../../errors/registry.js';
import { parserDuckDbOptions } from './hardening.js';
import { SqlText, statementSpans, tokenize, type Token } from './text.js';
import { isNode, nodes, str, walk, type Json, type Node } from './tree.js';

/**
 * Parses buyer SQL with DuckDB's own parser, so the accepted dialect is
 * exactly the enclave's. The text is a bound parameter of
 * `json_serialize_sql` on an in-memory instance that holds no data, so it is
 * parsed, never run.
 */

/** Longest SQL text accepted, in code points; a real query is far shorter. */
export const maxSqlLength = 100_000;

interface Parser {
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  statement: DuckDBPreparedStatement;
}

let parser: Promise<Parser> | undefined;
let queue: Promise<unknown> = Promise.resolve();

async function openParser(): Promise<Parser> {
  const instance = await DuckDBInstance.create(':memory:', { ...parserDuckDbOptions });
  const connection = await instance.connect();
  const statement = await connection.prepare('SELECT json_serialize_sql($1::VARCHAR)');
  return { instance, connection, statement };
}

/** The shared parser, opened on first use; a failed open is retried by the next call. */
function sharedParser(): Promise<Parser> {
  parser ??= openParser().catch((err: unknown) => {
    parser = undefined;
    throw err;
  });
  return parser;
}

/** Runs one parse at a time: the prepared statement and its bindings are shared. */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

/**
 * The answer of `json_serialize_sql` for a text, or undefined when DuckDB
 * answered with no readable JSON (it does so when its error message would
 * cut a long name in the middle of a character).
 */
async function serialize(text: string): Promise<Node | undefined> {
  let value: unknown;
  try {
    value = await exclusive(async () => {
      const { statement } = await sharedParser();
      statement.bindVarchar(1, text);
      const reader = await statement.runAndReadAll();
      return reader.getRows()[0]?.[0];
    });
  } catch {
    throw new VeilError('VEIL_INTERNAL', 'the SQL parser is unavailable; try again later');
  }
  try {
    const out = typeof value === 'string' ? (JSON.parse(value) as Json) : null;
    return isNode(out) ? out : undefined;
  } catch {
    return undefined;
  }
}

/** Closes the shared parser (at shutdown); the next parse opens a new one. */
export async function closeSqlParser(): Promise<void> {
  const open = parser;
  parser = undefined;
  if (!open) return;
  await exclusive(async () => {
    const p = await open.catch(() => undefined);
    p?.statement.destroySync();
    p?.connection.closeSync();
    p?.instance.closeSync();
  });
}

/** A parsed text: its one statement's tree, the text it came from and the text's tokens. */
export interface ParsedSql {
  sql: SqlText;
  tokens: Token[];
  statement: Node;
}

/**
 * Parses a text that must hold exactly one statement, which must be a query.
 * Refuses with VEIL_SQL_PARSE (with DuckDB's message and position),
 * VEIL_SQL_NOT_SELECT or VEIL_SQL_MULTIPLE_STATEMENTS.
 */
export async function parseSql(text: string): Promise<ParsedSql> {
  checkRawText(text);
  const sql = new SqlText(text);
  if (sql.length > maxSqlLength) {
    throw new VeilError(
      'VEIL_SQL_TOO_LONG',
      `the SQL text is ${sql.length} characters long; send at most ${maxSqlLength}`,
      { length: sql.length, limit: maxSqlLength, position: maxSqlLength },
    );
  }
  const out = await serialize(text);
  if (!out) {
    throw new VeilError(
      'VEIL_SQL_PARSE',
      'the SQL does not parse; look for an overlong name or a stray character',
      { position: 0 },
    );
  }
  if (out.error === true) throw await parseError(sql, out);
  const statements = nodes(out, 'statements');
  const tokens = tokenize(sql.chars);
  const spans = statementSpans(tokens);
  if (statements.length === 0) {
    throw new VeilError('VEIL_SQL_PARSE', 'the text holds no statement; send one SELECT query', {
      position: 0,
    });
  }
  if (statements.length > 1) {
    const second = spans.length === statements.length ? spans[1]!.start : undefined;
    throw new VeilError(
      'VEIL_SQL_MULTIPLE_STATEMENTS',
      'the text holds more than one statement; send one SELECT query with no ";" after it',
      { position: second ?? firstPosition(sql, statements[1]!) },
    );
  }
  return { sql, tokens, statement: statements[0]! };
}

/** Characters DuckDB would read differently from JavaScript are refused before parsing. */
function checkRawText(text: string): void {
  const bad = /[\u0000]|\p{Surrogate}/u.exec(text);
  if (bad) {
    const position = Array.from(text.slice(0, bad.index)).length;
    throw new VeilError(
      'VEIL_SQL_PARSE',
      `the text holds a NUL character or a broken UTF-16 surrogate at position ${position}; ` +
        'remove it',
      { position },
    );
  }
}

/** Earliest location in a statement tree, in code points. */
function firstPosition(sql: SqlText, tree: Node): number {
  let best = sql.length;
  for (const n of walk(tree)) {
    const loc = n.query_location;
    const p = typeof loc === 'number' ? sql.fromByte(loc) : undefined;
    if (p !== undefined && p < best) best = p;
  }
  return best;
}

const notSelect = 'Only SELECT statements can be serialized';

/** Turns a parser error into a refusal; DuckDB's message quotes only the buyer's own text. */
async function parseError(sql: SqlText, out: Node): Promise<VeilError> {
  const message = str(out, 'error_message');
  if (message.startsWith(notSelect)) return notSelectError(sql);
  const raw = Number(str(out, 'position') || Number.NaN);
  const position = Number.isInteger(raw) && raw >= 0 && raw <= sql.length ? raw : 0;
  if (/^(max expression depth|memory exhausted)/i.test(message)) {
    return new VeilError(
      'VEIL_SQL_PARSE',
      'the query nests expressions or parentheses too deeply; write a flatter query',
      { position },
    );
  }
  const said =
    shorten(message.replace(/\s+/g, ' ').trim().replace(/[.!]$/, '')) || 'it does not parse';
  return new VeilError(
    'VEIL_SQL_PARSE',
    `the SQL does not parse (${said}); correct the text at position ${position}`,
    { position },
  );
}

/** DuckDB quotes the text near an error; a long quote is cut so that messages stay readable. */
function shorten(message: string): string {
  const chars = Array.from(message);
  return chars.length <= 200 ? message : `${chars.slice(0, 200).join('')}...`;
}

/** How many statements are parsed one by one to find the one that is not a query. */
const maxStatementsProbed = 100;

/** Finds the statement that is not a query by parsing each `;`-separated piece alone. */
async function notSelectError(sql: SqlText): Promise<VeilError> {
  const spans = statementSpans(tokenize(sql.chars)).slice(0, maxStatementsProbed);
  for (const span of spans) {
    const out = await serialize(sql.slice(span.start, span.end));
    if (out?.error === true && str(out, 'error_message').startsWith(notSelect)) {
      const what = span.firstWord && /^[A-Z]+$/.test(span.firstWord) ? `${span.firstWord} ` : '';
      return new VeilError(
        'VEIL_SQL_NOT_SELECT',
        `${what}statements are not accepted; send one SELECT query over a dataset`,
        { position: span.start },
      );
    }
  }
  return new VeilError(
    'VEIL_SQL_NOT_SELECT',
    'the text holds a statement that is not a SELECT; send one SELECT query over a dataset',
    { position: spans[0]?.start ?? 0 },
  );
}
