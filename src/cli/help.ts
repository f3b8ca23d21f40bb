/**
 * What `veil --help` shows after the command list: the first steps, where
 * configuration comes from and what exit codes mean, so a new operator can
 * start without reading the source.
 */
export const helpFooter = `
First steps:
  veil ingest                                   load the bundled datasets into ./data
  veil serve                                    start on http://127.0.0.1:8080 (prints dev tokens)
  VEIL_JWT_SECRET=... veil token --sub acme --role buyer
  veil policy check policies/                   validate policy files before deploying
  veil config                                   show the effective configuration

Configuration comes from environment variables (README, "Operating Veil"):
  PORT, HOST, VEIL_DATA_DIR, VEIL_POLICY_DIR, VEIL_JWT_SECRET, VEIL_JWT_PUBLIC_KEYS,
  VEIL_JWKS_FILE, NODE_ENV, LOG_LEVEL, VEIL_DUCKDB_THREADS, VEIL_DUCKDB_MEMORY,
  VEIL_BODY_LIMIT, VEIL_SQL_MAX_LENGTH, VEIL_QUERY_TIMEOUT_MS, VEIL_RATE_LIMIT,
  and the standard OTEL_* variables for OpenTelemetry.

Exit codes: 0 success, 1 failure or invalid input, 2 bad configuration or policy,
3 an audit export that does not verify.
Run "veil help <command>" for a command's options.
`;
