import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { IngestError, ingestDataset } from '../../src/ingest/index.js';
import { query, rankOrder, rowsFor, saltOf, sha256, tempDir, writeCsv } from './helpers.js';

const header = [
  'record_id',
  'caller_name',
  'phone',
  'address',
  'call_note',
  'call_time',
  'flood_start',
  'flood_end',
  'depth_cm',
];

/** One call; the day of `call_time` names it in the assertions. */
const call = (id: string, day: string, fields: Record<string, string> = {}) => ({
  record_id: id,
  caller_name: '测试',
  phone: '13912345678',
  address: '湖南新村12栋3单元502室',
  call_note: '楼下积水到膝盖，车都开不出去了',
  call_time: `${day} 10:00:00`,
  flood_start: `${day} 08:30:00`,
  flood_end: `${day} 12:00:00`,
  depth_cm: '20',
  ...fields,
});

const records = [
  call('1', '2020-07-01', { depth_cm: 'NaN' }),
  call('2', '2020-07-02', { depth_cm: 'Infinity', phone: '+86 139 1234 5678' }),
  call('3', '2020-07-03', { depth_cm: '', phone: '139-1234-5678', flood_end: '' }),
  call('4', '2020-07-04', {
    depth_cm: '14.9',
    phone: '8613912345678',
    address: '湖南新村\u30005栋1单元101室',
  }),
  call('5', '2020-07-05', { depth_cm: '15', address: '中山北路128号', phone: '13800000001' }),
  call('6', '2020-07-06', { depth_cm: '40', address: '湖南新村 3栋1单元101室' }),
  call('7', '2020-07-07', { depth_cm: '40.5', flood_end: '2020-07-07 08:30:00' }),
  call('8', '2020-07-08', { depth_cm: '-5' }),
  call('9', '2020-07-09', { depth_cm: '齐膝' }),
  call('10', '2020-07-10', { phone: '1391234567' }),
  call('11', '2020-07-11', { phone: '' }),
  call('12', '2020-07-12', { flood_end: '2020-07-12 08:00:00' }),
  call('13', '2020-07-13', { call_time: '2019-02-30 10:00:00' }),
  call('14', '2020-07-14', { flood_start: '昨天晚上' }),
  call('15', '2020-07-15', { address: '新街口附近' }),
  call('16', '2020-07-16', { address: '' }),
  call('', '2020-07-17'),
  call('1', '2020-07-01', { depth_cm: 'NaN' }),
];

