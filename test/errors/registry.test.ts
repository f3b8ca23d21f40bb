import { readFileSync } from 'node:fs';
import t from 'tap';
import { errorRegistry, VeilError } from '../../src/errors/registry.js';

const root = new URL('../../', import.meta.url).pathname;
const codesIn = (file: string) =>
  new Set(
    [...readFileSync(root + file, 'utf8').matchAll(/^\| `(VEIL_[A-Z_]+)` \| \d{3} \|/gm)].map(
      (m) => m[1]!,
    ),
  );

t.test('docs/errors.md and the README list exactly the registry codes', async (t) => {
  const codes = new Set(Object.keys(errorRegistry));
  for (const file of ['docs/errors.md', 'README.md']) {
    const documented = codesIn(file);
    t.same(
      [...codes].filter((c) => !documented.has(c)),
      [],
      `${file} lists every code`,
    );
    t.same(
      [...documented].filter((c) => !codes.has(c)),
      [],
      `${file} lists no retired code`,
    );
  }
});

t.test('a VeilError carries the registry status and serializes its detail', async (t) => {
  const e = new VeilError('VEIL_BUDGET_EXHAUSTED', 'too much', { path: ['epsilon'] });
  t.equal(e.status, 429);
  t.same(e.toBody(), {
    error: { code: 'VEIL_BUDGET_EXHAUSTED', message: 'too much', path: ['epsilon'] },
  });
});
