import type { AuditEntryTable, Db } from '../ledger/schema.js';
import { GENESIS_HASH } from '../ledger/schema.js';
import { entryHash } from './chain.js';
import type { Checkpoint } from './checkpoints.js';
import { checkpointProblem, listCheckpoints } from './checkpoints.js';

/**
 * The audit export: JSON Lines an auditor can check without the gateway. The
 * first line is a header with the public key; then every entry (stored
 * columns, snake_case, exactly as hashed) in seq order; then every checkpoint.
 */

/** Format tag of the header line; bumped only if the line shapes change. */
export const EXPORT_FORMAT = 'veil-audit-export/1';

const BATCH = 500;

/**
 * Yields the export's lines (without newlines), reading the log in batches,
 * up to and including entry `through` (the head just signed), so that
 * requests logged while the export runs cannot leave its end unsigned.
 */
export async function* exportLines(
  db: Db,
  publicPem: string,
  through: number,
): AsyncGenerator<string> {
  yield JSON.stringify({
    type: 'header',
    format: EXPORT_FORMAT,
    algorithm: 'ed25519',
    publicKey: publicPem,
  });
  let after = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_entries')
      .selectAll()
      .where('seq', '>', after)
      .where('seq', '<=', through)
      .orderBy('seq')
      .limit(BATCH)
      .execute();
    for (const row of rows) yield JSON.stringify({ type: 'entry', ...row });
    if (rows.length < BATCH) break;
    after = rows.at(-1)!.seq;
  }
  const checkpoints = (await listCheckpoints(db)).filter((cp) => cp.seq <= through);
  for (const cp of checkpoints) yield JSON.stringify({ type: 'checkpoint', ...cp });
}

/** The offline check's answer; `line` is 1-based in the export file. */
export type ExportVerifyResult =
  | { ok: true; entries: number; checkpoints: number; signedThrough: number }
  | { ok: false; brokenAt: number; line: number; reason: string };

interface WalkState {
  seq: number;
  hash: string;
  hashes: Map<number, string>;
  checkpoints: { cp: Checkpoint; line: number }[];
  publicKey: string | undefined;
}

type Broken = Extract<ExportVerifyResult, { ok: false }>;

/**
 * Recomputes the chain of an export and checks its checkpoint signatures.
 * `trustedKey` (PEM) should come from GET /v1/audit/key by another channel;
 * without it the header's own key is used. The whole log must be present
 * and must end at a signed checkpoint, so removing the newest entries shows.
 */
export function verifyExport(text: string, trustedKey?: string): ExportVerifyResult {
  const state: WalkState = {
    seq: 0,
    hash: GENESIS_HASH,
    hashes: new Map(),
    checkpoints: [],
    publicKey: trustedKey,
  };
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const broken = readLine(line, i + 1, state);
    if (broken) return broken;
  }
  return finish(state, lines.length);
}

function readLine(text: string, line: number, state: WalkState): Broken | undefined {
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { ok: false, brokenAt: state.seq + 1, line, reason: `line ${line} is not valid JSON` };
  }
  if (value.type === 'header') {
    state.publicKey ??= typeof value.publicKey === 'string' ? value.publicKey : undefined;
    return undefined;
  }
  if (value.type === 'checkpoint') {
    state.checkpoints.push({ cp: value as unknown as Checkpoint, line });
    return undefined;
  }
  if (value.type === 'entry') return readEntry(value, line, state);
  return { ok: false, brokenAt: state.seq + 1, line, reason: `line ${line} has no known type` };
}

function readEntry(
  value: Record<string, unknown>,
  line: number,
  state: WalkState,
): Broken | undefined {
  const { type: _t, hash, ...fields } = value;
  const seq = fields.seq;
  if (seq !== state.seq + 1) {
    const reason = `line ${line} holds entry ${String(seq)} where entry ${state.seq + 1} belongs`;
    return { ok: false, brokenAt: state.seq + 1, line, reason };
  }
  if (fields.prev_hash !== state.hash) {
    const reason = `entry ${seq}'s prev_hash does not match the hash of the entry before it`;
    return { ok: false, brokenAt: seq, line, reason };
  }
  let computed: string;
  try {
    computed = entryHash(fields as unknown as Omit<AuditEntryTable, 'hash'>);
  } catch {
    computed = '';
  }
  if (computed !== hash) {
    return {
      ok: false,
      brokenAt: seq,
      line,
      reason: `entry ${seq}'s contents do not match its hash`,
    };
  }
  state.seq = seq;
  state.hash = String(hash);
  state.hashes.set(seq, state.hash);
  return undefined;
}

function finish(state: WalkState, lines: number): ExportVerifyResult {
  if (state.publicKey === undefined) {
    return {
      ok: false,
      brokenAt: 0,
      line: 1,
      reason: 'the export has no header with a public key',
    };
  }
  for (const { cp, line } of state.checkpoints) {
    const broken = checkpointProblem(cp, state.hashes.get(cp.seq), state.publicKey);
    if (broken) return { ...broken, line };
  }
  const signedThrough = Math.max(0, ...state.checkpoints.map((c) => c.cp.seq));
  if (signedThrough !== state.seq) {
    const reason =
      `the log ends at entry ${state.seq} ` + `but the last signed head is entry ${signedThrough}`;
    return { ok: false, brokenAt: Math.min(signedThrough, state.seq) + 1, line: lines, reason };
  }
  return { ok: true, entries: state.seq, checkpoints: state.checkpoints.length, signedThrough };
}
