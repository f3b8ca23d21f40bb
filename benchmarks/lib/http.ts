import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { mintToken } from '../../src/http/tokens.js';
import { LEDGER_FILE } from '../../src/ledger/sqlite.js';
import { round } from './stats.js';

/** One autocannon run: answered queries per second and latency. */
export interface HttpResult {
  target: string;
  mode: 'distinct' | 'repeat';
  connections: number;
  seconds: number;
  answeredPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

/** A gateway child process and what the benchmark needs to call it. */
export interface BenchServer {
  url: string;
  token: string;
  child: ChildProcess;
  /** Peak resident memory so far (VmHWM), in MiB. */
  peakRssMiB(): number;
  stop(): Promise<void>;
}

const secret = 'bench-secret-that-is-long-enough-0123456789';
const loader = ['--import', '@tapjs/typescript/import'];

/**
 * Starts the gateway on a data directory that already holds both datasets,
 * with an empty ledger: an earlier run's charges and audit entries would
 * make this run's figures depend on how many runs came before.
 */
export async function startServer(dataDir: string, policyDir: string): Promise<BenchServer> {
  for (const suffix of ['', '-wal', '-shm'])
    rmSync(join(dataDir, `${LEDGER_FILE}${suffix}`), { force: true });
  const child = fork(new URL('./server-child.ts', import.meta.url).pathname, [], {
    execArgv: loader,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: {
      ...process.env,
      TS_NODE_TRANSPILE_ONLY: '1',
      NODE_ENV: 'production',
      PORT: '0',
      HOST: '127.0.0.1',
      VEIL_DATA_DIR: dataDir,
      VEIL_POLICY_DIR: policyDir,
      VEIL_JWT_SECRET: secret,
      LOG_LEVEL: 'info',
      VEIL_RATE_LIMIT: '0',
    },
  });
  const [msg] = (await once(child, 'message')) as [{ url: string }];
  return {
    url: msg.url,
    token: mintToken(secret, 'bench-buyer', 'buyer', 24 * 3600),
    child,
    peakRssMiB: () => vmHwmMiB(child.pid!),
    async stop() {
      child.send('stop');
      await once(child, 'exit');
    },
  };
}

function vmHwmMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

/**
 * Epsilons handed out so far in distinct mode, across every run of this
 * process: a run that started its sequence again would ask what an earlier
 * run asked, and be answered from the store as a free repeat.
 */
let asked = 0;

/**
 * Loads POST /v1/query with one query shape. In `distinct` mode every
 * request asks with an epsilon no request of this benchmark used before, so
 * no answer is served from storage; in `repeat` mode every request is the
 * same body.
 */
export async function loadQuery(
  server: BenchServer,
  target: string,
  body: Record<string, unknown>,
  mode: 'distinct' | 'repeat',
  connections: number,
  seconds: number,
): Promise<HttpResult> {
  const fixed = JSON.stringify({ ...body, epsilon: 1 });
  const result = await autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/query',
        headers: {
          authorization: `Bearer ${server.token}`,
          'content-type': 'application/json',
        },
        setupRequest: (req) => {
          asked += 1;
          const epsilon = 0.5 + asked / 1e9;
          const text = mode === 'repeat' ? fixed : JSON.stringify({ ...body, epsilon });
          return { ...req, body: text };
        },
      },
    ],
  });
  return {
    target,
    mode,
    connections,
    seconds,
    answeredPerSecond: round(result['2xx'] / seconds, 1),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}
