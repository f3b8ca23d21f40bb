import { createHash } from 'node:crypto';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import t from 'tap';
import { canonicalJson } from '../../src/shared/canonical-json.js';
import type { AuditEntryInput } from '../../src/audit/entry.js';
import { VeilError } from '../../src/errors/registry.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import type { Store } from '../../src/ledger/store.js';
import { openStore } from '../../src/ledger/store.js';
import { freshStore, request } from '../ledger/fixtures/store.js';

const ZEROS = '0'.repeat(64);

function entry(i: number, over: Partial<AuditEntryInput> = {}): AuditEntryInput {
  return {
    at: `2026-01-${String(i).padStart(2, '0')}T00:00:00.000Z`,
    requestId: `r${i}`,
    buyer: i % 2 ? 'alice' : 'bob',
    role: 'buyer',
    route: '/v1/query',
    method: 'POST',
    status: 400,
    outcome: 'refused',
    code: 'VEIL_QUERY_INVALID',
    dataset: 'floods',
    query: `{"select":[${i}]}`,
    ...over,
  };
}

async function storeWith(t: Parameters<typeof freshStore>[0], n: number) {
  const made = await freshStore(t);
  for (let i = 1; i <= n; i++) await made.store.audit.append(entry(i));
  return made;
}

/** Closes the store, runs raw SQL on its file, and reopens it. */
async function tamper(store: Store, dir: string, ...statements: string[]): Promise<Store> {
  await store.close();
  const raw = new BetterSqlite3(join(dir, LEDGER_FILE));
  for (const s of statements) raw.exec(s);
  raw.close();
  return openStore(dir);
}

t.test('canonical JSON sorts keys at every level and keeps nulls', async (t) => {
  t.equal(
    canonicalJson({ b: 1, a: [null, { d: 'x', c: 0.1 }] }),
    '{"a":[null,{"c":0.1,"d":"x"}],"b":1}',
  );
  t.throws(() => canonicalJson({ a: Number.NaN }), RangeError);
});

t.test('entries chain: seq from 1, prev_hash of the first is 64 zeros', async (t) => {
  const { store } = await freshStore(t);
  const first = await store.audit.append(entry(1));
  const second = await store.audit.append(entry(2, { outcome: 'error', code: null }));
  t.equal(first.seq, 1);
  t.equal(first.prevHash, ZEROS);
  t.equal(second.seq, 2);
  t.equal(second.prevHash, first.hash);
  const fields = {
    seq: 1,
    at: '2026-01-01T00:00:00.000Z',
    request_id: 'r1',
    query_id: null,
    buyer: 'alice',
    role: 'buyer',
    route: '/v1/query',
    method: 'POST',
    status: 400,
    outcome: 'refused',
    code: 'VEIL_QUERY_INVALID',
    dataset: 'floods',
    period: null,
    query: '{"select":[1]}',
    rewritten_sql: null,
    policy_version: null,
    epsilon: 0,
    delta: 0,
    groups_released: null,
    groups_suppressed: null,
    prev_hash: ZEROS,
  };
  const keys = Object.keys(fields).sort();
  const value = (k: string) => JSON.stringify(fields[k as keyof typeof fields]);
  const text = `{${keys.map((k) => `"${k}":${value(k)}`).join(',')}}`;
  t.equal(first.hash, createHash('sha256').update(text).digest('hex'));
  t.same(await store.audit.verify(), { ok: true, entries: 2 });
});

t.test('200 concurrent appends form one unbroken chain', async (t) => {
  const { store } = await freshStore(t);
  const records = await Promise.all(
    Array.from({ length: 200 }, (_, i) => store.audit.append(entry((i % 28) + 1))),
  );
  t.same(
    records.map((r) => r.seq).sort((a, b) => a - b),
    Array.from({ length: 200 }, (_, i) => i + 1),
  );
  t.same(await store.audit.verify(), { ok: true, entries: 200 });
});

t.test('verify finds an edited byte at its seq', async (t) => {
  const { store, dir } = await storeWith(t, 6);
  const again = await tamper(
    store,
    dir,
    `UPDATE audit_entries SET query = '{"select":[9]}' WHERE seq = 4`,
  );
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), {
    ok: false,
    brokenAt: 4,
    reason: "entry 4's contents do not match its hash",
  });
});

t.test('verify finds an edited number and a rehashed edit', async (t) => {
  const { store, dir } = await storeWith(t, 5);
  const again = await tamper(store, dir, 'UPDATE audit_entries SET epsilon = 0.5 WHERE seq = 2');
  t.teardown(() => again.close());
  t.match(await again.audit.verify(), { ok: false, brokenAt: 2 });
  await again.close();
  const rehashed = await tamper(
    again,
    dir,
    `UPDATE audit_entries SET hash = '${'a'.repeat(64)}' WHERE seq = 2`,
  );
  t.teardown(() => rehashed.close());
  t.match(await rehashed.audit.verify(), { ok: false, brokenAt: 2 });
});

