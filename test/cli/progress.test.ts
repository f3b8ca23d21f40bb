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

t.test('on a terminal, a step moves the bar by its statement progress, never back', async (t) => {
  const out = capture(true);
  const view = ingestProgress(1, out.stream);
  view.onStep('gulou_flooding', ingestSteps[0]);
  await sleep(150);
  view.onStep('gulou_flooding', ingestSteps[0], 40);
  await sleep(150);
  view.onStep('gulou_flooding', ingestSteps[0], 10);
  await sleep(150);
  view.stop();
  const text = out.text();
  t.match(text, /0\/3 gulou_flooding: read the source CSV 40%/, 'the statement percent shows');
  const bars = [...text.matchAll(/ingest \[([^\]]+)\]/g)].map((m) => m[1]!.split('\u2588').length);
  t.ok(
    bars.every((b, i) => i === 0 || b >= bars[i - 1]!),
    'the bar never shrinks, although the second statement starts lower',
  );
});

t.test('off a terminal, statement progress adds no lines', async (t) => {
  const out = capture(false);
  const view = ingestProgress(1, out.stream);
  view.onStep('gulou_flooding', ingestSteps[1]);
  view.onStep('gulou_flooding', ingestSteps[1], 55);
  view.stop();
  t.equal(out.text(), `[1/3] gulou_flooding: ${ingestSteps[1]}\n`);
});
