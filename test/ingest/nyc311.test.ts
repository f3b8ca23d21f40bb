import { readFileSync } from 'node:fs';
import t from 'tap';
import { ingestDataset } from '../../src/ingest/index.js';
import { query, rankOrder, rowsFor, saltOf, sha256, tempDir, writeCsv } from './helpers.js';

const realCsv = new URL(
  '../../datasets/nyc311_street_flooding_sj_2022-11_to_2023-02.csv',
  import.meta.url,
).pathname;
const header = readFileSync(realCsv, 'utf8').split('\n')[0]!.split(',');

/** One complaint; `day` is its created date and names it in the assertions. */
const complaint = (key: string, day: string, fields: Record<string, string> = {}) => ({
  unique_key: key,
  created_date: `${day}T10:00:00.000`,
  borough: 'QUEENS',
  community_board: '12 QUEENS',
  status: 'Closed',
  open_data_channel_type: 'ONLINE',
  incident_zip: '11434',
  location: '\n,  \n(40.68, -73.78)',
  ...fields,
});

const records = [
  complaint('101', '2022-12-01', {
    incident_address: ' 2803  coney island   avenue ',
    incident_zip: '11235',
    closed_date: '2022-12-01T12:30:00.000',
    bbl: '3074300053.0',
    open_data_channel_type: 'phone',
  }),
  complaint('102', '2022-12-02', {
    incident_address: '2803 CONEY ISLAND AVENUE',
    incident_zip: '11235-1234',
    closed_date: '2022-12-01T09:00:00.000',
  }),
  complaint('103', '2022-12-03', {
    bbl: '3074300053.0',
    latitude: '40.58826584643416',
    longitude: '-73.96041340492431',
  }),
  complaint('104', '2022-12-04', {
    latitude: '40.58826584643416',
    longitude: '-73.96041340492431',
  }),
  complaint('105', '2022-12-05'),
  complaint('102', '2022-12-06'),
  complaint('', '2022-12-07'),
  complaint('108', 'yesterday'),
  complaint('109', '2023-01-01', {
    incident_address: '1 MAIN ST',
    borough: 'Unspecified',
    community_board: '0 Unspecified',
    status: 'Open',
    incident_zip: 'N/A',
  }),
  complaint('110', '2023-01-02', { incident_address: '1 MAIN ST', incident_zip: '' }),
];

t.test('NYC unit keys, fallbacks, rejections and derived keys', async (t) => {
  const dir = tempDir(t);
  const source = writeCsv(dir, 'nyc.csv', header, rowsFor(header, records));
  const report = await ingestDataset({ dataDir: dir, dataset: 'nyc311_street_flooding', source });
  t.match(report, {
    rowsRead: 10,
    rowsKept: 7,
    rowsRejected: 3,
    rejections: [
      { reason: 'malformed_row', rows: 0 },
      { reason: 'missing_unique_key', rows: 1 },
      { reason: 'duplicate_unique_key', rows: 1 },
      { reason: 'bad_created_date', rows: 1 },
    ],
  });

  const salt = saltOf(dir);
  const unit = (key: string) => sha256(salt + key);
  const [rows, raw] = await query(
    dir,
    `SELECT created_day, unit_id, row_rank, borough, community_board, zip, status, channel,
            created_week, created_month, hours_to_close
     FROM nyc311_street_flooding ORDER BY created_day`,
    `SELECT unique_key, created_date FROM nyc311_street_flooding__raw ORDER BY src_row`,
  );
  const byDay = new Map(rows!.map((r) => [r[0], r]));

  t.test(
    'the address (upper-cased, spaces collapsed) with the 5-digit ZIP comes first',
    async (t) => {
      const addr = unit('addr:2803 CONEY ISLAND AVENUE|11235');
      t.equal(byDay.get('2022-12-01')![1], addr);
      t.equal(byDay.get('2022-12-02')![1], addr, 'ZIP+4 and spacing do not split the household');
      t.equal(byDay.get('2023-01-01')![1], unit('addr:1 MAIN ST|'), 'bad ZIP kept as empty');
      t.equal(byDay.get('2023-01-02')![1], unit('addr:1 MAIN ST|'));
    },
  );

  t.test('without an address: BBL, then the point to 4 decimals, then the request', async (t) => {
    t.equal(byDay.get('2022-12-03')![1], unit('bbl:3074300053'));
    t.equal(byDay.get('2022-12-04')![1], unit('xy:40.5883,-73.9604'));
    t.equal(byDay.get('2022-12-05')![1], unit('sr:105'));
  });

  t.test('ranks follow md5(rank key + unique_key) within a unit', async (t) => {
    const first = rankOrder(salt, '101') < rankOrder(salt, '102') ? '2022-12-01' : '2022-12-02';
    const second = first === '2022-12-01' ? '2022-12-02' : '2022-12-01';
    t.equal(byDay.get(first)![2], 1);
    t.equal(byDay.get(second)![2], 2);
    t.equal(byDay.get('2022-12-05')![2], 1);
  });

  t.test('derived keys and measures', async (t) => {
    t.same(byDay.get('2022-12-01')!.slice(3), [
      'QUEENS',
      '12 QUEENS',
      '11235',
      'Closed',
      'PHONE',
      '2022-W48',
      '2022-12',
      2.5,
    ]);
    t.equal(byDay.get('2022-12-02')![10], null, 'closed before created: no hours');
    t.same(byDay.get('2023-01-01')!.slice(3, 11), [
      null,
      null,
      null,
      'Open',
      'ONLINE',
      '2022-W52',
      '2023-01',
      null,
    ]);
    t.equal(byDay.get('2023-01-02')![8], '2023-W01', 'ISO week of 2023-01-02');
  });

  t.test('the raw table keeps the first copy of a repeated key, typed', async (t) => {
    t.same(
      raw!.map(([key]) => key),
      ['101', '102', '103', '104', '105', '109', '110'],
    );
    t.same(raw![0]![1], new Date(Date.UTC(2022, 11, 1, 10)));
  });
});
