import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import t from 'tap';
import { openStore } from '../../src/ledger/store.js';
import { tempDir } from './fixtures/store.js';

const CHILD = new URL('./fixtures/commit-forever.ts', import.meta.url).pathname;

/** Runs the child until it has reported `count` commits, then SIGKILLs it mid-stream. */
async function killAfterCommits(dir: string, count: number): Promise<string[]> {
  const child = spawn(process.execPath, [...process.execArgv, CHILD, dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const reported: string[] = [];
  for await (const line of createInterface({ input: child.stdout })) {
    reported.push(line.replace('committed ', ''));
    if (reported.length === count) break;
  }
  child.kill('SIGKILL');
  const [code, signal] = await once(child, 'exit');
  if (signal !== 'SIGKILL') throw new Error(`child ended with ${code}/${signal}, not by SIGKILL`);
  return reported;
}

t.test('a SIGKILL loses no committed charge and no audit entry', async (t) => {
  const dir = tempDir(t);
  const reported = await killAfterCommits(dir, 40);
  const store = await openStore(dir);
  t.teardown(() => store.close());
  const charged = await store.audit.list({ outcome: 'answered', limit: 1000 });
  const logged = new Set(charged.entries.map((e) => e.queryId));
  t.ok(
    reported.every((id) => logged.has(id)),
    'every commit the child saw return has its audit entry',
  );
  const recovered = await store.recoverReservations();
  t.ok(recovered.length <= 1, 'at most the one in-flight reservation was left open');
  t.notOk(
    recovered.some((id) => logged.has(id)),
    'no logged query was left merely reserved',
  );
  const spent = await store.ledger.spent({ buyer: 'alice', dataset: 'floods', period: '2026' });
  t.equal(spent.epsilon, 0.25 * logged.size, 'charges and answered entries match one to one');
  t.same(await store.audit.verify(), {
    ok: true,
    entries: logged.size + recovered.length,
  });
});
