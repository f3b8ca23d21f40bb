import { createHash } from 'node:crypto';
import { canonicalJson } from '../shared/canonical-json.js';
import type { HashedFields } from './entry.js';

/**
 * The entry's hash: sha256 (hex) of the canonical JSON of every column but
 * `hash`. It covers `seq` and `prev_hash`, so moving, editing or removing an
 * entry breaks the chain. A null `cached_from` is left out, so entries
 * written before that column existed keep their hashes.
 */
export function entryHash(fields: HashedFields): string {
  const { cached_from, ...rest } = fields;
  const hashed = cached_from === null || cached_from === undefined ? rest : fields;
  return createHash('sha256').update(canonicalJson(hashed), 'utf8').digest('hex');
}