t.test('Gulou rows: measures, bands, phone normalization and rejections', async (t) => {
  const dir = tempDir(t);
  const source = writeCsv(dir, 'gulou.csv', header, rowsFor(header, records));
  const report = await ingestDataset({ dataDir: dir, dataset: 'gulou_flooding', source });
  t.same(report.rejections, [
    { reason: 'malformed_row', rows: 0 },
    { reason: 'missing_record_id', rows: 1 },
    { reason: 'duplicate', rows: 1 },
    { reason: 'bad_time', rows: 2 },
    { reason: 'bad_phone', rows: 2 },
    { reason: 'bad_depth', rows: 2 },
    { reason: 'end_before_start', rows: 1 },
    { reason: 'unknown_address', rows: 2 },
  ]);
  t.match(report, { rowsRead: 18, rowsKept: 7, rowsRejected: 11 });

  const [rows, raw] = await query(
    dir,
    `SELECT called_day, unit_id, depth_cm, severity, flood_hours, community, street_office,
            location_type, called_month, called_year, row_rank
     FROM gulou_flooding ORDER BY called_day`,
    `SELECT record_id, phone, depth_cm FROM gulou_flooding__raw ORDER BY src_row`,
  );
  const byDay = new Map(rows!.map((r) => [r[0], r]));
  const salt = saltOf(dir);

  t.test('NaN, infinite and missing measures become NULL, and so does their band', async (t) => {
    t.same(byDay.get('2020-07-01')!.slice(2, 5), [null, null, 3.5]);
    t.same(byDay.get('2020-07-02')!.slice(2, 5), [null, null, 3.5]);
    t.same(byDay.get('2020-07-03')!.slice(2, 5), [null, null, null], 'flood not over: no hours');
  });

  t.test('severity bands: mild < 15, moderate 15-40, severe > 40', async (t) => {
    t.same(
      ['2020-07-04', '2020-07-05', '2020-07-06', '2020-07-07'].map((d) =>
        byDay.get(d)!.slice(2, 4),
      ),
      [
        [14.9, 'mild'],
        [15, 'moderate'],
        [40, 'moderate'],
        [40.5, 'severe'],
      ],
    );
    t.equal(byDay.get('2020-07-07')![4], 0, 'a flood that ends as it starts lasts 0 hours');
  });

  t.test('one caller whatever the phone format', async (t) => {
    const caller = sha256(`${salt}phone:13912345678`);
    const days = ['2020-07-01', '2020-07-02', '2020-07-03', '2020-07-04', '2020-07-06'];
    t.same(
      days.map((d) => byDay.get(d)![1]),
      days.map(() => caller),
    );
    t.equal(byDay.get('2020-07-05')![1], sha256(`${salt}phone:13800000001`));
  });

  t.test("a caller's rows are ranked by md5(rank key + record id)", async (t) => {
    const dayOf: Record<string, string> = {
      '1': '2020-07-01',
      '2': '2020-07-02',
      '3': '2020-07-03',
      '4': '2020-07-04',
      '6': '2020-07-06',
      '7': '2020-07-07',
    };
    const ids = Object.keys(dayOf).sort((a, b) =>
      rankOrder(salt, a) < rankOrder(salt, b) ? -1 : 1,
    );
    t.same(
      ids.map((id) => byDay.get(dayOf[id]!)![10]),
      [1, 2, 3, 4, 5, 6],
    );
    t.equal(byDay.get('2020-07-05')![10], 1, 'a caller with one row has rank 1');
  });

  t.test('addresses resolve through the gazetteer', async (t) => {
    t.same(byDay.get('2020-07-05')!.slice(5, 10), [
      '绣球苑',
      '挹江门街道',
      'municipal_road',
      '2020-07',
      '2020',
    ]);
    t.same(byDay.get('2020-07-06')!.slice(5, 8), [
      '湖南新村',
      '湖南路街道',
      'residential_community',
    ]);
    t.equal(byDay.get('2020-07-04')![5], '湖南新村', 'an ideographic space is dropped too');
  });

  t.test('the raw table holds the kept rows, typed, with the normalized phone', async (t) => {
    t.same(
      raw!.map(([id]) => id),
      ['1', '2', '3', '4', '5', '6', '7'],
    );
    t.same(raw![1], ['2', '13912345678', Infinity]);
    t.ok(Number.isNaN(raw![0]![2]), 'the raw table keeps what the file said');
  });
});

t.test('a line of the wrong width is rejected, and no value reaches an error', async (t) => {
  const dir = tempDir(t);
  const secret = '王秘密';
  const good = Object.values(call('1', '2020-07-01'));
  const wide = [...Object.values(call('2', '2020-07-02', { caller_name: secret })), 'extra'];
  const rows = [
    good,
    good.map((v, i) => (i === 0 ? '3' : v)),
    wide,
    good.map((v, i) => (i ? v : '4')),
  ];
  const source = writeCsv(dir, 'wide.csv', header, rows);
  const report = await ingestDataset({ dataDir: dir, dataset: 'gulou_flooding', source });
  t.match(report, { rowsRead: 4, rowsKept: 3, rowsRejected: 1 });
  t.same(report.rejections[0], { reason: 'malformed_row', rows: 1 });

  const unterminated = join(dir, 'unterminated.csv');
  writeFileSync(unterminated, `${header.join(',')}\n1,"${secret},13900000000,x\n`);
  const err = await ingestDataset({
    dataDir: dir,
    dataset: 'gulou_flooding',
    source: unterminated,
  }).catch((e: unknown) => e);
  t.type(err, IngestError);
  t.match((err as Error).message, /^ingest of gulou_flooding failed to read the source CSV/);
  t.notMatch((err as Error).message, secret);
  t.notMatch((err as Error).message, '13900000000');

  const narrow = writeCsv(dir, 'narrow.csv', ['record_id', 'phone'], [['1', '13900000000']]);
  await t.rejects(
    ingestDataset({ dataDir: dir, dataset: 'gulou_flooding', source: narrow }),
    /failed to read the header: missing caller_name, address, call_note/,
  );
});
