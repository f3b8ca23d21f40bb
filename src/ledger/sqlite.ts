import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';

/** File name of the store inside the data directory. */
export const LEDGER_FILE = 'ledger.sqlite';

/**
 * The one SQLite-specific file: opens `<dataDir>/ledger.sqlite` and wraps it in
 * Kysely. Everything else speaks Kysely, so a PostgreSQL dialect can replace
 * this adapter when several gateway replicas share one ledger.
 *
 * journal_mode=WAL lets readers (audit listing) run beside the writer.
 * synchronous=FULL makes every COMMIT fsync the WAL before it returns, and the
 * gateway sends an answer only after its charge and audit entry have committed:
 * so no committed charge or audit entry is ever lost, whether the process is
 * SIGKILLed (the write already reached the OS) or the machine itself loses power
 * right after (the write already reached the disk).
 */
export function openSqliteKysely(dataDir: string): Kysely<Database> {
  const file = new BetterSqlite3(join(dataDir, LEDGER_FILE));
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = FULL');
  file.pragma('busy_timeout = 5000');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
}
