import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { identifierValues, rawMeasureValues } from '../fixtures/secrets.js';
import { captureDir, type Captured } from './dir.js';

/**
 * tap's `after` script: once every test file has run, searches every log
 * line and error body that any test gateway of the suite produced for any
 * identifier value of the bundled datasets and any raw measure value. A
 * leak fails the run (exit 1) and is reported by file and kind, never by
 * the value itself, so that the report does not leak it again.
 */

const files = existsSync(captureDir)
  ? readdirSync(captureDir).filter((f) => f.endsWith('.json'))
  : [];
const secrets = [...(await identifierValues())];
const raw = [...(await rawMeasureValues())];
let lines = 0;
let errors = 0;
const leaks: string[] = [];
for (const file of files) {
  const captured = JSON.parse(readFileSync(join(captureDir, file), 'utf8')) as Captured;
  lines += captured.logs.length;
  errors += captured.errors.length;
  const haystack = [...captured.logs, ...captured.errors];
  haystack.forEach((text, i) => {
    if (secrets.some((s) => text.includes(s))) leaks.push(`${file} item ${i}: an identifier`);
    if (raw.some((v) => text.includes(v))) leaks.push(`${file} item ${i}: a raw measure`);
  });
}
const summary =
  `whole-suite capture: ${files.length} gateways, ${lines} log lines, ${errors} error bodies, ` +
  `${secrets.length} identifier and ${raw.length} raw measure values looked for`;
if (files.length === 0 || leaks.length > 0) {
  process.stdout.write(`not ok - ${summary}\n`);
  for (const l of leaks) process.stdout.write(`#   leak in ${l}\n`);
  if (files.length === 0) process.stdout.write('#   nothing was captured\n');
  process.exitCode = 1;
} else {
  process.stdout.write(`ok - ${summary}; no leak\n`);
}
