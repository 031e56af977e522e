// Scatter updates `a.at(...keys).add/subtract/multiply/divide/maximum/minimum/set(v)`
// against NumPy's ufunc.at (duplicates accumulate) and assignment (scatter.gen.ts).
import { suite } from '../harness/suite.ts';
import { assertEqual, assertShape } from '../harness/assert.ts';
import type { FixtureKey } from '../fixtures/types.ts';
import fixture from '../fixtures/scatter.gen.ts';
import { mx, arr, fixtureTests, onDevice, toKey, type Adapter, type Input } from './common.ts';
import { sliceUpdateDonated } from '../../src/ops/indexing.ts';

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

  test('donated slice updates write in place, and copy when the input is shared', async () => {
    const gpuKernels = async (f: () => Promise<void>) => {
      const lines: string[] = [];
      mx.setDebug({ logKernels: true, log: (m) => lines.push(m.split('\n')[0]) });
      try {
        await f();
      } finally {
        mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
      }
      return lines.filter((l) => l.startsWith('[gpu] '));
    };
    const x = mx.zeros([4, 3], mx.float32);
    await mx.eval(x);
    const y = sliceUpdateDonated(x, mx.ones([1, 3]), [1], [0]);
    const ks = await gpuKernels(() => mx.eval(y));
    assertEqual(await y.tolist(), [[0, 0, 0], [1, 1, 1], [0, 0, 0], [0, 0, 0]]);
    if (ks.length) assertEqual(ks.some((k) => k.includes('copy')), false, ks.join('; '));
    // two updates of one array in one evaluation, and another reader: each must see the original
    const z = mx.zeros([3], mx.float32);
    await mx.eval(z);
    const a = sliceUpdateDonated(z, mx.array([1]), [0]), b = sliceUpdateDonated(z, mx.array([2]), [2]), c = mx.add(z, 5);
    await mx.eval(a, b, c);
    assertEqual(await a.tolist(), [1, 0, 0]);
    assertEqual(await b.tolist(), [0, 0, 2]);
    assertEqual(await c.tolist(), [5, 5, 5]);
  });
});
