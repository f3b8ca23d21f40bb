import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { mintToken } from '../../src/http/tokens.js';
import { startTestGateway } from '../fixtures/gateway.js';

/**
 * A server keeps the tokens it verified, so a client's repeated token is not
 * checked again on every request; the kept result must never outlive the
 * token's expiry nor cross to a server with another secret.
 */

t.test('a kept token is refused once it expires', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const token = mintToken('test-secret-that-is-long-enough-0123456789', 'brief', 'buyer', 2);
  t.equal((await g.call('/v1/budget', { token })).status, 200, 'valid at first');
  t.equal((await g.call('/v1/budget', { token })).status, 200, 'and again, from the kept result');
  await sleep(2100);
  const late = await g.call('/v1/budget', { token });
  t.equal(late.status, 401, 'after exp, verified again and refused');
  t.equal(late.json.error.code, 'VEIL_AUTH_INVALID');
});

t.test('a token one server kept is not accepted by a server with another secret', async (t) => {
  const a = await startTestGateway();
  t.teardown(() => a.close());
  const b = await startTestGateway({
    VEIL_JWT_SECRET: 'another-secret-that-is-long-enough-987654',
  });
  t.teardown(() => b.close());
  const token = a.token('buyer', 'acme');
  t.equal((await a.call('/v1/budget', { token })).status, 200);
  t.equal((await b.call('/v1/budget', { token })).status, 401, 'b checks it itself');
});

t.test('a kept token still answers to its role', async (t) => {
  const g = await startTestGateway();
  t.teardown(() => g.close());
  const token = g.token('auditor');
  t.equal((await g.call('/v1/audit/entries', { token })).status, 200);
  const wrong = await g.call('/v1/budget', { token });
  t.equal(wrong.status, 403);
  t.equal(wrong.json.error.code, 'VEIL_AUTH_FORBIDDEN');
});
