import t from 'tap';
import { z } from 'zod';
import { newQueryId } from '../../src/query/query-id.js';

t.test('query ids are UUID version 7: time first, then random bits', async (t) => {
  const at = Date.UTC(2026, 11, 4, 1, 2, 3, 456);
  const a = newQueryId(at);
  t.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  t.ok(z.uuid().safeParse(a).success, 'a valid RFC 9562 UUID');
  t.equal(parseInt(a.replaceAll('-', '').slice(0, 12), 16), at, 'the first 48 bits are the time');
  const later = newQueryId(at + 1);
  t.ok(later > a, 'a later id sorts after an earlier one');
  const same = new Set(Array.from({ length: 1000 }, () => newQueryId(at)));
  t.equal(same.size, 1000, 'ids of one millisecond still differ (74 random bits)');
});
