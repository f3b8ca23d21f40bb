import { z } from 'zod';

/**
 * The gateway's configuration, read once from the environment at start and
 * frozen. A bad value stops the start with a message naming the variable:
 * a privacy gateway that guesses its settings is worse than one that does
 * not start.
 */
const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  VEIL_DATA_DIR: z.string().min(1).default('./data'),
  VEIL_POLICY_DIR: z.string().min(1).default('./policies'),
  VEIL_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  VEIL_JWT_PUBLIC_KEYS: z.string().min(1).optional(),
  VEIL_JWKS_FILE: z.string().min(1).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VEIL_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).default(2),
  VEIL_DUCKDB_MEMORY: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 2GB')
    .default('2GB'),
  VEIL_BODY_LIMIT: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
  // The parser refuses texts past 100,000 code points whatever this says.
  VEIL_SQL_MAX_LENGTH: z.coerce.number().int().min(100).max(100_000).default(20_000),
  VEIL_QUERY_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(10_000),
  VEIL_RATE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(1200),
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  policyDir: string;
  jwtSecret: string | undefined;
  /** `kid=file.pem` pairs of RS256/EdDSA public keys, comma-separated. */
  jwtPublicKeys: string | undefined;
  /** A JWKS file of RS256/EdDSA public keys, each with a `kid`. */
  jwksFile: string | undefined;
  logLevel: string;
  duckdbThreads: number;
  duckdbMemory: string;
  bodyLimit: number;
  /** Longest SQL text accepted, in UTF-16 code units. */
  sqlMaxLength: number;
  /** Enclave time one query may take before it is cancelled. */
  queryTimeoutMs: number;
  /** Requests per minute per authenticated caller; 0 turns the limit off. */
  rateLimit: number;
}>;

/** Raised for a bad environment; the message lists each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`bad configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** One bad variable: its name, the rule, and the value received unless it is a secret. */
function problemOf(env: NodeJS.ProcessEnv, issue: z.core.$ZodIssue): string {
  const name = issue.path.join('.');
  const value = env[name];
  const shown = value === undefined || /SECRET/.test(name) ? '' : ` (got ${JSON.stringify(value)})`;
  return `${name}: ${issue.message}${shown}`;
}

/** Parses the environment (process.env by default) into a frozen Config. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => problemOf(env, i)));
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && !e.VEIL_JWT_SECRET) {
    throw new ConfigError(['VEIL_JWT_SECRET: required when NODE_ENV=production']);
  }
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    dataDir: e.VEIL_DATA_DIR,
    policyDir: e.VEIL_POLICY_DIR,
    jwtSecret: e.VEIL_JWT_SECRET,
    jwtPublicKeys: e.VEIL_JWT_PUBLIC_KEYS,
    jwksFile: e.VEIL_JWKS_FILE,
    logLevel: e.LOG_LEVEL,
    duckdbThreads: e.VEIL_DUCKDB_THREADS,
    duckdbMemory: e.VEIL_DUCKDB_MEMORY,
    bodyLimit: e.VEIL_BODY_LIMIT,
    sqlMaxLength: e.VEIL_SQL_MAX_LENGTH,
    queryTimeoutMs: e.VEIL_QUERY_TIMEOUT_MS,
    rateLimit: e.VEIL_RATE_LIMIT,
  });
}
