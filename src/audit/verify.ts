import type { AuditEntryTable, Db } from '../ledger/schema.js';
import { GENESIS_HASH } from '../ledger/schema.js';
import { entryHash } from './chain.js';

/** verify()'s answer: the whole chain holds, or where it first breaks and why. */
export type VerifyResult =
  { ok: true; entries: number } | { ok: false; brokenAt: number; reason: string };

const BATCH = 500;

/**
 * Walks the chain from the first entry and recomputes every hash. Reports the
 * first seq that is missing, whose prev_hash does not match the entry before,
 * or whose contents do not match its hash; then checks the chain ends where
 * the head row says, so removing the newest entries is caught too.
 */
export async function verifyChain(db: Db): Promise<VerifyResult> {
  const head = await db
    .selectFrom('audit_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  if (head === undefined)
    return { ok: false, brokenAt: 0, reason: 'the audit head row is missing' };
  let state = { seq: 0, hash: GENESIS_HASH };
  for (;;) {
    const rows = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('seq', '>', state.seq)
      .where('seq', '<=', head.seq)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    for (const row of rows) {
      const broken = checkLink(row, state);
      if (broken) return broken;
      state = { seq: row.seq, hash: row.hash };
    }
    if (rows.length < BATCH) break;
  }
  return checkEnd(head, state);
}

function checkLink(
  row: AuditEntryTable,
  before: { seq: number; hash: string },
): VerifyResult | undefined {
  if (row.seq !== before.seq + 1) {
    return { ok: false, brokenAt: before.seq + 1, reason: `entry ${before.seq + 1} is missing` };
  }
  if (row.prev_hash !== before.hash) {
    return {
      ok: false,
      brokenAt: row.seq,
      reason: `entry ${row.seq}'s prev_hash does not match the hash of the entry before it`,
    };
  }
  const { hash, ...fields } = row;
  if (entryHash(fields) !== hash) {
    return {
      ok: false,
      brokenAt: row.seq,
      reason: `entry ${row.seq}'s contents do not match its hash`,
    };
  }
  return undefined;
}

function checkEnd(
  head: { seq: number; hash: string },
  last: { seq: number; hash: string },
): VerifyResult {
  if (last.seq !== head.seq) {
    const first = last.seq + 1;
    return { ok: false, brokenAt: first, reason: `entries ${first} to ${head.seq} are missing` };
  }
  if (last.hash !== head.hash) {
    return {
      ok: false,
      brokenAt: head.seq,
      reason: `entry ${head.seq}'s hash differs from the chain head`,
    };
  }
  return { ok: true, entries: head.seq };
}
