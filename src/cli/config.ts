import type { Config } from '../config/config.js';
import { telemetryRequested } from '../telemetry/sdk.js';

/**
 * The effective configuration as `veil config` prints it: every setting
 * with its value after defaults, and for the secret only whether it is set,
 * so the output can be pasted into a ticket.
 */
export function effectiveConfig(config: Config, env: NodeJS.ProcessEnv = process.env) {
  const { jwtSecret, ...rest } = config;
  return {
    ...rest,
    jwtPublicKeys: config.jwtPublicKeys ?? null,
    jwksFile: config.jwksFile ?? null,
    jwtSecret: jwtSecret
      ? 'set (hidden)'
      : config.env === 'production'
        ? 'missing'
        : 'not set: generated at each start (development)',
    telemetry: telemetryRequested(env)
      ? {
          enabled: true,
          tracesExporter: env.OTEL_TRACES_EXPORTER ?? 'otlp',
          metricsExporter: env.OTEL_METRICS_EXPORTER ?? 'none',
          endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT ?? null,
        }
      : { enabled: false },
  };
}

/** `veil config`: prints the effective configuration as JSON. */
export function configCommand(config: Config): void {
  process.stdout.write(`${JSON.stringify(effectiveConfig(config), null, 2)}\n`);
}
