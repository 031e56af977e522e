// Reductions (sum prod mean max min all any argmax argmin logsumexp var std softmax)
// against NumPy (test/fixtures/reduce.gen.ts), plus error and method cases.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import fixture from '../fixtures/reduce.gen.ts';
import { mx, arr, axisArg, fixtureTests, onDevice, nums, type Adapter, type Args, type Input, type MxArray } from './common.ts';

type R = (a: Input, axis?: number | number[], keepdims?: boolean) => MxArray;
const RED: Record<string, R> = {
  sum: mx.sum, prod: mx.prod, mean: mx.mean, max: mx.max, min: mx.min, all: mx.all, any: mx.any, logsumexp: mx.logsumexp,
};
const keep = (a: Args) => (a.keepdims as boolean | undefined) ?? false;

const adapters: Record<string, Adapter> = {
  ...Object.fromEntries(Object.entries(RED).map(([op, f]) => [op, ((xs, a) => f(xs[0], axisArg(a.axis), keep(a))) as Adapter])),
  argmax: (xs, a) => mx.argmax(xs[0], a.axis as number | null, keep(a)),
  argmin: (xs, a) => mx.argmin(xs[0], a.axis as number | null, keep(a)),
  var: (xs, a) => mx.var(xs[0], axisArg(a.axis), keep(a), (a.ddof as number | undefined) ?? 0),
  std: (xs, a) => mx.std(xs[0], axisArg(a.axis), keep(a), (a.ddof as number | undefined) ?? 0),
  softmax: (xs, a) => mx.softmax(arr(xs[0]), axisArg(a.axis)),
};

export const reduceSuite = suite('reduce', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms match the functions', async () => {
    const x = mx.array([[1, 5, 2], [7, -1, 3]], mx.float32);
    const pairs: [MxArray, MxArray][] = [
      [x.sum(0), mx.sum(x, 0)], [x.prod(1), mx.prod(x, 1)], [x.mean(), mx.mean(x)], [x.max(1, true), mx.max(x, 1, true)],
      [x.min(0), mx.min(x, 0)], [x.all(), mx.all(x)], [x.any(1), mx.any(x, 1)], [x.argmax(1), mx.argmax(x, 1)],
      [x.argmin(), mx.argmin(x)], [x.var(0, false, 1), mx.var(x, 0, false, 1)], [x.std(1), mx.std(x, 1)],
      [x.logsumexp(1), mx.logsumexp(x, 1)],
    ];
    await mx.eval(...pairs.flat());
    for (const [a, b] of pairs) {
      assertEqual(a.dtype, b.dtype);
      assertEqual([...a.shape], [...b.shape]);
      assertClose(await nums(a), await nums(b), { rtol: 0, atol: 0 });
    }
  });

  test('output shapes and dtypes are known before evaluation', () => {
    const x = mx.zeros([2, 3, 4], mx.int8);
    assertShape(mx.sum(x, [0, 2]), [3]);
    assertShape(mx.sum(x, -1, true), [2, 3, 1]);
    assertShape(mx.max(x), []);
    assertShape(mx.argmax(x, 1), [2, 4]);
    assertShape(mx.argmax(x, undefined, true), [1, 1, 1]);
    assertShape(mx.softmax(mx.astype(x, mx.float32), -1), [2, 3, 4]);
    assertEqual(mx.argmin(x, 0).dtype, mx.uint32);
    assertEqual(mx.mean(x).dtype, mx.float32);
    assertEqual(mx.all(x).dtype, mx.bool);
    assertEqual(mx.sum(mx.zeros([2], mx.bool)).dtype, mx.int32);
    assertEqual(mx.var(mx.zeros([2], mx.float16)).dtype, mx.float16);
  });

  test('reductions over an empty axis that have no identity throw', () => {
    assertThrows(() => mx.max(mx.zeros([0])), /\[max\]/);
    assertThrows(() => mx.min(mx.zeros([2, 0]), 1), /\[min\]/);
    assertThrows(() => mx.argmax(mx.zeros([0])), /\[argmax\]/);
    assertThrows(() => mx.argmin(mx.zeros([3, 0]), 1), /\[argmin\]/);
  });

  test('bad axes throw naming the op', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => mx.sum(x, 2), /\[sum\].*out of bounds/i);
    assertThrows(() => mx.mean(x, -3), /out of bounds/i);
    assertThrows(() => mx.max(x, [0, 0]), /\[max\].*duplicate/i);
    assertThrows(() => mx.argmax(x, 5), /\[argmax\]/);
  });

  test('a reduction of a lazy elementwise graph', async () => {
    const x = mx.reshape(mx.arange(24, undefined, undefined, mx.float32), [2, 3, 4]);
    const y = mx.sum(mx.multiply(mx.subtract(x, 10), 2), [0, 2]);
    const z = mx.max(mx.abs(mx.subtract(x, 11.5)), 1);
    await mx.eval(y, z);
    const want = [0, 1, 2].map((j) => {
      let s = 0;
      for (let i = 0; i < 2; i++) for (let k = 0; k < 4; k++) s += (i * 12 + j * 4 + k - 10) * 2;
      return s;
    });
    assertClose(await nums(y), want, { rtol: 0, atol: 0 });
    assertEqual(await z.tolist(), [[11.5, 10.5, 9.5, 8.5], [8.5, 9.5, 10.5, 11.5]]);
  });

  test('sum of 100000 ones is exact', async () => {
    const s = mx.sum(mx.ones([100000]));
    const i = mx.sum(mx.ones([317, 313], mx.int32), 0);
    await mx.eval(s, i);
    assertEqual(await s.item(), 100000);
    const iv = await nums(i);
    assertEqual(iv.length, 313);
    assertEqual(iv.every((v) => v === 317), true, 'column sums of int32 ones');
  });
});
