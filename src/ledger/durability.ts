import { open, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { VeilError } from '../errors/registry.js';

/**
 * The ledger's durability barrier. Commits return once SQLite has written
 * them to the OS (synchronous=NORMAL, src/ledger/sqlite.ts); a barrier then
 * flushes them to the disk before any answer that depends on them leaves.
 * One flush serves every commit made before it started, so concurrent
 * requests share flushes instead of paying one each (group commit).
 */

/** Flushes every write made before the call to stable storage. */
export type SyncFn = () => Promise<void>;

/**
 * Resolves once every commit made before the call is on disk. Callers that
 * arrive while a flush is in flight wait for the next one: the running
 * flush may have started before their commit.
 */
export type DurabilityBarrier = () => Promise<void>;

interface Waiters {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function waiters(): Waiters {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Coalesces concurrent barrier calls onto as few `sync` calls as is safe: at
 * most one in flight, and at most one queued behind it for everyone who
 * arrived during it. A failed flush rejects exactly the callers it served.
 */
export function groupCommit(sync: SyncFn): DurabilityBarrier {
  let running: Promise<void> | undefined;
  let queued: Waiters | undefined;
  const launch = (): Promise<void> => {
    const flush = sync();
    running = flush;
    flush.then(settled, settled);
    return flush;
  };
  const settled = () => {
    running = undefined;
    const next = queued;
    queued = undefined;
    if (next) launch().then(next.resolve, next.reject);
  };
  return () => {
    if (running === undefined) return launch();
    queued ??= waiters();
    return queued.promise;
  };
}

/** A barrier for a store whose commits are durable when they return (no flush needed). */
export const alreadyDurable: DurabilityBarrier = () => Promise.resolve();

/** A flush that can also release the file it keeps open. */
export interface FileSync {
  sync: SyncFn;
  close(): Promise<void>;
}

/**
 * Flushes SQLite's write-ahead log `<db>-wal`, which holds every commit not
 * yet checkpointed into the database file (a checkpoint fsyncs the database
 * itself). The handle is kept open and reopened when the path names another
 * inode (SQLite deletes the log when the last connection closes); on Linux an
 * fsync through any descriptor flushes the whole inode. The directory is
 * flushed once per new inode so that the log's name survives a power loss.
 * A missing log means no commit is waiting in one: there is nothing to flush.
 * Only the log is opened: closing a descriptor of the database file would drop
 * the POSIX locks SQLite holds on it.
 */
export function walFileSync(walPath: string): FileSync {
  let handle: { fh: FileHandle; ino: number } | undefined;
  const reopen = async (ino: number) => {
    await handle?.fh.close();
    handle = undefined;
    const fh = await open(walPath, 'r');
    if ((await fh.stat()).ino !== ino) {
      await fh.close();
      return undefined;
    }
    await fsyncDirectory(dirname(walPath));
    handle = { fh, ino };
    return handle;
  };
  const sync = async () => {
    try {
      const ino = (await stat(walPath)).ino;
      const current = handle?.ino === ino ? handle : await reopen(ino);
      await current?.fh.sync();
    } catch (err) {
      if (isMissing(err)) return;
      throw new VeilError('VEIL_LEDGER_SYNC', 'the ledger could not be flushed to disk');
    }
  };
  return {
    sync,
    close: async () => {
      await handle?.fh.close();
      handle = undefined;
    },
  };
}

async function fsyncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

function isMissing(err: unknown): boolean {
  return typeof err === 'object' && err !== null && 'code' in err && err.code === 'ENOENT';
}
