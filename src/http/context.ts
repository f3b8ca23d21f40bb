import type { Logger } from 'pino';
import type { AuditKeys } from '../audit/signing.js';
import type { Config } from '../config/config.js';
import type { Enclave } from '../enclave/enclave.js';
import type { Store } from '../ledger/store.js';
import type { LoadedPolicy } from '../policy/load.js';
import type { PolicyRegistry } from '../policy/registry.js';
import type { RandomSource } from '../privacy/random.js';

/** Everything the routes use, built once at start and passed to buildServer. */
export interface GatewayContext {
  config: Config;
  jwtSecret: string;
  policies: ReadonlyMap<string, LoadedPolicy>;
  /** The versioned policies behind `policies`: the bureau's routes change them. */
  registry: PolicyRegistry;
  /** The audit log's Ed25519 signing keys. */
  auditKeys: AuditKeys;
  enclave: Enclave;
  store: Store;
  random: RandomSource;
  /** Where pino writes; tests pass a stream to inspect log lines. */
  logStream?: NodeJS.WritableStream;
  logger?: Logger;
}
