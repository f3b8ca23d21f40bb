import t from 'tap';
import { startTestGateway } from '../fixtures/gateway.js';
import { policyDir } from '../fixtures/policies.js';

/**
 * A quote says whether any cell is thresholded. With an "other" label only
 * the label cell is, but it still is: the quote must say so, with tau and the
 * δ the query will be charged for it.
 */

const nyc = 'nyc311_street_flooding';

t.test('a quote names the threshold of an "other" cell', async (t) => {
  const dir = policyDir((dataset, p) => {
    if (dataset !== nyc) return;
    p.dimensions.channel.publicKeys = { channel: ['PHONE'] };
    p.dimensions.channel.other = 'ANY OTHER';
  });
  const g = await startTestGateway({ VEIL_POLICY_DIR: dir });
  t.teardown(() => g.close());
  const buyer = g.token('buyer', 'acme');
  const body = { dataset: nyc, groupBy: ['channel'], aggregates: [{ fn: 'count' }], epsilon: 1 };
  const quote = await g.call('/v1/query/quote', { token: buyer, body });
  t.equal(quote.status, 200, quote.text);
  t.match(quote.json.partitionSelection, { needed: true, dimensions: ['channel'], k: 5 });
  t.ok(quote.json.partitionSelection.tau > 5, `tau ${quote.json.partitionSelection.tau}`);
  t.equal(quote.json.delta, 1e-5, 'the label cell is thresholded, so δ is charged');
  const answer = await g.call('/v1/query', { token: buyer, body });
  t.equal(answer.status, 200);
  t.equal(answer.json.privacy.delta, quote.json.delta, 'as the quote said');

  const plain = { ...body, groupBy: ['borough'] };
  const none = await g.call('/v1/query/quote', { token: buyer, body: plain });
  t.match(none.json.partitionSelection, { needed: false, dimensions: [], tau: null });
  t.equal(none.json.delta, 0);
});
