import { formatTable } from './report.js';
import { runAttacks } from './suite.js';

/**
 * `npm run attacks`: the measured attacks at full size against gateways
 * drawing noise from node:crypto, printed as a table. VEIL_ATTACK_TRIALS
 * changes the differencing trials. Exits 1 when a figure breaks its bound.
 */
const t0 = performance.now();
const figures = await runAttacks({
  rows: 1593,
  smallRows: 400,
  trials: Number(process.env.VEIL_ATTACK_TRIALS ?? 1000),
  epsilon: 0.5,
  averagingRounds: 10,
  reconstructionQueries: 122,
  simulations: 200,
  precisionQueries: 150,
  alpha: 1e-6,
  z: 4.75,
  log: (msg) =>
    process.stderr.write(`[attacks ${Math.round((performance.now() - t0) / 1000)} s] ${msg}\n`),
});
process.stdout.write(`${formatTable(figures)}\n`);
if (figures.some((f) => !f.pass)) process.exitCode = 1;
