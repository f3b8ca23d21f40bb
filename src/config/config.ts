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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VEIL_DUCKDB_THREADS: z.coerce.number().int().min(1).max(256).default(2),
  VEIL_DUCKDB_MEMORY: z
    .string()
    .regex(/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i, 'must be a size such as 2GB')
    .default('2GB'),
  VEIL_BODY_LIMIT: z.coerce.number().int().min(1024).max(10_485_760).default(65_536),
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  dataDir: string;
  policyDir: string;
  jwtSecret: string | undefined;
  logLevel: string;
  duckdbThreads: number;
  duckdbMemory: string;
  bodyLimit: number;
}>;

/** Raised for a bad environment; the message lists each bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`bad configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (process.env by default) into a frozen Config. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
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
    logLevel: e.LOG_LEVEL,
    duckdbThreads: e.VEIL_DUCKDB_THREADS,
    duckdbMemory: e.VEIL_DUCKDB_MEMORY,
    bodyLimit: e.VEIL_BODY_LIMIT,
  });
}
