import type { AuditCheckpointTable } from '../ledger/bureau-schema.js';
import { bureauDb } from '../ledger/bureau-schema.js';
import type { Db } from '../ledger/schema.js';
import type { VerifyResult } from './verify.js';
import { verifyChain } from './verify.js';
import type { AuditKeys } from './signing.js';
import { checkSignature, signCheckpoint } from './signing.js';

/** A signed chain head as stored and exported. */
export interface Checkpoint {
  seq: number;
  hash: string;
  signature: string;
  at: string;
}

/** Entries between automatic checkpoints. */
export const CHECKPOINT_EVERY = 100;

function toCheckpoint(row: AuditCheckpointTable): Checkpoint {
  return { seq: row.seq, hash: row.hash, signature: row.signature, at: row.at };
}

/** Every checkpoint, oldest first. */
export async function listCheckpoints(db: Db): Promise<Checkpoint[]> {
  const rows = await bureauDb(db)
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('seq')
    .execute();
  return rows.map(toCheckpoint);
}

/**
 * Signs the current chain head unless it is already signed, or (with `every`)
 * unless fewer than `every` entries were appended since the last checkpoint.
 * Returns the newest checkpoint, if any.
 */
export async function checkpoint(
  db: Db,
  keys: AuditKeys,
  now: string,
  every = 1,
): Promise<Checkpoint | undefined> {
  const b = bureauDb(db);
  const head = await b.selectFrom('audit_head').select(['seq', 'hash']).executeTakeFirst();
  const last = await b
    .selectFrom('audit_checkpoints')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (head === undefined || head.seq === 0 || head.seq - (last?.seq ?? 0) < every) {
    return last && toCheckpoint(last);
  }
  const row = { seq: head.seq, hash: head.hash, at: now, signature: '' };
  row.signature = signCheckpoint(keys, head.seq, head.hash);
  await b
    .insertInto('audit_checkpoints')
    .values(row)
    .onConflict((oc) => oc.column('seq').doNothing())
    .execute();
  return row;
}

/** The chain check plus the checkpoint check, as GET /v1/audit/verify reports it. */
export type SignedVerifyResult =
  | { ok: true; entries: number; checkpoints: number; signedThrough: number }
  | { ok: false; brokenAt: number; reason: string };

/**
 * Recomputes the chain, then checks that each checkpoint's signature is valid
 * and that the entry at its seq still has the signed hash: rewriting an entry
 * and recomputing every later hash is caught at the first checkpoint after it.
 */
export async function verifySigned(db: Db, keys: AuditKeys): Promise<SignedVerifyResult> {
  const chain: VerifyResult = await verifyChain(db);
  if (!chain.ok) return chain;
  const checkpoints = await listCheckpoints(db);
  for (const cp of checkpoints) {
    const entry = await bureauDb(db)
      .selectFrom('audit_entries')
      .select('hash')
      .where('seq', '=', cp.seq)
      .executeTakeFirst();
    const broken = checkpointProblem(cp, entry?.hash, keys.publicKey);
    if (broken) return broken;
  }
  const signedThrough = checkpoints.at(-1)?.seq ?? 0;
  return { ok: true, entries: chain.entries, checkpoints: checkpoints.length, signedThrough };
}

/** Why a checkpoint fails against the entry hash at its seq, if it does. */
export function checkpointProblem(
  cp: Checkpoint,
  entryHash: string | undefined,
  publicKey: Parameters<typeof checkSignature>[0],
): { ok: false; brokenAt: number; reason: string } | undefined {
  if (!checkSignature(publicKey, cp.seq, cp.hash, cp.signature)) {
    return {
      ok: false,
      brokenAt: cp.seq,
      reason: `the checkpoint at entry ${cp.seq} has an invalid signature`,
    };
  }
  if (entryHash !== cp.hash) {
    return {
      ok: false,
      brokenAt: cp.seq,
      reason: `entry ${cp.seq}'s hash differs from the one signed at its checkpoint`,
    };
  }
  return undefined;
}
