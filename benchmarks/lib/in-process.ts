import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Enclave } from '../../src/enclave/enclave.js';
import { openStore } from '../../src/ledger/store.js';
import { loadPolicies } from '../../src/policy/load.js';
import { checkQuery } from '../../src/policy/check.js';
import { cryptoSource } from '../../src/privacy/random.js';
import { answerQuery, type AnswerContext } from '../../src/query/answer.js';
import { queryRequest } from '../../src/query/request.js';
import { withHugeBudgets } from './bench-policies.js';
import { benchQueries, type BenchQuery } from './queries.js';
import { quantile, round } from './stats.js';

/** One line of the `inProcess` section: medians, plus the p95s beside them. */
export interface InProcessResult {
  query: string;
  rows: number;
  veilMs: number;
  rawMs: number;
  ratio: number;
  veilP95Ms: number;
  rawP95Ms: number;
  samples: number;
}

const origin = (i: number) => ({
  principal: { sub: 'bench-buyer', role: 'buyer' as const },
  requestId: `bench-${i}`,
  route: '/v1/query',
  method: 'POST',
  text: 'benchmark',
});

/**
 * Times Veil's whole answer path (parse, check, plan, reserve, rewrite,
 * enclave, noise, release, commit and audit) against the plain aggregation
 * on the same enclave connections, alternating which goes first so that
 * caches and contention fall on both alike. Each Veil call asks with another
 * epsilon, so no answer cache can serve it.
 */
export async function runInProcess(
  dataDir: string,
  rows: number,
  rounds: number,
  policyDir: string,
): Promise<InProcessResult[]> {
  const policies = withHugeBudgets(loadPolicies(policyDir));
  const enclave = await Enclave.open({ dataDir, threads: 2, memoryLimit: '2GB' });
  const ledgerDir = mkdtempSync(
    join(process.env.VEIL_BENCH_LEDGER_DIR ?? tmpdir(), 'veil-bench-ledger-'),
  );
  const store = await openStore(ledgerDir);
  const ctx: AnswerContext = { enclave, store, random: cryptoSource };
  let calls = 0;
  const veil = async (q: BenchQuery) => {
    calls += 1;
    const epsilon = 1 + (calls % 1000) / 1000;
    const checked = checkQuery(queryRequest.parse({ ...q.request, epsilon }), policies);
    await answerQuery(ctx, checked, origin(calls));
  };
  const raw = (q: BenchQuery) => enclave.run(q.rawSql, q.rawParams);
  try {
    const out: InProcessResult[] = [];
    for (const q of benchQueries) out.push(await measure(q, rows, rounds, veil, raw));
    return out;
  } finally {
    await store.close();
    enclave.close();
    rmSync(ledgerDir, { recursive: true, force: true });
  }
}

async function measure(
  q: BenchQuery,
  rows: number,
  rounds: number,
  veil: (q: BenchQuery) => Promise<unknown>,
  raw: (q: BenchQuery) => Promise<unknown>,
): Promise<InProcessResult> {
  const veilMs: number[] = [];
  const rawMs: number[] = [];
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return performance.now() - t0;
  };
  for (let i = 0; i < 2; i++) {
    await veil(q);
    await raw(q);
  }
  for (let i = 0; i < rounds; i++) {
    if (i % 2 === 0) {
      veilMs.push(await time(() => veil(q)));
      rawMs.push(await time(() => raw(q)));
    } else {
      rawMs.push(await time(() => raw(q)));
      veilMs.push(await time(() => veil(q)));
    }
  }
  const v = quantile(veilMs, 0.5);
  const r = quantile(rawMs, 0.5);
  return {
    query: q.name,
    rows,
    veilMs: round(v),
    rawMs: round(r),
    ratio: round(v / r, 3),
    veilP95Ms: round(quantile(veilMs, 0.95)),
    rawP95Ms: round(quantile(rawMs, 0.95)),
    samples: rounds,
  };
}
