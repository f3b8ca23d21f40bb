import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { generateGulou, gulouDefaults } from '../../src/ingest/index.js';
import { tempDir } from './helpers.js';

const committed = new URL('../../datasets/gulou_flooding.csv', import.meta.url).pathname;
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

t.test('the same seed gives identical bytes; another seed does not', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a.csv');
  const b = join(dir, 'b.csv');
  const c = join(dir, 'c.csv');
  t.same(await generateGulou({ rows: 5000, seed: 7, out: a }), { rows: 5000 });
  await generateGulou({ rows: 5000, seed: 7, out: b });
  await generateGulou({ rows: 5000, seed: 8, out: c });
  t.equal(digest(a), digest(b));
  t.not(digest(a), digest(c));
  t.equal(readFileSync(a, 'utf8').split('\n').length, 5002, 'header, 5000 rows, final newline');
});

t.test('the committed dataset is a fresh generation with the defaults', async (t) => {
  t.same(gulouDefaults, { rows: 1593, seed: 12345 });
  const out = join(tempDir(t), 'gulou.csv');
  await generateGulou({ out });
  t.equal(digest(out), digest(committed));
});

t.test('the export has the documented shape', async (t) => {
  const lines = readFileSync(committed, 'utf8').trimEnd().split('\n');
  t.equal(
    lines[0],
    'record_id,caller_name,phone,address,call_note,call_time,flood_start,flood_end,depth_cm',
  );
  t.equal(lines.length, 1594);
  const calls = lines.slice(1).map((l) => /,(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}:\d{2},/.exec(l)?.[1]);
  const dated = calls.filter((d): d is string => d !== undefined);
  t.ok(
    dated.every((d) => d >= '2019-01-01' && d <= '2021-12-31'),
    'calls fall in 2019-2021',
  );
  const rainy = dated.filter((d) => ['06', '07'].includes(d.slice(5, 7))).length;
  t.equal(rainy, 1305, 'June and July hold most calls (plum rains)');
  t.equal(lines.filter((l) => l.includes('+86')).length, 121, 'some phones carry +86');
});

t.test('zero rows writes only the header; bad options are refused', async (t) => {
  const dir = tempDir(t);
  const out = join(dir, 'empty.csv');
  t.same(await generateGulou({ rows: 0, out }), { rows: 0 });
  t.equal(readFileSync(out, 'utf8').split('\n').length, 2);
  await t.rejects(generateGulou({ rows: -1, out }), RangeError);
  await t.rejects(generateGulou({ rows: 1.5, out }), RangeError);
  await t.rejects(generateGulou({ seed: -1, out }), RangeError);
});
