#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { ConfigError, readConfig } from '../config/config.js';
import { PolicyFileError } from '../policy/load.js';
import { auditVerifyCommand } from './audit.js';
import { configCommand } from './config.js';
import { helpFooter } from './help.js';
import { policyCheckCommand } from './policy-check.js';
import { demoCommand } from './demo.js';
import { generateCommand, ingestCommand } from './ingest.js';
import { serveCommand } from './serve.js';
import { tokenCommand } from './token.js';

/** Parses a whole number option, refusing anything else by name. */
export function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new InvalidArgumentError(`${name} must be a whole number`);
    return n;
  };
}

const program = new Command()
  .name('veil')
  .description('Veil: an aggregate-only, differentially private query gateway')
  .showHelpAfterError()
  .addHelpText('after', helpFooter);

program
  .command('serve')
  .description('start the gateway (ingests the bundled data first when the enclave is missing)')
  .action(() => serveCommand(readConfig()));

program
  .command('ingest')
  .description('load the bundled CSV files (or --source) into the enclave; safe to rerun')
  .option('--dataset <id>', 'only this dataset (nyc311_street_flooding or gulou_flooding)')
  .option('--source <csv>', 'read this CSV instead of the bundled one (needs --dataset)')
  .action((o: { dataset?: string; source?: string }) => ingestCommand(readConfig(), o));

program
  .command('generate')
  .description(
    'write synthetic gulou_flooding hotline records as CSV (deterministic from the seed)',
  )
  .requiredOption('--out <csv>', 'file to write')
  .option('--rows <n>', 'number of rows', intOption('--rows'), 1593)
  .option('--seed <n>', 'seed', intOption('--seed'), 12345)
  .action((o: { out: string; rows: number; seed: number }) => generateCommand(o));

program
  .command('token')
  .description('print a signed token (needs VEIL_JWT_SECRET)')
  .requiredOption('--sub <organisation>', 'the organisation the token is for')
  .requiredOption('--role <role>', 'buyer, bureau or auditor')
  .option('--ttl <seconds>', 'lifetime in seconds', intOption('--ttl'), 3600)
  .action((o: { sub: string; role: string; ttl: number }) => tokenCommand(readConfig(), o));

program
  .command('demo')
  .description("play an insurer's session: against --url, or against a gateway of its own")
  .option('--url <url>', 'a running gateway, e.g. http://127.0.0.1:8080')
  .option('--token <jwt>', 'a buyer token for --url')
  .action((o: { url?: string; token?: string }) => demoCommand(o));

program
  .command('audit')
  .description('audit log tools')
  .command('verify <export>')
  .description('check an export of GET /v1/audit/export: hash chain and Ed25519 checkpoints')
  .option('--key <pem>', 'the public key from GET /v1/audit/key, obtained separately')
  .action((file: string, o: { key?: string }) => auditVerifyCommand(file, o));

program
  .command('config')
  .description('print the effective configuration (defaults applied, secrets hidden) as JSON')
  .action(() => configCommand(readConfig()));

program
  .command('policy')
  .description('policy file tools')
  .command('check [paths...]')
  .description('validate policy files or folders (default: VEIL_POLICY_DIR); exit 1 if one is bad')
  .action((paths: string[]) => {
    const targets = paths.length ? paths : [process.env.VEIL_POLICY_DIR ?? './policies'];
    process.exitCode = policyCheckCommand(targets);
  });

program.parseAsync().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof PolicyFileError) {
    process.stderr.write(`veil: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`veil: ${(err as Error).message}\n`);
  process.exit(1);
});
