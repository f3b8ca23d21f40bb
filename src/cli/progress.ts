import { SingleBar, Presets } from 'cli-progress';
import { ingestSteps, type IngestProgress } from '../ingest/index.js';

/** A progress reporter for an ingest, and how to finish it. */
export interface IngestProgressView {
  onStep: IngestProgress;
  stop(): void;
}

/**
 * Shows ingest progress on stderr, so the report on stdout stays clean:
 * a bar on a terminal (a million-row ingest takes a while), one line per
 * step otherwise (logs, CI). Steps carry no data, only names.
 */
export function ingestProgress(
  datasets: number,
  out: NodeJS.WriteStream = process.stderr,
): IngestProgressView {
  const total = datasets * ingestSteps.length;
  if (!out.isTTY) {
    let done = 0;
    return {
      onStep: (dataset, step) => out.write(`[${++done}/${total}] ${dataset}: ${step}\n`),
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    { format: 'ingest [{bar}] {value}/{total} {dataset}: {step}', stream: out, hideCursor: true },
    Presets.shades_classic,
  );
  bar.start(total, 0, { dataset: '', step: 'starting' });
  let started = false;
  return {
    onStep: (dataset, step) => {
      if (started) bar.increment(1, { dataset, step });
      else bar.update(0, { dataset, step });
      started = true;
    },
    stop: () => {
      bar.update(total, { step: 'done' });
      bar.stop();
    },
  };
}
