import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readConfig } from '../config/config.js';
import { playSession } from '../demo/session.js';
import { startGateway } from '../gateway.js';
import { mintToken } from '../http/tokens.js';

/**
 * `veil demo`: against --url with --token (or a token minted from
 * VEIL_JWT_SECRET), or else against a gateway of its own on a free port
 * with a fresh data directory, so the demo never spends a real budget.
 */
export async function demoCommand(o: { url?: string; token?: string }): Promise<void> {
  const out = (s: string) => process.stdout.write(s);
  if (o.url) {
    const secret = process.env.VEIL_JWT_SECRET;
    const token = o.token ?? (secret ? mintToken(secret, 'demo-insurer', 'buyer') : undefined);
    if (!token) throw new Error('--url needs --token, or VEIL_JWT_SECRET to make one');
    await playSession(o.url.replace(/\/$/, ''), token, out);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'veil-demo-'));
  const secret = randomBytes(32).toString('base64url');
  try {
    const config = readConfig({
      ...process.env,
      NODE_ENV: 'development',
      PORT: '0',
      HOST: '127.0.0.1',
      VEIL_DATA_DIR: dir,
      VEIL_JWT_SECRET: secret,
      LOG_LEVEL: 'warn',
    });
    out(`Starting a gateway of its own on the bundled data (data in ${dir})...\n`);
    const gw = await startGateway(config);
    try {
      out(`Gateway at ${gw.url}; playing an insurer's session as buyer "demo-insurer".\n`);
      await playSession(gw.url, mintToken(secret, 'demo-insurer', 'buyer'), out);
    } finally {
      await gw.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
