/**
 * The buyer's SQL text, seen as Unicode code points. Every position Veil
 * reports counts code points from 0, the unit DuckDB's own parser errors use;
 * DuckDB's parse tree counts UTF-8 bytes, so tree locations are converted here.
 */
export class SqlText {
  readonly chars: readonly string[];
  /** `byteStarts[i]`: UTF-8 byte offset of code point i; the last entry is the byte length. */
  private readonly byteStarts: Int32Array;

  constructor(readonly text: string) {
    this.chars = Array.from(text);
    this.byteStarts = new Int32Array(this.chars.length + 1);
    let bytes = 0;
    this.chars.forEach((ch, i) => {
      this.byteStarts[i] = bytes;
      bytes += Buffer.byteLength(ch, 'utf8');
    });
    this.byteStarts[this.chars.length] = bytes;
  }

  get length(): number {
    return this.chars.length;
  }

  /** Code-point offset of a UTF-8 byte offset, or undefined when it is outside the text. */
  fromByte(byte: number): number | undefined {
    if (!Number.isInteger(byte) || byte < 0 || byte > this.byteStarts[this.chars.length]!) {
      return undefined;
    }
    let lo = 0;
    let hi = this.chars.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.byteStarts[mid]! <= byte) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The code points in `[start, end)` as a string. */
  slice(start: number, end?: number): string {
    return this.chars.slice(start, end).join('');
  }
}

/** One lexical token: where it is, its paren depth, and for a bare word its upper-case form. */
export interface Token {
  start: number;
  end: number;
  /** Upper-cased text of an unquoted word (keyword or identifier), else undefined. */
  word: string | undefined;
  /** The character of a punctuation token, else undefined. */
  punct: string | undefined;
  /** Open parentheses before the token. */
  depth: number;
}

const wordStart = /[A-Za-z_\u0080-\u{10FFFF}]/u;
const wordPart = /[A-Za-z0-9_$\u0080-\u{10FFFF}]/u;

/**
 * Splits SQL text into tokens, skipping blanks, comments, string literals
 * and quoted names. It only locates keywords for error positions (DuckDB's
 * parse tree has no location for HAVING, UNION, OFFSET and the like) and
 * never decides what is accepted, so an odd corner it misreads can only
 * move a reported position.
 */
export function tokenize(chars: readonly string[]): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  const n = chars.length;
  const push = (start: number, end: number, word?: string, punct?: string) =>
    tokens.push({ start, end, word, punct, depth });
  while (i < n) {
    const c = chars[i]!;
    const next = chars[i + 1];
    if (/\s/u.test(c)) {
      i += 1;
    } else if (c === '-' && next === '-') {
      while (i < n && chars[i] !== '\n') i += 1;
    } else if (c === '/' && next === '*') {
      i = skipBlockComment(chars, i);
    } else if (c === "'") {
      const end = skipQuoted(chars, i, "'", false);
      push(i, end);
      i = end;
    } else if (c === '"') {
      const end = skipQuoted(chars, i, '"', false);
      push(i, end);
      i = end;
    } else if (c === '$' && next !== undefined && /[0-9]/.test(next)) {
      const end = skipWhile(chars, i + 1, /[0-9]/);
      push(i, end);
      i = end;
    } else if (c === '$') {
      const end = skipDollarQuoted(chars, i);
      push(i, end, undefined, end === i + 1 ? '$' : undefined);
      i = end;
    } else if (wordStart.test(c)) {
      const end = skipWhile(chars, i, wordPart);
      const word = chars.slice(i, end).join('');
      if (chars[end] === "'" && /^[EeXxBb]$/.test(word)) {
        const close = skipQuoted(chars, end, "'", word === 'E' || word === 'e');
        push(i, close);
        i = close;
      } else {
        push(i, end, word.toUpperCase());
        i = end;
      }
    } else if (/[0-9.]/.test(c)) {
      const end = Math.max(skipWhile(chars, i, /[0-9._eE]/), i + 1);
      push(i, end, undefined, end === i + 1 && c === '.' ? '.' : undefined);
      i = end;
    } else {
      if (c === ')') depth = Math.max(0, depth - 1);
      push(i, i + 1, undefined, c);
      if (c === '(') depth += 1;
      i += 1;
    }
  }
  return tokens;
}

function skipWhile(chars: readonly string[], from: number, re: RegExp): number {
  let i = from;
  while (i < chars.length && re.test(chars[i]!)) i += 1;
  return i;
}

/** End of a quoted run starting at `from`; a doubled quote (or a backslash, in E'') escapes. */
function skipQuoted(chars: readonly string[], from: number, quote: string, backslash: boolean) {
  let i = from + 1;
  while (i < chars.length) {
    const c = chars[i]!;
    if (backslash && c === '\\') {
      i += 2;
    } else if (c === quote && chars[i + 1] === quote) {
      i += 2;
    } else if (c === quote) {
      return i + 1;
    } else {
      i += 1;
    }
  }
  return chars.length;
}

/** End of a block comment; block comments nest, as in PostgreSQL's grammar that DuckDB uses. */
function skipBlockComment(chars: readonly string[], from: number): number {
  let level = 0;
  let i = from;
  while (i < chars.length) {
    if (chars[i] === '/' && chars[i + 1] === '*') {
      level += 1;
      i += 2;
    } else if (chars[i] === '*' && chars[i + 1] === '/') {
      level -= 1;
      i += 2;
      if (level === 0) return i;
    } else {
      i += 1;
    }
  }
  return chars.length;
}

/** End of a `$tag$ ... $tag$` string, or `from + 1` when the `$` opens none. */
function skipDollarQuoted(chars: readonly string[], from: number): number {
  const tagEnd = skipWhile(chars, from + 1, /[A-Za-z0-9_]/);
  if (chars[tagEnd] !== '$' || /[0-9]/.test(chars[from + 1] ?? '')) return from + 1;
  const tag = chars.slice(from, tagEnd + 1);
  for (let i = tagEnd + 1; i + tag.length <= chars.length; i += 1) {
    if (tag.every((c, k) => chars[i + k] === c)) return i + tag.length;
  }
  return chars.length;
}

/** One statement's token range in the text (statements are separated by `;`). */
export interface StatementSpan {
  start: number;
  end: number;
  firstWord: string | undefined;
}

/** The non-empty statements of a token list, in order. */
export function statementSpans(tokens: readonly Token[]): StatementSpan[] {
  const spans: StatementSpan[] = [];
  let first: Token | undefined;
  let last: Token | undefined;
  const close = () => {
    if (first && last) spans.push({ start: first.start, end: last.end, firstWord: first.word });
    first = undefined;
    last = undefined;
  };
  for (const t of tokens) {
    if (t.punct === ';') {
      close();
      continue;
    }
    first ??= t;
    last = t;
  }
  close();
  return spans;
}
