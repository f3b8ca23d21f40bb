import t from 'tap';
import { loadPolicies } from '../../src/policy/load.js';

t.test('bundled policies load', async (t) => {
  const p = loadPolicies(new URL('../../policies', import.meta.url).pathname);
  t.same([...p.keys()].sort(), ['gulou_flooding', 'nyc311_street_flooding']);
  const nyc = p.get('nyc311_street_flooding')!;
  t.same(nyc.publicKeyLists.created!.month, ['2022-11', '2022-12', '2023-01', '2023-02']);
  t.same(p.get('gulou_flooding')!.publicKeyLists.called!.year, ['2019', '2020', '2021']);
  t.match(nyc.version, /^[0-9a-f]{12}$/);
});
