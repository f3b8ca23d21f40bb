import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { ingestProgress } from '../../src/cli/progress.js';
import { ingestSteps } from '../../src/ingest/index.js';

/** A stream that records what was written, posing as a terminal or not. */
function capture(isTTY: boolean) {
  const stream = new PassThrough() as PassThrough & { isTTY: boolean; columns: number };
  stream.isTTY = isTTY;
  stream.columns = 100;
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
}

/** Both datasets' steps; `pause` ms between them lets the bar redraw (it throttles). */
async function run(view: ReturnType<typeof ingestProgress>, pause = 0) {
  for (const dataset of ['nyc311_street_flooding', 'gulou_flooding']) {
    for (const step of ingestSteps) {
      view.onStep(dataset, step);
      if (pause) await sleep(pause);
    }
  }
  view.stop();
}

t.test('off a terminal, ingest progress is one numbered line per step', async (t) => {
  const out = capture(false);
  await run(ingestProgress(2, out.stream));
  const lines = out.text().trim().split('\n');
  t.equal(lines.length, 2 * ingestSteps.length);
  t.equal(lines[0], `[1/6] nyc311_street_flooding: ${ingestSteps[0]}`);
  t.equal(lines[5], `[6/6] gulou_flooding: ${ingestSteps[2]}`);
});

t.test('on a terminal, a bar that ends full', async (t) => {
  const out = capture(true);
  await run(ingestProgress(2, out.stream), 150);
  const text = out.text();
  t.match(text, /ingest \[[^\]]+\] 0\/6 nyc311_street_flooding: read the source CSV/);
  t.match(text, /ingest \[[^\]]+\] 5\/6 gulou_flooding: write the tables/);
  t.match(text, /ingest \[[^\]]+\] 6\/6 gulou_flooding: done/);
  t.notMatch(text, /\[\d\/6\] /, 'no step lines mixed into the bar');
});
