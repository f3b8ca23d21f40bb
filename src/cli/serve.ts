import type { Config } from '../config/config.js';
import { startGateway } from '../gateway.js';
import { mintToken } from '../http/tokens.js';
import { startTelemetry } from '../telemetry/sdk.js';

/** `veil serve`: start, print the dev banner when the secret was generated, stop on signals. */
export async function serveCommand(config: Config): Promise<void> {
  const telemetry = startTelemetry(process.env);
  const gw = await startGateway(config);
  if (telemetry) gw.logger.info({ event: 'telemetry_started' }, 'OpenTelemetry SDK started');
  if (gw.generatedSecret) process.stdout.write(devBanner(gw.url, gw.jwtSecret));
  const stop = async (signal: string) => {
    gw.logger.info({ event: 'shutdown', signal }, 'shutting down');
    await gw.close();
    await telemetry?.shutdown();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

/** Development mode only: the generated secret, a ready token per role and a curl example. */
export function devBanner(url: string, secret: string): string {
  const hours = 12 * 3600;
  const buyer = mintToken(secret, 'demo-insurer', 'buyer', hours);
  const bureau = mintToken(secret, 'demo-bureau', 'bureau', hours);
  const auditor = mintToken(secret, 'demo-auditor', 'auditor', hours);
  const body = JSON.stringify({
    dataset: 'nyc311_street_flooding',
    groupBy: ['borough'],
    aggregates: [{ fn: 'count' }],
  });
  return [
    '',
    'Veil is running in development mode with a generated secret (set VEIL_JWT_SECRET to fix one):',
    `  VEIL_JWT_SECRET=${secret}`,
    'Tokens, valid 12 hours:',
    `  buyer   (demo-insurer): ${buyer}`,
    `  bureau  (demo-bureau):  ${bureau}`,
    `  auditor (demo-auditor): ${auditor}`,
    'Try:',
    `  curl -s ${url}/v1/query -H "Authorization: Bearer ${buyer}" \\`,
    `    -H 'Content-Type: application/json' -d '${body}'`,
    '',
    '',
  ].join('\n');
}
