import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * No Docker engine runs where the tests run, so the image is checked as
 * text: what the README promises of it (two stages, a non-root user, the
 * data volume, a health check on /health, the README's own steps) must be
 * in the Dockerfile, and everything it copies must exist.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Instructions, continuation lines joined, comments dropped, split into stages. */
function stages(text: string): string[][] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const out: string[][] = [];
  for (const l of lines) {
    if (/^FROM /i.test(l)) out.push([]);
    out.at(-1)?.push(l);
  }
  return out;
}

t.test('the Dockerfile is what the README says it is', async (t) => {
  const [build, runtime, ...more] = stages(dockerfile);
  t.equal(more.length, 0);
  t.ok(build && runtime, 'two stages');
  t.match(build![0]!, /^FROM node:20\S* AS build$/);
  t.ok(
    build!.some((l) => /^RUN .*\bnpm ci\b/.test(l)),
    'the build stage runs npm ci, as the README does',
  );
  t.ok(
    runtime!.some((l) => /^COPY --from=build \/app\/node_modules /.test(l)),
    'the runtime takes the pruned dependencies from the build',
  );
  t.notOk(
    runtime!.some((l) => /^RUN .*\b(npm|apt-get)\b/.test(l)),
    'no compilers at runtime',
  );

  const env = runtime!.filter((l) => l.startsWith('ENV ')).join(' ');
  const dataDir = /VEIL_DATA_DIR=(\S+)/.exec(env)?.[1];
  t.equal(dataDir, '/app/data');
  t.match(env, /HOST=0\.0\.0\.0/, 'listens beyond loopback in the container');
  t.match(env, /NODE_ENV=production/, 'a missing secret stops the start');
  const documented = new Set([...readme.matchAll(/^\| `([A-Z_]+)` \|/gm)].map(([, v]) => v));
  for (const [, name] of env.matchAll(/\b([A-Z_]+)=/g)) {
    t.ok(documented.has(name), `${name} is a documented variable`);
  }
  t.ok(runtime!.includes(`VOLUME ["${dataDir}"]`), 'the data directory is a volume');

  const user = runtime!.filter((l) => l.startsWith('USER '));
  t.same(user, ['USER node'], 'runs as the unprivileged node user');
  const userAt = runtime!.indexOf('USER node');
  const cmdAt = runtime!.findIndex((l) => l.startsWith('CMD '));
  t.ok(userAt >= 0 && userAt < cmdAt, 'the user is set before the command');
  t.ok(
    runtime!.some((l) => l.includes(`chown node:node ${dataDir}`)),
    'the volume is writable by that user',
  );

  const health = runtime!.find((l) => l.startsWith('HEALTHCHECK '));
  t.match(health, /\/health/, 'the health check asks /health');
  t.notMatch(health, /\bcurl\b|\bwget\b/, 'with Node itself: the slim image has no curl');
  t.match(runtime![cmdAt]!, /dist\/cli\/main\.js", "serve"\]$/, 'starts veil serve');

  for (const l of [...build!, ...runtime!].filter((x) => /^COPY (?!--from)/.test(x))) {
    const sources = l.split(/\s+/).slice(1, -1);
    for (const s of sources) t.ok(existsSync(join(root, s)), `${s} exists`);
  }
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['node_modules', 'dist', 'data']) t.ok(ignored.includes(p), `${p} not sent`);

  t.match(readme, /docker build -t veil \./);
  t.match(readme, new RegExp(`-v veil-data:${dataDir}`), 'the README mounts the same volume');
});
