import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import { type Seen, driveLoad, spawnGateway } from '../fixtures/child-gateway.js';
import { mintToken } from '../../src/http/tokens.js';
import { startTestGateway, testSecret } from '../fixtures/gateway.js';
import { chargeRows, dataDir, ledgerView, nyc, seeded } from '../fixtures/hold.js';
import { policyDir } from '../fixtures/policies.js';

const ROUNDS = 3;
const WORKERS = 12;

/** A data directory ingested once, and a policy whose budgets never run out in these tests. */
async function prepare() {
  const dir = dataDir();
  const policies = policyDir((dataset, p) => {
    if (dataset === nyc)
      p.budgets = {
        period: 'year',
        buyers: {},
        perBuyer: { epsilon: 1e6, delta: 0.5 },
        dataset: { epsilon: 1e7, delta: 0.5 },
      };
  });
  await (await startTestGateway({ VEIL_DATA_DIR: dir })).close();
  const env = {
    VEIL_DATA_DIR: dir,
    VEIL_POLICY_DIR: policies,
    VEIL_JWT_SECRET: testSecret,
    VEIL_RATE_LIMIT: '0',
    LOG_LEVEL: 'silent',
  };
  const cleanup = () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(policies, { recursive: true, force: true });
  };
  return { dir, env, cleanup };
}

/** Checks that every answer a client saw is charged and audited, and every charge is audited. */
async function checkLedger(t: Test, dir: string, answered: Seen[]) {
  const view = await ledgerView(dir);
  t.same(view.verify, { ok: true, entries: view.entries.length }, 'the audit chain verifies');
  const charges = new Map(chargeRows(dir).map((c) => [c.id, c]));
  const entries = new Map(
    view.entries.filter((e) => e.outcome === 'answered').map((e) => [e.queryId, e]),
  );
  const lost = answered.filter(
    (s) => charges.get(s.queryId!)?.status !== 'charged' || !entries.has(s.queryId!),
  );
  t.equal(lost.length, 0, 'every answer the client saw has its charge and its audit entry');
  const charged = [...charges.values()].filter((c) => c.status === 'charged');
  t.equal(
    charged.filter((c) => entries.get(c.id)?.epsilon !== c.epsilon).length,
    0,
    'no charge exists without its answered entry of the same cost',
  );
  t.equal(entries.size, charged.length, 'answered entries and charges match one to one');
  return { lost: lost.length, charged: charged.length };
}

t.test('SIGKILL at seeded random moments loses no answered query', async (t) => {
  const { dir, env, cleanup } = await prepare();
  t.teardown(cleanup);
  const random = seeded(20240611);
  const token = mintToken(testSecret, 'crash-buyer', 'buyer');
  let counter = 0;
  let lost = 0;
  let cut = 0;
  const answered: Seen[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const gw = await spawnGateway(env);
    let killed = false;
    const load = driveLoad({
      url: gw.url,
      token,
      next: () => counter++,
      workers: WORKERS,
      epsilon: 0.01,
      stop: () => killed,
    });
    await sleep(300 + Math.floor(random() * 900));
    gw.child.kill('SIGKILL');
    const [, signal] = await gw.exited;
    killed = true;
    t.equal(signal, 'SIGKILL', `round ${round}: killed mid-load`);
    const seen = await load;
    answered.push(...seen.filter((s) => s.status === 200));
    cut += seen.filter((s) => s.status === 'network').length;
    t.equal(seen.filter((s) => typeof s.status === 'number' && s.status >= 500).length, 0);
    lost += (await checkLedger(t, dir, answered)).lost;
  }
  t.ok(answered.length > 0, `${answered.length} queries answered across ${ROUNDS} crashes`);
  const last = await spawnGateway(env);
  last.child.kill('SIGTERM');
  await last.exited;
  t.equal(
    chargeRows(dir).filter((c) => c.status === 'reserved').length,
    0,
    'restart released every reservation a crash left open',
  );
  const final = await checkLedger(t, dir, answered);
  const view = await ledgerView(dir);
  const recovered = view.entries.filter((e) => e.outcome === 'recovered').length;
  t.comment(
    `crash figures: SIGKILLs survived=${ROUNDS} sent=${counter} answered=${answered.length} ` +
      `cut by a kill=${cut} ` +
      `charged=${final.charged} recovered=${recovered} entries=${view.entries.length} ` +
      `chain=${view.verify.ok ? 'verifies' : 'BROKEN'} entries lost=${lost + final.lost}`,
  );
});

t.test('SIGTERM lets in-flight queries finish and leaves nothing half-written', async (t) => {
  const { dir, env, cleanup } = await prepare();
  t.teardown(cleanup);
  const token = mintToken(testSecret, 'term-buyer', 'buyer');
  const gw = await spawnGateway(env);
  let counter = 0;
  let stopped = false;
  const load = driveLoad({
    url: gw.url,
    token,
    next: () => counter++,
    workers: WORKERS,
    epsilon: 0.01,
    stop: () => stopped,
  });
  await sleep(400);
  gw.child.kill('SIGTERM');
  const [code] = await gw.exited;
  stopped = true;
  const seen = await load;
  t.equal(code, 0, 'the gateway exits cleanly');
  t.same(gw.lines, ['closed'], 'after closing the server, the ledger and the enclave');
  const statuses = new Set(seen.map((s) => s.status));
  t.ok(
    [...statuses].every((s) => s === 200 || s === 503 || s === 'network'),
    'answered or refused',
  );
  t.equal(chargeRows(dir).filter((c) => c.status === 'reserved').length, 0, 'no reservation open');
  const { lost } = await checkLedger(
    t,
    dir,
    seen.filter((s) => s.status === 200),
  );
  t.equal(lost, 0);
});
