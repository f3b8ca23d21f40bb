import { VeilError, type ErrorCode } from '../../errors/registry.js';
import type { SqlText, Token } from './text.js';

/**
 * Typed access to the JSON that `json_serialize_sql` returns. The tree's
 * shape belongs to DuckDB and may change between versions, so every read is
 * checked and a surprise becomes a refusal, never a TypeError.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Node = { [key: string]: Json };

export function isNode(v: Json | undefined): v is Node {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A string field, or '' when absent. */
export function str(n: Node, key: string): string {
  const v = n[key];
  return typeof v === 'string' ? v : '';
}

/** An array field, or [] when absent. */
export function list(n: Node, key: string): Json[] {
  const v = n[key];
  return Array.isArray(v) ? v : [];
}

/** The object items of an array field. */
export function nodes(n: Node, key: string): Node[] {
  return list(n, key).filter(isNode);
}

/** An object field, or undefined when absent or null. */
export function child(n: Node, key: string): Node | undefined {
  const v = n[key];
  return isNode(v) ? v : undefined;
}

/** Every object in a subtree, parents first, without recursion (trees can be deep). */
export function* walk(root: Json | undefined): Generator<Node> {
  const stack: Json[] = root === undefined ? [] : [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i -= 1) stack.push(v[i]!);
    } else if (isNode(v)) {
      yield v;
      const values = Object.values(v);
      for (let i = values.length - 1; i >= 0; i -= 1) stack.push(values[i]!);
    }
  }
}

/** True for the names DuckDB gives a column reference, unquoted or not: case does not matter. */
export function sameName(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/**
 * Where things are in the buyer's text. Tree locations are UTF-8 byte
 * offsets, some nodes have none (DuckDB writes 2^64-1), and clauses such as
 * HAVING have no node of their own; this turns all of them into code-point
 * positions.
 */
export class Locator {
  constructor(
    readonly sql: SqlText,
    readonly tokens: readonly Token[],
    /** Position used when nothing better is known: the start of the statement. */
    readonly fallback: number,
  ) {}

  /** Position where a node's text starts: the first location in it or inside it. */
  of(n: Node | undefined): number {
    let best: number | undefined;
    for (const m of walk(n)) {
      const p = this.own(m);
      if (p !== undefined && (best === undefined || p < best)) best = p;
    }
    return best ?? this.fallback;
  }

  /** Position of the first top-level keyword among `words`, else `orElse`. */
  keyword(words: readonly string[], orElse: number): number {
    const t = this.tokens.find((tok) => tok.depth === 0 && words.includes(tok.word ?? ''));
    return t?.start ?? orElse;
  }

  /** Position of the last top-level "(" before `pos`, else `pos`: where a parenthesis opens. */
  openParenBefore(pos: number): number {
    let at = pos;
    for (const t of this.tokens) {
      if (t.start >= pos) break;
      if (t.punct === '(' && t.depth === 0) at = t.start;
    }
    return at;
  }

  /** A refusal at a node's position. */
  refuse(code: ErrorCode, message: string, at: Node | number | undefined): VeilError {
    const position = typeof at === 'number' ? at : this.of(at);
    return new VeilError(code, message, { position });
  }

  /** A node's own location, without looking inside it. */
  own(n: Node | undefined): number | undefined {
    if (!n) return undefined;
    const loc = n.query_location;
    return typeof loc === 'number' ? this.sql.fromByte(loc) : undefined;
  }
}

/** A short name for an expression in messages: a column, a function or the kind of node. */
export function describe(n: Node): string {
  const cls = str(n, 'class');
  if (cls === 'COLUMN_REF') return list(n, 'column_names').join('.');
  const fn = str(n, 'function_name');
  if (fn === 'count_star') return 'COUNT(*)';
  if (cls === 'FUNCTION' && n.is_operator === true) return `an expression with "${fn}"`;
  if (cls === 'FUNCTION' || cls === 'WINDOW') return `${fn}(...)`;
  if (cls === 'CONSTANT') return 'a literal';
  return cls.toLowerCase().replace(/_/g, ' ') || 'this expression';
}

/** A canonical form of an expression, blind to where it was written and how it was aliased. */
export function shape(n: Node): string {
  return JSON.stringify(n, (key, value: Json) =>
    key === 'query_location' || key === 'alias' ? undefined : value,
  );
}
