import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * Copies the ledger's write-ahead log back into the database file from a
 * worker thread, so that the gateway's own commits never do it. SQLite
 * otherwise checkpoints inside whichever COMMIT crosses the log's size
 * threshold: that commit writes back every page and fsyncs the database
 * file on the event loop, and it was most of the ledger's commit time under
 * load. A PASSIVE checkpoint takes no lock that a writer or a reader waits
 * for, so the worker runs beside the gateway's connection; its own
 * connection fsyncs the log before copying and the file after, as SQLite
 * always does.
 */

/** How often the worker checkpoints, in milliseconds. */
export const CHECKPOINT_INTERVAL_MS = 250;

/**
 * Log pages after which the gateway's connection checkpoints itself: a
 * backstop for a worker that has stopped or cannot keep up, far above what
 * one interval writes at full load.
 */
export const BACKSTOP_CHECKPOINT_PAGES = 20_000;

/** A running checkpointer; `close` stops it and waits for its connection to close. */
export interface Checkpointer {
  close(): Promise<void>;
}

const workerSource = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ failed: String((err && err.code) || 'unknown') });
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * Starts the worker on the ledger file at `path`. A failed checkpoint is
 * reported to `onFailure` by its SQLite code (never a value); the backstop
 * keeps the log bounded meanwhile.
 */
export function startCheckpointer(path: string, onFailure: (code: string) => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, {
    eval: true,
    workerData: { driver, path, everyMs: CHECKPOINT_INTERVAL_MS },
  });
  worker.unref();
  worker.on('message', (m: { failed?: string }) => {
    if (m.failed !== undefined) onFailure(m.failed);
  });
  worker.on('error', (err) => onFailure(err.name));
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  let closing: Promise<void> | undefined;
  return {
    close: () => {
      if (closing === undefined) {
        worker.ref();
        worker.postMessage('stop');
        closing = exited;
      }
      return closing;
    },
  };
}
