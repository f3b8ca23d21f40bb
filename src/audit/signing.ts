import type { KeyObject } from 'node:crypto';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** File of the audit signing key (PKCS#8 PEM) inside the data directory. */
export const SIGNING_KEY_FILE = 'audit-signing-key.pem';

/** Ed25519 keys of the audit log: the private half signs, the public half is published. */
export interface AuditKeys {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The public key as SPKI PEM, as GET /v1/audit/key publishes it. */
  publicPem: string;
}

/**
 * Loads the signing key from the data directory, creating it (mode 0600) the
 * first time, so checkpoints signed before a restart still verify after it.
 */
export function loadAuditKeys(dataDir: string): AuditKeys {
  const file = join(dataDir, SIGNING_KEY_FILE);
  if (!existsSync(file)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
  }
  const privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  const publicKey = createPublicKey(privateKey);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, publicKey, publicPem };
}

/** The exact bytes a checkpoint signs: a fixed prefix, the seq and the entry hash. */
export function checkpointMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`veil-audit-checkpoint:${seq}:${hash}`, 'utf8');
}

/** Signs a chain head; the signature is base64. */
export function signCheckpoint(keys: AuditKeys, seq: number, hash: string): string {
  return sign(null, checkpointMessage(seq, hash), keys.privateKey).toString('base64');
}

/** True when `signature` is the key's signature of the head (seq, hash). */
export function checkSignature(
  publicKey: KeyObject | string,
  seq: number,
  hash: string,
  signature: string,
): boolean {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  try {
    return verify(null, checkpointMessage(seq, hash), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}
