import { randomFillSync } from 'node:crypto';

/**
 * Query ids in the UUID version 7 layout: 48 bits of milliseconds since the
 * epoch, then 74 random bits (node:crypto). A charge's id is the primary key
 * of the ledger's charge table and the register's, so ids that grow with time
 * land on the last index page instead of a random one, and a commit writes
 * one page where a random UUID made it write a page of its own per query.
 * The time part says when the query was asked, which its buyer knows and
 * the audit entry records anyway; the random part keeps ids unguessable.
 */
export function newQueryId(now: number = Date.now()): string {
  const b = Buffer.from(randomBytes16());
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (b[6]! & 0x0f);
  b[8] = 0x80 | (b[8]! & 0x3f);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Random bytes drawn from node:crypto a page at a time: one call per 256 ids, not one each. */
const pool = Buffer.alloc(4096);
let used = pool.length;

function randomBytes16(): Buffer {
  if (used + 16 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 16;
  return pool.subarray(used - 16, used);
}
