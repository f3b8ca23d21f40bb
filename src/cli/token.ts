import type { Config } from '../config/config.js';
import { mintToken } from '../http/tokens.js';
import { roles, type Role } from '../http/principal.js';

/** `veil token`: prints a token signed with the configured secret. */
export function tokenCommand(config: Config, o: { sub: string; role: string; ttl: number }): void {
  if (!config.jwtSecret)
    throw new Error("VEIL_JWT_SECRET is not set; tokens need the gateway's secret");
  if (!(roles as readonly string[]).includes(o.role)) {
    throw new Error(`--role must be one of ${roles.join(', ')}`);
  }
  process.stdout.write(`${mintToken(config.jwtSecret, o.sub, o.role as Role, o.ttl)}\n`);
}
