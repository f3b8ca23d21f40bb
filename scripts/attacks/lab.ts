import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fetch } from 'undici';
import { parse, stringify } from 'yaml';
import { readConfig } from '../../src/config/config.js';
import { startGateway, type RunningGateway } from '../../src/gateway.js';
import { mintToken } from '../../src/http/tokens.js';
import { generateGulou, ingestDataset, saltFile } from '../../src/ingest/index.js';
import type { RandomSource } from '../../src/privacy/random.js';

/**
 * The attack lab: Gulou data whose truth is known, ingested into data
 * directories of its own, and live gateways over real HTTP that an attacker
 * queries like any buyer. Nothing here reaches into the gateway's answers;
 * the truth is read from the enclave only to score the attacks.
 */

export const gulou = 'gulou_flooding';
const secret = 'attack-lab-secret-that-is-long-enough-0123456789';
const bundledPolicies = new URL('../../policies/', import.meta.url).pathname;

/** A live gateway and a way to ask it questions as a buyer. */
export interface LabGateway {
  gw: RunningGateway;
  /** POSTs a query as `buyer`; the status and the parsed answer. */
  ask(body: unknown, buyer?: string): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

/**
 * Writes the bundled policies to `dir` with the Gulou budget replaced, so
 * that an attacker can run as many trials as the measurement needs.
 */
export function writePolicies(dir: string, perBuyerEpsilon: number): string {
  mkdirSync(dir, { recursive: true });
  for (const file of readdirSync(bundledPolicies)) {
    const policy = parse(readFileSync(join(bundledPolicies, file), 'utf8')) as Record<string, any>;
    if (policy.dataset === gulou) {
      policy.budgets = {
        period: 'year',
        buyers: {},
        perBuyer: { epsilon: perBuyerEpsilon, delta: 0.5 },
        dataset: { epsilon: 1e9, delta: 0.9 },
      };
    }
    writeFileSync(join(dir, file), stringify(policy));
  }
  return dir;
}

/** Starts a gateway on `dataDir` with rate limits off and logs discarded. */
export async function startLabGateway(
  dataDir: string,
  policyDir: string,
  random?: RandomSource,
): Promise<LabGateway> {
  const config = readConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    VEIL_DATA_DIR: dataDir,
    VEIL_POLICY_DIR: policyDir,
    VEIL_JWT_SECRET: secret,
    VEIL_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
  });
  const sink = new PassThrough();
  sink.resume();
  const gw = await startGateway(config, { logStream: sink, ...(random ? { random } : {}) });
  const tokens = new Map<string, string>();
  return {
    gw,
    async ask(body, buyer = 'attacker') {
      if (!tokens.has(buyer)) tokens.set(buyer, mintToken(secret, buyer, 'buyer', 86_400));
      const res = await fetch(`${gw.url}/v1/query`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${tokens.get(buyer)}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    },
    close: () => gw.close(),
  };
}

/** Generates a Gulou export of `rows` rows and ingests it (and the bundled NYC set) into `dir`. */
export async function ingestGenerated(dir: string, rows: number, seed: number): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const csv = join(dir, 'gulou.csv');
  await generateGulou({ rows, seed, out: csv });
  await ingestCsv(dir, csv);
  return csv;
}

/** Ingests `csv` as the Gulou dataset into `dir`, with the bundled NYC set beside it. */
export async function ingestCsv(dir: string, csv: string): Promise<void> {
  await ingestDataset({ dataset: 'nyc311_street_flooding', dataDir: dir });
  await ingestDataset({ dataset: gulou, dataDir: dir, source: csv });
}

/** The severity band the ingest derives from a depth in centimetres. */
function band(depth: number): string {
  return depth < 15 ? 'mild' : depth <= 40 ? 'moderate' : 'severe';
}

/** A caller whose removal changes exactly two rows of one (community-free) address and band. */
export interface Target {
  phone: string;
  address: string;
  severity: string;
}

/**
 * Picks the first caller of `csv` with exactly two plain lines, both at the
 * same address with depths in the same band: removing that caller changes
 * one cell by 2, the count sensitivity at two contributions per unit, so the
 * attack is as strong as the policy allows.
 */
export function pickTarget(csv: string): Target {
  const lines = readFileSync(csv, 'utf8').split('\n').slice(1).filter(Boolean);
  const byPhone = new Map<string, string[][]>();
  for (const line of lines) {
    if (line.includes('"')) continue;
    const f = line.split(',');
    if (f.length !== 9 || !/^1[3-9][0-9]{9}$/.test(f[2]!)) continue;
    byPhone.set(f[2]!, [...(byPhone.get(f[2]!) ?? []), f]);
  }
  for (const [phone, rows] of byPhone) {
    const mentions = lines.filter((l) => l.replace(/[ -]/g, '').includes(phone)).length;
    if (rows.length !== 2 || mentions !== 2) continue;
    const [a, b] = rows as [string[], string[]];
    const da = Number(a[8]);
    const db = Number(b[8]);
    if (a[8] === '' || b[8] === '' || !(da >= 0 && db >= 0)) continue;
    if (a[3] !== b[3] || band(da) !== band(db)) continue;
    return { phone, address: a[3]!, severity: band(da) };
  }
  throw new Error('no caller with two lines at one address and band');
}

/**
 * Makes D' = D without every line of the target into `dir`, with D's salt,
 * so that every other unit keeps its id and row ranks: D and D' then differ
 * by exactly the target's rows, the neighbour relation of docs/privacy.md.
 */
export async function ingestWithout(dir: string, fromDir: string, csv: string, target: Target) {
  mkdirSync(dir, { recursive: true });
  copyFileSync(saltFile(fromDir), saltFile(dir));
  const kept = readFileSync(csv, 'utf8')
    .split('\n')
    .filter((l) => !l.replace(/[ -]/g, '').includes(target.phone));
  const out = join(dir, 'gulou-without.csv');
  writeFileSync(out, kept.join('\n'));
  await ingestCsv(dir, out);
}

/** Bounded row counts (what a count query sees) per `keys`, from the enclave. */
export async function truthCounts(
  gw: RunningGateway,
  keys: string[],
): Promise<Map<string, number>> {
  const m = (await gw.enclave.run(
    `SELECT ${keys.join(', ')}, count(*) FROM ${gulou} WHERE row_rank <= 2 GROUP BY ALL`,
    [],
  )) as unknown[][];
  return new Map(m.map((r) => [r.slice(0, -1).join('|'), Number(r[r.length - 1])]));
}
