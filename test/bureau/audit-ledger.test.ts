import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import t from 'tap';
import { entryHash } from '../../src/audit/chain.js';
import { checkpoint, verifySigned } from '../../src/audit/checkpoints.js';
import type { AuditEntryInput } from '../../src/audit/entry.js';
import { exportLines, verifyExport } from '../../src/audit/export.js';
import { loadAuditKeys } from '../../src/audit/signing.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import type { Store } from '../../src/ledger/store.js';
import { openStore } from '../../src/ledger/store.js';
import { freshStore } from '../ledger/fixtures/store.js';

const N = 8;

function entry(i: number): AuditEntryInput {
  return {
    at: `2026-02-${String(i).padStart(2, '0')}T00:00:00.000Z`,
    requestId: `r${i}`,
    buyer: i % 2 ? 'alice' : 'bob',
    role: 'buyer',
    route: '/v1/query',
    method: 'POST',
    status: 200,
    outcome: 'answered',
    dataset: 'floods',
    query: `{"n":${i}}`,
    epsilon: 0.5,
    delta: 0.00001,
  };
}

async function signedLog(t: Parameters<typeof freshStore>[0]) {
  const made = await freshStore(t);
  const keys = loadAuditKeys(made.dir);
  for (let i = 1; i <= N; i++) {
    await made.store.audit.append(entry(i));
    if (i === 4) await checkpoint(made.store.db, keys, '2026-02-10T00:00:00.000Z');
  }
  await checkpoint(made.store.db, keys, '2026-02-11T00:00:00.000Z');
  return { ...made, keys };
}

async function exportText(store: Store, pem: string): Promise<string> {
  const lines: string[] = [];
  for await (const line of exportLines(store.db, pem, N)) lines.push(line);
  return lines.join('\n') + '\n';
}

/** Closes the store, runs raw SQL on its file, and reopens it. */
async function tamper(store: Store, dir: string, ...statements: string[]): Promise<Store> {
  await store.close();
  const raw = new BetterSqlite3(join(dir, LEDGER_FILE));
  for (const s of statements) raw.exec(s);
  raw.close();
  return openStore(dir);
}

t.test('the signing key persists and the signed log verifies', async (t) => {
  const { store, dir, keys } = await signedLog(t);
  t.equal(loadAuditKeys(dir).publicPem, keys.publicPem);
  t.same(await verifySigned(store.db, keys), {
    ok: true,
    entries: N,
    checkpoints: 2,
    signedThrough: N,
  });
  const text = await exportText(store, keys.publicPem);
  t.same(verifyExport(text, keys.publicPem), {
    ok: true,
    entries: N,
    checkpoints: 2,
    signedThrough: N,
  });
});

t.test('stored entries: an edit, a deletion or a swap is found at its position', async (t) => {
  const cases: [string, string[], number][] = [
    ['edit one byte', ['UPDATE audit_entries SET query = \'{"n":7}\' WHERE seq = 3'], 3],
    ['delete one', ['DELETE FROM audit_entries WHERE seq = 5'], 5],
    [
      'swap two',
      [
        'UPDATE audit_entries SET seq = -2 WHERE seq = 2',
        'UPDATE audit_entries SET seq = 2 WHERE seq = 6',
        'UPDATE audit_entries SET seq = 6 WHERE seq = -2',
      ],
      2,
    ],
  ];
  for (const [name, sql, at] of cases) {
    const { store, dir, keys } = await signedLog(t);
    const again = await tamper(store, dir, ...sql);
    t.teardown(() => again.close());
    const r = await verifySigned(again.db, keys);
    t.equal(r.ok, false, name);
    t.equal(!r.ok && r.brokenAt, at, name);
  }
});

t.test(
  'a rewrite with every later hash recomputed is caught by the signed checkpoint',
  async (t) => {
    const { store, dir, keys } = await signedLog(t);
    await store.close();
    const raw = new BetterSqlite3(join(dir, LEDGER_FILE));
    const rows = raw.prepare('SELECT * FROM audit_entries ORDER BY seq').all() as any[];
    let prev = rows[0].prev_hash as string;
    for (const row of rows) {
      const { hash: _h, ...fields } = row;
      fields.prev_hash = prev;
      if (fields.seq === 2) fields.query = '{"n":99}';
      const hash = entryHash(fields);
      raw
        .prepare('UPDATE audit_entries SET query = ?, prev_hash = ?, hash = ? WHERE seq = ?')
        .run(fields.query, prev, hash, fields.seq);
      prev = hash;
    }
    raw.prepare('UPDATE audit_head SET hash = ? WHERE id = 1').run(prev);
    raw.close();
    const again = await openStore(dir);
    t.teardown(() => again.close());
    const r = await verifySigned(again.db, keys);
    t.same(r, {
      ok: false,
      brokenAt: 4,
      reason: "entry 4's hash differs from the one signed at its checkpoint",
    });
  },
);

t.test('an export: every byte edit, a deleted line and a swap are found', async (t) => {
  const { store, keys } = await signedLog(t);
  const lines = (await exportText(store, keys.publicPem)).trimEnd().split('\n');
  const target = 3;
  const line = lines[target]!;
  let detected = 0;
  for (let i = 0; i < line.length; i++) {
    const swapped = line[i] === 'x' ? 'y' : 'x';
    const edited = [...lines];
    edited[target] = line.slice(0, i) + swapped + line.slice(i + 1);
    const r = verifyExport(edited.join('\n'), keys.publicPem);
    if (!r.ok && r.brokenAt === target && r.line === target + 1) detected++;
  }
  t.equal(detected, line.length, 'every one of the line bytes edited is found at entry 3');
  const deleted = lines.filter((_, i) => i !== 5);
  t.match(verifyExport(deleted.join('\n'), keys.publicPem), { ok: false, brokenAt: 5, line: 6 });
  const last = lines.filter((_, i) => i !== N);
  t.match(verifyExport(last.join('\n'), keys.publicPem), { ok: false, brokenAt: N });
  const swapped = [...lines];
  [swapped[2], swapped[6]] = [swapped[6]!, swapped[2]!];
  t.match(verifyExport(swapped.join('\n'), keys.publicPem), { ok: false, brokenAt: 2, line: 3 });
  const other = loadAuditKeys(t.testdir());
  t.match(verifyExport(lines.join('\n'), other.publicPem), {
    ok: false,
    reason: /invalid signature/,
  });
});

t.test('veil audit verify <export> reports ok, or the broken entry and exits 3', async (t) => {
  const { store, keys } = await signedLog(t);
  const dir = t.testdir();
  const good = join(dir, 'good.jsonl');
  const bad = join(dir, 'bad.jsonl');
  const text = await exportText(store, keys.publicPem);
  writeFileSync(good, text);
  writeFileSync(bad, text.replace('{\\"n\\":6}', '{\\"n\\":60}'));
  const cli = (file: string) =>
    spawnSync(
      process.execPath,
      [
        ...process.execArgv.filter((a) => a.includes('typescript')),
        'src/cli/main.ts',
        'audit',
        'verify',
        file,
      ],
      { encoding: 'utf8' },
    );
  const ok = cli(good);
  t.equal(ok.status, 0, ok.stderr);
  t.match(ok.stdout, /^ok: 8 entries, 2 signed checkpoints, signed through entry 8/);
  const broken = cli(bad);
  t.equal(broken.status, 3);
  t.match(broken.stdout, /^broken at entry 6 \(line 7\): entry 6's contents do not match its hash/);
});
