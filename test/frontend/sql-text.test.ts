import t from 'tap';
import { SqlText, statementSpans, tokenize } from '../../src/frontend/sql/text.js';

t.test('byte offsets become code-point offsets', async (t) => {
  const text = new SqlText("SELECT 'é😀', x");
  t.equal(text.length, 14);
  t.equal(text.fromByte(0), 0);
  t.equal(text.fromByte(8), 8, 'é starts at byte 8');
  t.equal(text.fromByte(10), 9, '😀 starts at byte 10');
  t.equal(text.fromByte(17), 13, 'x is byte 17, code point 13');
  t.equal(text.fromByte(18), 14, 'the end');
  t.equal(text.fromByte(19), undefined);
  t.equal(text.fromByte(-1), undefined);
  t.equal(text.fromByte(2 ** 64), undefined, 'DuckDB writes 2^64-1 for "no location"');
  t.equal(text.slice(8, 10), 'é😀');
});

t.test('keywords are found outside strings, names and comments, with their depth', async (t) => {
  const sql =
    "SELECT 'HAVING', \"HAVING\", $$ HAVING $$, E'it\\'s HAVING' -- HAVING\n" +
    '/* HAVING /* nested */ HAVING */ (SELECT 1 HAVING) HAVING';
  const tokens = tokenize(Array.from(sql));
  const having = tokens.filter((tok) => tok.word === 'HAVING');
  t.same(
    having.map((tok) => [tok.start, tok.depth]),
    [
      [sql.indexOf('HAVING)'), 1],
      [sql.lastIndexOf('HAVING'), 0],
    ],
  );
});

t.test('statements split at semicolons outside quotes', async (t) => {
  const sql = "SELECT ';' ; ; -- x;\n SELECT 2;";
  const spans = statementSpans(tokenize(Array.from(sql)));
  t.same(
    spans.map((s) => [s.start, s.firstWord]),
    [
      [0, 'SELECT'],
      [sql.lastIndexOf('SELECT'), 'SELECT'],
    ],
  );
  t.same(statementSpans(tokenize(Array.from('  -- only a comment'))), []);
});

t.test('unterminated quotes and comments run to the end without failing', async (t) => {
  for (const sql of ["SELECT 'abc", 'SELECT "abc', 'SELECT /* abc', 'SELECT $tag$ abc', ')))(((']) {
    const tokens = tokenize(Array.from(sql));
    t.equal(tokens[0]!.word ?? tokens[0]!.punct, sql.startsWith(')') ? ')' : 'SELECT');
    t.ok(tokens.every((tok) => tok.depth >= 0 && tok.end <= sql.length));
  }
});
