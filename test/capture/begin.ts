import { rmSync } from 'node:fs';
import { captureDir } from './dir.js';

/** tap's `before` script: the capture of an earlier run must not count in this one. */
rmSync(captureDir, { recursive: true, force: true });
