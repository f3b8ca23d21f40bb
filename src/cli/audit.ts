import { readFileSync } from 'node:fs';
import { verifyExport } from '../audit/export.js';

/**
 * `veil audit verify <export>`: checks an export offline, without the
 * gateway. Prints one line and exits 0 when the chain and every signature
 * hold, 3 (naming the first broken entry and its line) when not.
 */
export function auditVerifyCommand(file: string, opts: { key?: string }): void {
  const text = readFileSync(file, 'utf8');
  const key = opts.key === undefined ? undefined : readFileSync(opts.key, 'utf8');
  const result = verifyExport(text, key);
  if (result.ok) {
    const trust = key === undefined ? " (key taken from the export's header; pass --key)" : '';
    process.stdout.write(
      `ok: ${result.entries} entries, ${result.checkpoints} signed checkpoints, ` +
        `signed through entry ${result.signedThrough}${trust}\n`,
    );
    return;
  }
  process.stdout.write(
    `broken at entry ${result.brokenAt} (line ${result.line}): ${result.reason}\n`,
  );
  process.exitCode = 3;
}