t.test('verify finds a deleted entry by the missing seq', async (t) => {
  const { store, dir } = await storeWith(t, 6);
  const again = await tamper(store, dir, 'DELETE FROM audit_entries WHERE seq = 3');
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), { ok: false, brokenAt: 3, reason: 'entry 3 is missing' });
});

t.test('verify finds deleted newest entries against the head', async (t) => {
  const { store, dir } = await storeWith(t, 6);
  const again = await tamper(store, dir, 'DELETE FROM audit_entries WHERE seq >= 5');
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), {
    ok: false,
    brokenAt: 5,
    reason: 'entries 5 to 6 are missing',
  });
});

t.test('verify finds a deleted entry whose successors were renumbered', async (t) => {
  const { store, dir } = await storeWith(t, 5);
  const again = await tamper(
    store,
    dir,
    'DELETE FROM audit_entries WHERE seq = 2',
    'UPDATE audit_entries SET seq = seq - 1 WHERE seq > 2',
    'UPDATE audit_head SET seq = 4',
  );
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), {
    ok: false,
    brokenAt: 2,
    reason: "entry 2's prev_hash does not match the hash of the entry before it",
  });
});

t.test('verify finds two swapped entries at the first of them', async (t) => {
  const { store, dir } = await storeWith(t, 6);
  const again = await tamper(
    store,
    dir,
    'UPDATE audit_entries SET seq = -3 WHERE seq = 3',
    'UPDATE audit_entries SET seq = 3 WHERE seq = 4',
    'UPDATE audit_entries SET seq = 4 WHERE seq = -3',
  );
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), {
    ok: false,
    brokenAt: 3,
    reason: "entry 3's prev_hash does not match the hash of the entry before it",
  });
});

t.test('verify finds swapped contents that kept their chain links', async (t) => {
  const { store, dir } = await storeWith(t, 6);
  const swap = ['at', 'request_id', 'buyer', 'query']
    .map((c) => `${c} = (SELECT ${c} FROM b WHERE b.seq = 7 - audit_entries.seq)`)
    .join(', ');
  const again = await tamper(
    store,
    dir,
    'CREATE TEMP TABLE b AS SELECT * FROM audit_entries WHERE seq IN (3, 4)',
    `UPDATE audit_entries SET ${swap} WHERE seq IN (3, 4)`,
  );
  t.teardown(() => again.close());
  t.same(await again.audit.verify(), {
    ok: false,
    brokenAt: 3,
    reason: "entry 3's contents do not match its hash",
  });
  t.equal((await again.audit.list({ limit: 3 })).entries[2]!.requestId, 'r4', 'really swapped');
});

t.test('list filters and pages in seq order', async (t) => {
  const { store } = await storeWith(t, 9);
  await store.audit.append(entry(10, { outcome: 'answered', code: null, dataset: 'calls' }));
  const alice = await store.audit.list({ buyer: 'alice', limit: 2 });
  t.same(
    alice.entries.map((e) => e.seq),
    [1, 3],
  );
  t.equal(alice.nextAfterSeq, 3);
  const next = await store.audit.list({ buyer: 'alice', limit: 2, afterSeq: 3 });
  t.same(
    next.entries.map((e) => e.seq),
    [5, 7],
  );
  const last = await store.audit.list({ buyer: 'alice', limit: 2, afterSeq: 7 });
  t.same(
    last.entries.map((e) => e.seq),
    [9],
  );
  t.equal(last.nextAfterSeq, null);
  const window = await store.audit.list({
    from: '2026-01-04T00:00:00.000Z',
    to: '2026-01-06T00:00:00.000Z',
  });
  t.same(
    window.entries.map((e) => e.seq),
    [4, 5, 6],
  );
  t.same(
    (await store.audit.list({ outcome: 'answered' })).entries.map((e) => e.seq),
    [10],
  );
  t.same(
    (await store.audit.list({ dataset: 'calls' })).entries.map((e) => e.seq),
    [10],
  );
  t.equal((await store.audit.list({ code: 'VEIL_QUERY_INVALID' })).entries.length, 9);
  t.equal((await store.audit.list({ limit: 10_000 })).entries.length, 10);
});

