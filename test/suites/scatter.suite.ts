// Scatter updates `a.at(...keys).add/subtract/multiply/divide/maximum/minimum/set(v)`
// against NumPy's ufunc.at (duplicates accumulate) and assignment (scatter.gen.ts).
import { suite } from '../harness/suite.ts';
import { assertEqual, assertShape } from '../harness/assert.ts';
import type { FixtureKey } from '../fixtures/types.ts';
import fixture from '../fixtures/scatter.gen.ts';
import { mx, arr, fixtureTests, onDevice, toKey, type Adapter, type Input } from './common.ts';

type Method = 'add' | 'subtract' | 'multiply' | 'divide' | 'maximum' | 'minimum' | 'set';
const method = (m: Method): Adapter => (xs, a) => {
  const at = arr(xs[0]).at(...(a.keys as FixtureKey[]).map(toKey));
  const v: Input = xs[1];
  return at[m](v);
};
const adapters: Record<string, Adapter> = Object.fromEntries(
  (['add', 'subtract', 'multiply', 'divide', 'maximum', 'minimum', 'set'] as Method[]).map((m) => [m, method(m)]),
);

export const scatterSuite = suite('scatter', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters, (op) => `at().${op}`);

  test('scatter returns a new array and leaves the original unchanged', async () => {
    const x = mx.array([1, 2, 3], mx.int32);
    await mx.eval(x);
    const y = x.at(mx.array([0, 0])).add(5);
    const z = x.at(1).set(-1);
    assertShape(y, [3]);
    await mx.eval(y, z);
    assertEqual(await x.tolist(), [1, 2, 3]);
    assertEqual(await y.tolist(), [11, 2, 3]);
    assertEqual(await z.tolist(), [1, -1, 3]);
  });

  test('chained scatters see each other', async () => {
    const x = mx.zeros([4], mx.float32);
    const y = x.at(mx.array([1, 2])).add(1).at(mx.array([2, 3])).multiply(3).at(0).set(7);
    assertEqual(await y.tolist(), [7, 1, 3, 0]);
  });

  test('histogram by scatter-add of ones', async () => {
    const bins = mx.array([3, 1, 3, 0, 3, 1, 4], mx.int32);
    const h = mx.zeros([5], mx.int32).at(bins).add(1);
    assertEqual(await h.tolist(), [1, 2, 0, 3, 1]);
  });
});
