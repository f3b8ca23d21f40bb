import { SingleBar, Presets } from 'cli-progress';
import { ingestSteps, type IngestProgress } from '../ingest/index.js';

/** A progress reporter for an ingest, and how to finish it. */
export interface IngestProgressView {
  onStep: IngestProgress;
  stop(): void;
}

/**
 * Shows ingest progress on stderr, so the report on stdout stays clean:
 * a bar on a terminal (a million-row ingest takes a while), moved by each
 * step and, within a step, by DuckDB's progress of its running statement;
 * one line per step otherwise (logs, CI). Steps carry no data, only names.
 */
export function ingestProgress(
  datasets: number,
  out: NodeJS.WriteStream = process.stderr,
): IngestProgressView {
  const total = datasets * ingestSteps.length;
  if (!out.isTTY) {
    let done = 0;
    return {
      onStep: (dataset, step, percent) => {
        if (percent === undefined) out.write(`[${++done}/${total}] ${dataset}: ${step}\n`);
      },
      stop: () => undefined,
    };
  }
  const bar = new SingleBar(
    {
      format: 'ingest [{bar}] {steps}/{allSteps} {dataset}: {step} {statement}',
      stream: out,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(total * 100, 0, {
    steps: 0,
    allSteps: total,
    dataset: '',
    step: 'starting',
    statement: '',
  });
  let done = -1;
  let at = 0;
  return {
    onStep: (dataset, step, percent) => {
      if (percent === undefined) done += 1;
      const steps = Math.max(done, 0);
      at = Math.max(at, steps * 100 + Math.min(percent ?? 0, 99));
      const statement = percent === undefined ? '' : `${Math.round(percent)}%`;
      bar.update(at, { steps, dataset, step, statement });
    },
    stop: () => {
      bar.update(total * 100, { steps: total, step: 'done', statement: '' });
      bar.stop();
    },
  };
}
