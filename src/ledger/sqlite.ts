import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase } from 'kysely';
import { BACKSTOP_CHECKPOINT_PAGES, startCheckpointer } from './checkpointer.js';
import { walFileSync, type FileSync } from './durability.js';
import type { Database } from './schema.js';

/** File name of the store inside the data directory. */
export const LEDGER_FILE = 'ledger.sqlite';

/** The ledger database and the flush that makes its commits durable. */
export interface SqliteLedger {
  db: Kysely<Database>;
  /**
   * fsyncs the write-ahead log: every commit made before the call reaches
   * the disk. Its close() also stops the checkpoint worker.
   */
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
 * Checkpoints run in a worker thread (src/ledger/checkpointer.ts), not in
 * the gateway's commits; `onCheckpointFailure` hears of a failed one.
 */
export function openSqliteLedger(
  dataDir: string,
  onCheckpointFailure: (code: string) => void = () => undefined,
): SqliteLedger {
  const path = join(dataDir, LEDGER_FILE);
  const file = new BetterSqlite3(path);
  file.pragma('journal_mode = WAL');
  file.pragma('synchronous = NORMAL');
  file.pragma('busy_timeout = 5000');
  file.pragma(`wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: cachingPrepare(file) }),
  });
  const wal = walFileSync(`${path}-wal`);
  const checkpointer = startCheckpointer(path, onCheckpointFailure);
  return {
    db,
    wal: {
      sync: wal.sync,
      close: async () => {
        await checkpointer.close();
        await wal.close();
      },
    },
  };
}

/** How many distinct statements stay prepared; the ledger's own SQL is far fewer. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * The database as Kysely's SQLite driver sees it, with prepared statements
 * reused by their SQL text. Kysely prepares every query anew, and preparing
 * cost more than running for the ledger's small statements; its SQL is
 * parameterized, so the hot path repeats a few dozen texts. A statement that
 * a streaming read is still iterating is busy: the next use of its text gets
 * a fresh one in its place. Past the size, the oldest text leaves first.
 */
function cachingPrepare(file: BetterSqlite3.Database): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => file.close(),
    prepare: (sql: string) => {
      let stmt = cache.get(sql);
      if (stmt === undefined || stmt.busy) {
        stmt = file.prepare(sql);
        cache.set(sql, stmt);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return stmt;
    },
  };
}
