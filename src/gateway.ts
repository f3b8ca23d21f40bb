import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { Enclave } from './enclave/enclave.js';
import { buildServer, createLogger } from './http/server.js';
import { enclaveExists, ingestAll } from './ingest/index.js';
import { openStore, type Store } from './ledger/store.js';
import { loadPolicies } from './policy/load.js';
import { PolicyRegistry } from './policy/registry.js';
import { checkpoint } from './audit/checkpoints.js';
import { loadAuditKeys } from './audit/signing.js';
import { cryptoSource, type RandomSource } from './privacy/random.js';

/** A started gateway: the Fastify app, where it listens and how to stop it. */
export interface RunningGateway {
  app: FastifyInstance;
  url: string;
  jwtSecret: string;
  /** True when no secret was configured and one was generated for this run. */
  generatedSecret: boolean;
  logger: Logger;
  /** The open enclave; tests use it to compare released values with the truth. */
  enclave: Enclave;
  /** The open ledger; tests read it and fault its durability barrier through it. */
  store: Store;
  close(): Promise<void>;
}

/** Extra pieces tests and the demo inject; production passes none. */
export interface StartOptions {
  logStream?: NodeJS.WritableStream;
  random?: RandomSource;
}

/**
 * Starts the gateway: validate policies (a bad one stops the start), ingest
 * the bundled data when the enclave is missing, open the enclave read-only
 * and the ledger, release reservations a crash left open, then listen.
 */
export async function startGateway(
  config: Config,
  opts: StartOptions = {},
): Promise<RunningGateway> {
  const logger = createLogger(config.logLevel, opts.logStream);
  const policies = loadPolicies(config.policyDir);
  mkdirSync(config.dataDir, { recursive: true });
  if (!enclaveExists(config.dataDir)) {
    logger.info({ event: 'ingest_start' }, 'no enclave yet: ingesting the bundled datasets');
    for (const r of await ingestAll(config.dataDir)) {
      logger.info(
        {
          event: 'ingest_done',
          dataset: r.dataset,
          rowsRead: r.rowsRead,
          rowsKept: r.rowsKept,
          rowsRejected: r.rowsRejected,
          rejectedBecause: rejectionCounts(r.rejections),
        },
        'ingested',
      );
    }
  }
  const enclave = await Enclave.open({
    dataDir: config.dataDir,
    threads: config.duckdbThreads,
    memoryLimit: config.duckdbMemory,
    timeoutMs: config.queryTimeoutMs,
  });
  const store = await openStore(config.dataDir, { logger });
  const recovered = await store.recoverReservations();
  if (recovered.length)
    logger.warn(
      { event: 'reservations_recovered', count: recovered.length },
      'released reservations left by a crash',
    );
  const registry = await PolicyRegistry.open(store.db, policies, undefined, enclave.columns).catch(
    async (err: unknown) => {
      await store.close();
      enclave.close();
      throw err;
    },
  );
  const auditKeys = loadAuditKeys(config.dataDir);
  await checkpoint(store.db, auditKeys, new Date().toISOString());
  const jwtSecret = config.jwtSecret ?? randomBytes(32).toString('base64url');
  const app = await buildServer({
    config,
    jwtSecret,
    policies: registry,
    registry,
    auditKeys,
    enclave,
    store,
    random: opts.random ?? cryptoSource,
    logger,
  });
  const address = await app.listen({ port: config.port, host: config.host });
  return {
    app,
    url: address,
    jwtSecret,
    generatedSecret: config.jwtSecret === undefined,
    logger,
    enclave,
    store,
    close: async () => {
      await app.close();
      await checkpoint(store.db, auditKeys, new Date().toISOString());
      await store.close();
      enclave.close();
    },
  };
}

/**
 * The reasons rows were rejected, with their counts, for the start-up log:
 * an operator sees why rows were dropped without running `veil ingest`.
 * Counts only, never a value, so the log stays free of enclave data.
 */
function rejectionCounts(rejections: readonly { reason: string; rows: number }[]) {
  return Object.fromEntries(rejections.filter((r) => r.rows > 0).map((r) => [r.reason, r.rows]));
}
