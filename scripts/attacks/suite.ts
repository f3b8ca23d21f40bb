import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededSource, type RandomSource } from '../../src/privacy/random.js';
import { averaging } from './averaging.js';
import { differencing } from './differencing.js';
import {
  ingestGenerated,
  ingestWithout,
  pickTarget,
  startLabGateway,
  writePolicies,
  type LabGateway,
} from './lab.js';
import { precision } from './precision.js';
import { reconstruction } from './reconstruction.js';
import type { AttackFigure } from './report.js';

/** How big a run is; `npm run attacks` uses the large figures, the test the small ones. */
export interface SuiteOptions {
  /** Rows of the generated Gulou export behind D and D'. */
  rows: number;
  /** Rows of the small export behind reconstruction, averaging and the probe. */
  smallRows: number;
  trials: number;
  epsilon: number;
  averagingRounds: number;
  reconstructionQueries: number;
  simulations: number;
  precisionQueries: number;
  /** A seed for the gateways' noise (tests), or none for node:crypto (the script). */
  noiseSeed?: string;
  alpha: number;
  z: number;
  log?: (msg: string) => void;
}

/** Builds the worlds, starts three gateways, runs every attack and stops everything. */
export async function runAttacks(o: SuiteOptions): Promise<AttackFigure[]> {
  const work = mkdtempSync(join(tmpdir(), 'veil-attacks-'));
  const log = o.log ?? (() => {});
  const noise = (name: string): RandomSource | undefined =>
    o.noiseSeed === undefined ? undefined : seededSource(`${o.noiseSeed}-${name}`);
  const open: LabGateway[] = [];
  try {
    log(`ingesting D (${o.rows} rows), D' and a small set (${o.smallRows} rows)`);
    const csv = await ingestGenerated(join(work, 'd'), o.rows, 7);
    const target = pickTarget(csv);
    await ingestWithout(join(work, 'd-prime'), join(work, 'd'), csv, target);
    await ingestGenerated(join(work, 'small'), o.smallRows, 11);
    const big = writePolicies(join(work, 'policies-big'), 1e7);
    const capped = writePolicies(join(work, 'policies-20'), 20);
    const start = async (dir: string, policies: string) => {
      const g = await startLabGateway(join(work, dir), policies, noise(dir));
      open.push(g);
      return g;
    };
    const withTarget = await start('d', big);
    const withoutTarget = await start('d-prime', big);
    const small = await start('small', capped);
    log(`differencing: ${o.trials} trials x 3 variants`);
    const figures = await differencing({ withTarget, withoutTarget, ...o, seed: 1 });
    log('averaging');
    figures.push(...(await averaging({ gateway: small, rounds: o.averagingRounds, z: o.z })));
    log('reconstruction');
    figures.push(
      ...(await reconstruction({
        gateway: small,
        queries: o.reconstructionQueries,
        budget: 20,
        seed: 2,
        simulations: o.simulations,
        z: o.z,
      })),
    );
    log('precision probe');
    figures.push(
      ...(await precision({ gateway: small, queries: o.precisionQueries, alpha: o.alpha })),
    );
    return figures;
  } finally {
    for (const g of open) await g.close();
    rmSync(work, { recursive: true, force: true });
  }
}