t.test('commitWithAudit writes the charge and its entry together', async (t) => {
  const { store } = await freshStore(t, { now: () => new Date('2026-02-03T04:05:06Z') });
  await store.ledger.reserve(request('q1', 1.5, { delta: 1e-7 }));
  const record = await store.commitWithAudit('q1', {
    requestId: 'r1',
    query: 'SELECT count(*) FROM floods',
    rewrittenSql: 'SELECT ...',
    policyVersion: 'abc123',
    groupsReleased: 4,
    groupsSuppressed: 2,
    status: 200,
  });
  t.match(record, {
    seq: 1,
    at: '2026-02-03T04:05:06.000Z',
    outcome: 'answered',
    queryId: 'q1',
    buyer: 'alice',
    dataset: 'floods',
    period: '2026',
    epsilon: 1.5,
    delta: 1e-7,
    groupsReleased: 4,
  });
  const err = await store.commitWithAudit('q1', {}).catch((e) => e);
  t.ok(err instanceof VeilError && err.code === 'VEIL_INTERNAL');
  t.equal((await store.audit.list({})).entries.length, 1, 'a failed commit appends nothing');
});

t.test('a failing audit append rolls the charge back', async (t) => {
  const { store } = await freshStore(t);
  await store.ledger.reserve(request('q1', 1));
  await t.rejects(store.commitWithAudit('q1', { groupsReleased: 1.5 }), RangeError);
  t.match(
    await store.ledger.release('q1'),
    { status: 'released' },
    'still reserved after rollback',
  );
  t.same(await store.audit.verify(), { ok: true, entries: 0 });
});

t.test('releaseWithAudit records a refusal that charged nothing', async (t) => {
  const { store } = await freshStore(t);
  await store.ledger.reserve(request('q1', 2));
  const record = await store.releaseWithAudit('q1', {
    outcome: 'error',
    code: 'VEIL_ENCLAVE_FAILED',
    status: 500,
  });
  t.match(record, { outcome: 'error', code: 'VEIL_ENCLAVE_FAILED', queryId: 'q1', epsilon: 0 });
  t.same(await store.ledger.spent({ dataset: 'floods', period: '2026' }), { epsilon: 0, delta: 0 });
  await t.rejects(store.releaseWithAudit('q1', { outcome: 'refused' }), VeilError);
});

t.test('spentFromLog equals the ledger once every reservation is settled', async (t) => {
  const { store } = await freshStore(t);
  const plan: [string, string, string, string, number, boolean][] = [];
  for (let i = 0; i < 60; i++) {
    const buyer = ['alice', 'bob', 'carol'][i % 3]!;
    const dataset = i % 4 < 2 ? 'floods' : 'calls';
    const period = i % 5 === 0 ? '2025' : '2026';
    plan.push([`q${i}`, buyer, dataset, period, 0.05 + (i % 7) * 0.1, i % 6 !== 0]);
  }
  for (const [id, buyer, dataset, period, epsilon, answer] of plan) {
    await store.ledger.reserve(request(id, epsilon, { buyer, dataset, period, delta: 1e-8 }));
    if (answer) await store.commitWithAudit(id, { query: 'x' });
    else await store.releaseWithAudit(id, { outcome: 'error', code: 'VEIL_ENCLAVE_FAILED' });
  }
  await store.audit.append({ outcome: 'refused', code: 'VEIL_AUTH_MISSING', status: 401 });
  const fromLog = await store.audit.spentFromLog();
  t.equal(fromLog.length, 3 * 2 * 2);
  for (const row of fromLog) {
    const scope = { buyer: row.buyer!, dataset: row.dataset!, period: row.period! };
    const ledger = await store.ledger.spent(scope);
    t.ok(Math.abs(ledger.epsilon - row.epsilon) < 1e-12, `epsilon of ${JSON.stringify(scope)}`);
    t.ok(Math.abs(ledger.delta - row.delta) < 1e-20, `delta of ${JSON.stringify(scope)}`);
  }
  const total = fromLog.reduce((s, r) => s + r.epsilon, 0);
  const expected = plan.filter((p) => p[5]).reduce((s, p) => s + p[4], 0);
  t.ok(Math.abs(total - expected) < 1e-9);
});

t.test('log lines carry bookkeeping fields, never the query or rewritten SQL', async (t) => {
  const lines: string[] = [];
  const { pino } = await import('pino');
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(s) });
  const { store } = await freshStore(t, { logger });
  await store.ledger.reserve(request('q1', 1));
  await store.commitWithAudit('q1', { query: 'SELECT secret_marker', rewrittenSql: 'SQL_MARKER' });
  await store.ledger.reserve(request('q2', 100)).catch(() => undefined);
  await store.audit.append({ outcome: 'refused', query: 'SELECT secret_marker' });
  t.ok(lines.length >= 3);
  t.ok(lines.some((l) => l.includes('"queryId":"q1"')));
  t.notOk(lines.some((l) => l.includes('secret_marker') || l.includes('SQL_MARKER')));
});

t.test('the log and its chain survive close and reopen', async (t) => {
  const { store, dir } = await storeWith(t, 3);
  await store.close();
  const again = await openStore(dir);
  t.teardown(() => again.close());
  const fourth = await again.audit.append(entry(4));
  t.equal(fourth.seq, 4);
  t.same(await again.audit.verify(), { ok: true, entries: 4 });
});
