import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { fetch } from 'undici';

// The main job as a new user meets it: `npm start` (veil serve) on a fresh
// data directory in development mode, `veil serve` refused in production
// without a secret, and `npm run demo` (veil demo) alone. The CLI runs from
// source, as test/cli/cli.test.ts runs it, with only the environment given.

const root = fileURLToPath(new URL('../..', import.meta.url));
const loader = new URL('../../node_modules/@tapjs/typescript/dist/esm/import.mjs', import.meta.url);
const baseEnv = { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: '1' };
const cliArgs = (args: string[]) => [`--import=${loader.href}`, 'src/cli/main.ts', ...args];

/** Runs a CLI command to its end. */
function veil(args: string[], env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      cliArgs(args),
      { cwd: root, env: { ...baseEnv, ...env }, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs a shell command line, as a user pastes it. */
function shell(line: string) {
  return new Promise<string>((resolve, reject) => {
    execFile('sh', ['-c', line], { timeout: 30_000 }, (err, stdout) =>
      err ? reject(err) : resolve(stdout),
    );
  });
}

/** The `ingest_done` JSON log line of one dataset, if the output has it. */
function ingestLine(lines: string[], dataset: string): Record<string, unknown> | undefined {
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    const entry = JSON.parse(line) as Record<string, unknown>;
    if (entry.event === 'ingest_done' && entry.dataset === dataset) return entry;
  }
  return undefined;
}

t.test('veil serve in development mode: ingest, secret, tokens, a curl that works', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-main-job-'));
  const child = spawn(process.execPath, cliArgs(['serve']), {
    cwd: root,
    env: { ...baseEnv, PORT: '0', HOST: '127.0.0.1', VEIL_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const lines: string[] = [];
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    rl.on('line', (line) => {
      lines.push(line);
      if (line.includes(" -d '{")) resolve();
    });
    void exited.then(([code]) => reject(new Error(`serve exited early (${code})`)));
  });

  t.match(ingestLine(lines, 'nyc311_street_flooding'), {
    rowsRead: 1000,
    rowsKept: 1000,
    rowsRejected: 0,
    rejectedBecause: {},
  });
  const gulou = ingestLine(lines, 'gulou_flooding');
  t.match(gulou, { rowsRead: 1593, rowsKept: 1543, rowsRejected: 50 });
  const reasons = (gulou?.rejectedBecause ?? {}) as Record<string, number>;
  t.same(Object.keys(reasons).sort(), [
    'bad_depth',
    'bad_phone',
    'bad_time',
    'duplicate',
    'end_before_start',
    'unknown_address',
  ]);
  t.equal(
    Object.values(reasons).reduce((a, b) => a + b, 0),
    50,
    'the reasons add up to the rejected rows',
  );

  const text = lines.join('\n');
  t.match(text, /development mode with a generated secret/);
  const secret = /VEIL_JWT_SECRET=(\S+)/.exec(text)?.[1];
  t.ok(secret && secret.length >= 32, 'the generated secret is printed');
  const token = (role: string) => new RegExp(`^  ${role} +\\([a-z-]+\\): +(\\S+)$`, 'm');
  const buyer = token('buyer').exec(text)?.[1] ?? '';
  const bureau = token('bureau').exec(text)?.[1] ?? '';
  const auditor = token('auditor').exec(text)?.[1] ?? '';
  const start = lines.findIndex((l) => l.trim().startsWith('curl '));
  t.ok(start > 0, 'a curl example is printed');
  const curl = lines.slice(start, start + 2).join('\n');
  const url = /curl -s (http:\/\/127\.0\.0\.1:\d+)\/v1\/query/.exec(curl)?.[1] ?? '';
  t.ok(url, 'on the port the gateway listens on');

  const answer = JSON.parse(await shell(curl)) as { rows: { borough: string; count: number }[] };
  t.same(
    answer.rows.map((r) => r.borough),
    ['BRONX', 'BROOKLYN', 'MANHATTAN', 'QUEENS', 'STATEN ISLAND'],
    'the curl example answers every borough',
  );
  t.ok(answer.rows.every((r) => Number.isInteger(r.count)));

  const get = async (path: string, tok: string) =>
    fetch(url + path, { headers: { authorization: `Bearer ${tok}` } });
  const catalogue = (await (await get('/v1/datasets', buyer)).json()) as {
    datasets: { id: string }[];
  };
  t.same(
    catalogue.datasets.map((d) => d.id).sort(),
    ['gulou_flooding', 'nyc311_street_flooding'],
    'both datasets are served',
  );
  t.equal((await get('/v1/budget', buyer)).status, 200, 'the buyer token is a buyer');
  t.equal((await get('/v1/audit/entries', auditor)).status, 200, 'the auditor token audits');
  t.equal((await get('/v1/budget', bureau)).status, 403, 'the bureau token has no budget');
  t.equal((await get('/v1/policies/gulou_flooding', bureau)).status, 200, 'but reads policies');

  child.kill('SIGTERM');
  const [code] = await exited;
  t.equal(code, 0, 'SIGTERM stops it cleanly');
});

t.test('veil serve in production without a secret does not start', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-main-job-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = await veil(['serve'], { NODE_ENV: 'production', PORT: '0', VEIL_DATA_DIR: dir });
  t.equal(run.code, 2, 'bad configuration');
  t.match(run.stderr, /VEIL_JWT_SECRET: required when NODE_ENV=production/);
  t.notMatch(run.stdout, /listening|VEIL_JWT_SECRET=/, 'nothing served, no secret printed');
});

t.test('veil demo alone prints the insurer tables, a refusal and the budget left', async (t) => {
  const run = await veil(['demo'], {});
  t.equal(run.code, 0, run.stderr);
  const out = run.stdout;
  const dir = /data in (\S+)\)/.exec(out)?.[1];
  t.ok(dir && !existsSync(dir), 'its own data directory is removed afterwards');
  const sections = out.split('\n== ').slice(1);
  t.equal(sections.length, 8, 'six tables, the refusal and the budget');
  for (const section of sections.slice(0, 6)) {
    const title = section.split('\n')[0];
    const footer = /epsilon ([\d.]+), delta [\d.e-]+; noise scale .+; groups released (\d+)/.exec(
      section,
    );
    t.ok(footer, `${title}: answered with its noise scale and released groups`);
    t.ok(Number(footer?.[1]) > 0, `${title}: charged`);
    t.ok(Number(footer?.[2]) > 0, `${title}: groups released`);
    t.notMatch(section, /refused/, `${title}: not refused`);
  }
  t.match(sections[0], /BRONX[\s\S]*STATEN ISLAND/, 'every borough');
  t.match(sections[3], /community +severe_calls/);
  t.match(sections[6], /HTTP 400 VEIL_QUERY_IDENTIFIER: .*use a dimension/);
  t.match(sections[7], /gulou_flooding +\d{4} +\d+ +20 +\d+/);
  t.match(sections[7], /nyc311_street_flooding +\d{4} +\d+ +20 +\d+/);
});
