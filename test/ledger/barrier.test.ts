import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { VeilError } from '../../src/errors/registry.js';
import { groupCommit, walFileSync } from '../../src/ledger/durability.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import { startTestGateway } from '../fixtures/gateway.js';
import { chargeRows, dataDir, distinctQuery, ledgerView } from '../fixtures/hold.js';
import { tempDir } from './fixtures/store.js';

/** A flush the test finishes by hand: each call is one pending fsync. */
function manualSync() {
  const pending: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const sync = () =>
    new Promise<void>((resolve, reject) => {
      pending.push({ resolve, reject });
    });
  return { sync, pending };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('one flush serves every caller waiting; late callers wait for the next', async (t) => {
  const { sync, pending } = manualSync();
  const barrier = groupCommit(sync);
  const done: string[] = [];
  const first = barrier().then(() => done.push('first'));
  const queued = Array.from({ length: 50 }, (_, i) => barrier().then(() => done.push(`q${i}`)));
  await tick();
  t.equal(pending.length, 1, 'fifty callers behind a running flush start no flush of their own');
  pending[0]!.resolve();
  await first;
  await tick();
  t.same(done, ['first'], 'the running flush may predate their commits: they are not released');
  t.equal(pending.length, 2, 'one flush for all fifty');
  const late = barrier().then(() => done.push('late'));
  pending[1]!.resolve();
  await Promise.all(queued);
  t.equal(done.length, 51);
  t.notOk(done.includes('late'), 'a caller arriving during the second flush waits for a third');
  await tick();
  t.equal(pending.length, 3);
  pending[2]!.resolve();
  await late;
  t.equal(pending.length, 3, 'an idle barrier flushes only when asked');
});

t.test('a failed flush rejects exactly the callers it served', async (t) => {
  const { sync, pending } = manualSync();
  const barrier = groupCommit(sync);
  const failing = barrier();
  const next = barrier();
  await tick();
  pending[0]!.reject(new VeilError('VEIL_LEDGER_SYNC', 'disk gone'));
  await t.rejects(failing, { code: 'VEIL_LEDGER_SYNC' });
  await tick();
  pending[1]!.resolve();
  await t.resolves(next, 'the next flush serves the queued callers');
  const after = barrier();
  await tick();
  pending[2]!.resolve();
  await t.resolves(after, 'the barrier keeps working after a failure');
});

t.test('walFileSync: no log means nothing to flush; a log it cannot open is coded', async (t) => {
  const dir = tempDir(t);
  const wal = join(dir, `${LEDGER_FILE}-wal`);
  const missing = walFileSync(wal);
  await t.resolves(missing.sync(), 'a missing log holds no commit');
  writeFileSync(wal, 'one');
  await t.resolves(missing.sync(), 'the log, once there, is flushed');
  renameSync(wal, join(dir, 'old-wal'));
  writeFileSync(wal, 'two');
  await t.resolves(missing.sync(), 'a new log (another inode) is reopened and flushed');
  await missing.close();
  writeFileSync(join(dir, 'plain'), '');
  const broken = walFileSync(join(dir, 'plain', 'ledger.sqlite-wal'));
  await t.rejects(broken.sync(), { code: 'VEIL_LEDGER_SYNC' }, 'ENOTDIR is not "missing"');
  await broken.close();
});

t.test('an answer whose ledger flush fails is withheld, in the error shape', async (t) => {
  const dir = dataDir();
  const g = await startTestGateway({ VEIL_DATA_DIR: dir, VEIL_RATE_LIMIT: '0' });
  const token = g.token('buyer', 'unflushed');
  const durable = g.gw.store.durable;
  g.gw.store.durable = () =>
    Promise.reject(new VeilError('VEIL_LEDGER_SYNC', 'the ledger could not be flushed to disk'));
  const answer = await g.call('/v1/query', { token, body: distinctQuery(0) });
  t.equal(answer.status, 500);
  t.same(Object.keys(answer.json), ['error'], 'no rows, no numbers: only the error');
  t.equal(answer.json.error.code, 'VEIL_LEDGER_SYNC');
  const other = await g.call('/v1/budget', { token });
  t.equal(other.status, 500, 'a route that only reads still needs its audit entry on disk');
  t.equal(other.json.error.code, 'VEIL_LEDGER_SYNC');
  const topUp = await g.call('/v1/budgets/nyc311_street_flooding/unflushed/top-up', {
    token: g.token('bureau'),
    body: { epsilon: 5 },
  });
  t.equal(topUp.status, 500, 'a budget change is acknowledged only once it is on disk');
  t.equal(topUp.json.error.code, 'VEIL_LEDGER_SYNC');
  const lines = g.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
  const failed = lines.filter((l) => l.level === 50);
  t.same(
    failed.map((l) => [l.event, l.status, l.code]),
    [
      ['request', 500, 'VEIL_LEDGER_SYNC'],
      ['request', 500, 'VEIL_LEDGER_SYNC'],
      ['request', 500, 'VEIL_LEDGER_SYNC'],
    ],
    'one error line per failed request',
  );
  g.gw.store.durable = durable;
  const again = await g.call('/v1/query', { token, body: distinctQuery(1) });
  t.equal(again.status, 200, 'answers flow again once the disk does');
  await g.close();
  const view = await ledgerView(dir);
  t.same(view.verify, { ok: true, entries: view.entries.length });
  const charged = chargeRows(dir).filter((c) => c.status === 'charged');
  t.equal(charged.length, 2, 'the withheld answer keeps its charge (it may stand)');
  const answered = view.entries.filter((e) => e.outcome === 'answered' && e.route === '/v1/query');
  t.same(
    answered.map((e) => e.queryId).sort(),
    charged.map((c) => c.id).sort(),
    'and its answered entry: a charge never stands without its record',
  );
});
