import { createSigner } from 'fast-jwt';
import type { Role } from './principal.js';

/**
 * Signs an HS256 token for an organisation and role. Used by the CLI, the
 * development start banner and the demo; buyers normally get tokens from
 * the operator.
 */
export function mintToken(secret: string, sub: string, role: Role, ttlSeconds = 3600): string {
  const sign = createSigner({ key: secret, algorithm: 'HS256', expiresIn: ttlSeconds * 1000 });
  return sign({ sub, role });
}
