import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { walFileSync, type FileSync } from './durability.js';
import type { Database } from './schema.js';

/** File name of the store inside the data directory. */
export const LEDGER_FILE = 'ledger.sqlite';

/** The ledger database and the flush that makes its commits durable. */
export interface SqliteLedger {
  db: Kysely<Database>;
  /** fsyncs the write-ahead log: every commit made before the call reaches the disk. */
  wal: FileSync;
}

/**
 * The one SQLite-specific file: opens `<dataDir>/ledger.sqlite` and wraps it in
 * Kysely. Everything else speaks Kysely, so a PostgreSQL dialect can replace
 * this adapter when several gateway replicas share one ledger.
 *
 * journal_mode=WAL lets readers (audit listing) run beside the writer.
 * synchronous=NORMAL makes a COMMIT return once its frames are in the OS, not
 * yet on the disk: a SIGKILL loses nothing, and a power loss can lose only the
 * last commits, never corrupt the file. The gateway therefore sends no answer
 * until the store's durability barrier (src/ledger/durability.ts) has fsynced
 * the WAL past its charge and audit entry; one fsync serves every request
 * waiting at that moment, instead of one or two fsyncs per request.
 */
export function openSqliteLedger(dataDir: string): SqliteLedger {
  const path = join(dataDir, LEDGER_FILE);
  const file = new BetterSqlite3(path);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  return { db, wal: walFileSync(`${path}-wal`) };
}
