import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../..', import.meta.url));
const loader = new URL('../../node_modules/@tapjs/typescript/dist/esm/import.mjs', import.meta.url);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI from source, as a user would run the built one, with only `env` set. */
function veil(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [`--import=${loader.href}`, 'src/cli/main.ts', ...args],
      {
        cwd: root,
        env: { PATH: process.env.PATH ?? '', TS_NODE_TRANSPILE_ONLY: '1', ...env },
        timeout: 120_000,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const dir = mkdtempSync(join(tmpdir(), 'veil-cli-'));
const good = readFileSync(join(root, 'policies/nyc311_street_flooding.yaml'), 'utf8');
const badFile = join(dir, 'bad.yaml');
writeFileSync(badFile, good.replace(/^k: \d+$/m, 'k: -3'));
const secret = 'cli-test-secret-that-is-long-enough-0123';

t.test('help, config, policy check: output and exit codes', async (t) => {
  const [help, check, checkBad, config, configBad, missing] = await Promise.all([
    veil(['--help']),
    veil(['policy', 'check', 'policies']),
    veil(['policy', 'check', 'policies/gulou_flooding.yaml', badFile, join(dir, 'none.yaml')]),
    veil(['config'], { VEIL_JWT_SECRET: secret, PORT: '9090' }),
    veil(['config'], { PORT: 'abc', LOG_LEVEL: 'loud', VEIL_JWT_SECRET: 'short-secret-value' }),
    veil(['token', '--sub', 'acme']),
  ]);

  t.equal(help.code, 0);
  for (const cmd of ['serve', 'ingest', 'token', 'audit', 'policy', 'config']) {
    t.match(help.stdout, new RegExp(`\\n  ${cmd}\\b`), `help lists ${cmd}`);
  }
  t.match(help.stdout, /First steps:/);
  t.match(help.stdout, /Exit codes: 0 success/);
  t.match(help.stdout, /3 an audit export that does not verify/);
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const table = readme.slice(readme.indexOf('## Operating Veil'), readme.indexOf('### Limits'));
  const variables = [...table.matchAll(/^\| `([A-Z_]+)` \|/gm)].map(([, name]) => name!);
  t.ok(variables.length >= 15, `${variables.length} variables in the README's table`);
  for (const v of variables) t.ok(help.stdout.includes(v), `--help names ${v}`);

  t.equal(check.code, 0, 'bundled policies are valid');
  t.match(
    check.stdout,
    /ok +policies\/nyc311_street_flooding\.yaml \(dataset nyc311_street_flooding/,
  );
  t.match(check.stdout, /ok +policies\/gulou_flooding\.yaml/);

  t.equal(checkBad.code, 1, 'an invalid file fails the check');
  t.match(checkBad.stdout, /ok +policies\/gulou_flooding\.yaml/);
  t.match(checkBad.stdout, new RegExp(`invalid ${badFile}\\n  - k: `));
  t.match(checkBad.stdout, /invalid .*none\.yaml\n  - no such file/);

  t.equal(config.code, 0);
  const effective = JSON.parse(config.stdout);
  t.equal(effective.port, 9090);
  t.equal(effective.host, '127.0.0.1', 'defaults applied');
  t.equal(effective.jwtSecret, 'set (hidden)');
  t.notOk(config.stdout.includes(secret), 'the secret is never printed');
  t.same(effective.telemetry, { enabled: false });

  t.equal(configBad.code, 2, 'bad configuration exits 2');
  t.match(configBad.stderr, /PORT: .*\(got "abc"\)/);
  t.match(configBad.stderr, /LOG_LEVEL: .*\(got "loud"\)/);
  t.match(configBad.stderr, /VEIL_JWT_SECRET: must be at least 32 characters\n/);
  t.notOk(configBad.stderr.includes('short-secret-value'), 'a bad secret is not echoed');

  t.equal(missing.code, 1, 'a missing required option exits 1');
  t.match(missing.stderr, /required option '--role <role>' not specified/);
});

t.test('each command explains itself; a mistyped one is an error', async (t) => {
  const commands = ['serve', 'ingest', 'token', 'audit verify', 'policy check'];
  const [typo, ...helps] = await Promise.all([
    veil(['srve']),
    ...commands.map((c) => veil([...c.split(' '), '--help'])),
  ]);
  const options: Record<string, string[]> = {
    ingest: ['--dataset <id>', '--source <csv>'],
    token: ['--sub <organisation>', '--role <role>', '--ttl <seconds>'],
    'audit verify': ['--key <pem>'],
  };
  for (const [i, cmd] of commands.entries()) {
    const run = helps[i]!;
    t.equal(run.code, 0, `${cmd} --help exits 0`);
    t.match(run.stdout, new RegExp(`^Usage: veil ${cmd}\\b`), `${cmd} has a usage line`);
    for (const o of options[cmd] ?? []) t.ok(run.stdout.includes(o), `${cmd} lists ${o}`);
  }
  t.equal(typo!.code, 1, 'a mistyped command exits 1 and starts nothing');
  t.match(typo!.stderr, /unknown command 'srve'[\s\S]*Did you mean serve\?/);
});
