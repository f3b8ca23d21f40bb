import type { TokenOrHeader } from '@fastify/jwt';
import type { FastifyRequest } from 'fastify';
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config.js';

/** The asymmetric algorithms Veil verifies, besides HS256 with the gateway's secret. */
export const publicKeyAlgorithms = ['RS256', 'EdDSA'] as const;
export type PublicKeyAlgorithm = (typeof publicKeyAlgorithms)[number];

/** A verification key named by its `kid`, usable only with the algorithm of its type. */
export interface PublicKeyEntry {
  kid: string;
  alg: PublicKeyAlgorithm;
  /** SPKI PEM, the form fast-jwt verifies with. */
  pem: string;
}

/**
 * Reads the asymmetric keys named by the configuration: `kid=file.pem`
 * pairs and a JWKS file. Several keys may be valid at once, so an issuer
 * rotates by adding the new kid before retiring the old one. A bad file or
 * key stops the start with a message naming the variable and the kid.
 */
export function loadPublicKeys(opts: { publicKeys?: string; jwksFile?: string }): PublicKeyEntry[] {
  const entries = [
    ...(opts.publicKeys ? pemEntries(opts.publicKeys) : []),
    ...(opts.jwksFile ? jwksEntries(opts.jwksFile) : []),
  ];
  const seen = new Set<string>();
  for (const e of entries) {
    if (seen.has(e.kid)) throw new ConfigError([`JWT keys: kid "${e.kid}" is given twice`]);
    seen.add(e.kid);
  }
  return entries;
}

function pemEntries(list: string): PublicKeyEntry[] {
  const where = 'VEIL_JWT_PUBLIC_KEYS';
  return list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((item) => {
      const eq = item.indexOf('=');
      if (eq < 1 || eq === item.length - 1) {
        throw new ConfigError([`${where}: "${item}" must be kid=path/to/public-key.pem`]);
      }
      const kid = item.slice(0, eq);
      const file = item.slice(eq + 1);
      const pem = readText(where, file);
      let key: KeyObject;
      try {
        key = createPublicKey(pem);
      } catch {
        throw new ConfigError([`${where}: ${file} (kid "${kid}") is not a PEM public key`]);
      }
      return entryOf(where, kid, key);
    });
}

function jwksEntries(file: string): PublicKeyEntry[] {
  const where = 'VEIL_JWKS_FILE';
  let doc: unknown;
  try {
    doc = JSON.parse(readText(where, file));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError([`${where}: ${file} is not valid JSON`]);
  }
  const keys = (doc as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new ConfigError([`${where}: ${file} must be {"keys": [...]} with at least one key`]);
  }
  return keys.map((jwk: JsonWebKey & { kid?: unknown; alg?: unknown }, i) => {
    const kid = typeof jwk.kid === 'string' && jwk.kid ? jwk.kid : undefined;
    if (!kid) throw new ConfigError([`${where}: keys[${i}] has no "kid"`]);
    if (jwk.d !== undefined) {
      throw new ConfigError([
        `${where}: kid "${kid}" holds private key material; publish public keys only`,
      ]);
    }
    let key: KeyObject;
    try {
      key = createPublicKey({ key: jwk, format: 'jwk' });
    } catch {
      throw new ConfigError([`${where}: kid "${kid}" is not a valid RSA or Ed25519 public JWK`]);
    }
    const entry = entryOf(where, kid, key);
    if (jwk.alg !== undefined && jwk.alg !== entry.alg) {
      throw new ConfigError([
        `${where}: kid "${kid}" says alg ${String(jwk.alg)}; its key is for ${entry.alg}`,
      ]);
    }
    return entry;
  });
}

function entryOf(where: string, kid: string, key: KeyObject): PublicKeyEntry {
  const type = key.asymmetricKeyType;
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  if (type === 'ed25519') return { kid, alg: 'EdDSA', pem };
  if (type === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 2048)
      throw new ConfigError([`${where}: kid "${kid}" is a ${bits}-bit RSA key; at least 2048`]);
    return { kid, alg: 'RS256', pem };
  }
  throw new ConfigError([
    `${where}: kid "${kid}" is a ${type ?? 'unknown'} key; use RSA (RS256) or Ed25519 (EdDSA)`,
  ]);
}

function readText(where: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError([`${where}: cannot read ${file}`]);
  }
}

/**
 * The key for a token, chosen from its header: HS256 gets the gateway's
 * secret and nothing else; RS256 and EdDSA get the public key of the token's
 * `kid` only when that key is of the token's algorithm. So `alg: none` finds
 * no key and an RS256 public key is never used as an HMAC secret.
 */
export function keyChooser(secret: string, entries: readonly PublicKeyEntry[]) {
  const byKid = new Map(entries.map((e) => [e.kid, e]));
  return async (_req: FastifyRequest, decoded: TokenOrHeader): Promise<string> => {
    const header = 'header' in decoded ? decoded.header : undefined;
    const alg: unknown = header?.alg;
    if (alg === 'HS256') return secret;
    const kid: unknown = header?.kid;
    const entry = typeof kid === 'string' ? byKid.get(kid) : undefined;
    if (!entry || entry.alg !== alg)
      throw Object.assign(new Error('no key for this token'), { code: 'VEIL_NO_KEY' });
    return entry.pem;
  };
}
