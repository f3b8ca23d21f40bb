/**
 * DuckDB settings shared by every DuckDB instance Veil opens. They are the
 * second line of defence: Veil never sends buyer text to the enclave, but if
 * a bug ever let a statement through, it could not read or write files,
 * attach databases, fetch or load extensions, or switch any of this off.
 * `lock_configuration` comes last so that every other option is set first.
 */
const common = {
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  allow_community_extensions: 'false',
  allow_unsigned_extensions: 'false',
  lock_configuration: 'true',
} as const;

/**
 * Options for the enclave's instance over its database file. The file is
 * opened read-only, so nothing the gateway runs can change the data.
 */
export const hardenedDuckDbOptions: Readonly<Record<string, string>> = {
  access_mode: 'READ_ONLY',
  ...common,
};

/**
 * Options for the data-less in-memory instance that parses buyer SQL. An
 * in-memory database cannot be opened read-only; it holds nothing anyway.
 */
export const parserDuckDbOptions: Readonly<Record<string, string>> = { ...common };
