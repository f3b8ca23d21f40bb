import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ingestDataset } from '../../src/ingest/index.js';
import { query, saltOf, tempDir } from './helpers.js';

const gulouCsv = new URL('../../datasets/gulou_flooding.csv', import.meta.url).pathname;

const allRows = (dataset: string) => `SELECT * FROM ${dataset} ORDER BY ALL`;

t.test('a rerun gives the same data version and identical tables', async (t) => {
  const dir = tempDir(t);
  for (const dataset of ['nyc311_street_flooding', 'gulou_flooding'] as const) {
    const first = await ingestDataset({ dataDir: dir, dataset });
    const salt = saltOf(dir);
    const [derived1, raw1] = await query(dir, allRows(dataset), allRows(`${dataset}__raw`));
    const second = await ingestDataset({ dataDir: dir, dataset });
    const [derived2, raw2] = await query(dir, allRows(dataset), allRows(`${dataset}__raw`));
    t.same(second, first, `${dataset}: same report and data version`);
    t.equal(saltOf(dir), salt, 'the salt is reused');
    t.equal(derived2!.length, first.rowsKept);
    t.same(derived2, derived1, `${dataset}: identical derived table`);
    t.same(raw2, raw1, `${dataset}: identical raw table`);
  }
});

t.test('ranks and unit ids do not depend on the order of the rows in the file', async (t) => {
  const dir = tempDir(t);
  const [header, ...lines] = readFileSync(gulouCsv, 'utf8').trimEnd().split('\n');
  const reversed = join(dir, 'reversed.csv');
  writeFileSync(reversed, `${[header, ...lines.reverse()].join('\n')}\n`);
  const inOrder = await ingestDataset({ dataDir: dir, dataset: 'gulou_flooding' });
  const [a] = await query(dir, allRows('gulou_flooding'));
  const backwards = await ingestDataset({
    dataDir: dir,
    dataset: 'gulou_flooding',
    source: reversed,
  });
  const [b] = await query(dir, allRows('gulou_flooding'));
  t.same(backwards.rejections, inOrder.rejections);
  t.not(backwards.dataVersion, inOrder.dataVersion, 'a different file is a different version');
  t.same(b, a);
});

t.test('another data directory has another salt and so other unit ids', async (t) => {
  const one = tempDir(t);
  const two = tempDir(t);
  await ingestDataset({ dataDir: one, dataset: 'gulou_flooding' });
  await ingestDataset({ dataDir: two, dataset: 'gulou_flooding' });
  t.not(saltOf(one), saltOf(two));
  const ids = 'SELECT DISTINCT unit_id FROM gulou_flooding';
  const [a] = await query(one, ids);
  const [b] = await query(two, ids);
  const shared = new Set(a!.map(([id]) => id));
  t.equal(b!.length, 763);
  t.equal(b!.filter(([id]) => shared.has(id)).length, 0);
});
