import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { saltFile } from './paths.js';

/**
 * The salt keys every unit id and row rank in the enclave. Without it a
 * unit id cannot be tied back to a phone number or address by hashing
 * guesses, so it is made from node:crypto, readable by the owner only, and
 * kept across ingests (a rerun must give the same unit ids and ranks).
 */

const saltPattern = /^[0-9a-f]{64}$/;

/** Returns the data directory's salt (64 hex characters), creating it on first use. */
export function loadOrCreateSalt(dataDir: string): string {
  const path = saltFile(dataDir);
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    chmodSync(path, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const salt = readFileSync(path, 'utf8').trim();
  if (!saltPattern.test(salt)) {
    throw new Error(`${path} must hold 64 lower-case hex characters; delete it to make a new salt`);
  }
  return salt;
}
