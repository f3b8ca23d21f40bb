import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the whole suite's gateway output is gathered: every test gateway
 * (test/fixtures/gateway.ts) started under the tap runner writes its log
 * lines and error bodies here when it closes, and test/capture/scan.ts
 * searches them all once every test file has run.
 */
export const captureDir = new URL('../../.tap/veil-capture/', import.meta.url).pathname;

/** What one test gateway wrote: its log lines and the bodies of its error responses. */
export interface Captured {
  logs: string[];
  errors: string[];
}

let written = 0;

/** Saves one gateway's output, when the tap runner runs this process. */
export function saveCaptured(captured: Captured): void {
  if (process.env.TAP_CHILD_ID === undefined) return;
  mkdirSync(captureDir, { recursive: true });
  const file = join(captureDir, `${process.pid}-${++written}.json`);
  writeFileSync(file, JSON.stringify(captured));
}
