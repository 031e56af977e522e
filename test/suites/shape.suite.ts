// Shape ops (reshape flatten squeeze expandDims transpose swapaxes moveaxis broadcastTo
// concatenate stack split tile repeat pad flip roll) against NumPy (shape.gen.ts).
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import fixture from '../fixtures/shape.gen.ts';
import { mx, arr, axisArg, fixtureTests, onDevice, nums, type Adapter, type Args } from './common.ts';

const n = (a: Args, k: string) => a[k] as number;
const nl = (a: Args, k: string) => a[k] as number[];

const adapters: Record<string, Adapter> = {
  reshape: (xs, a) => mx.reshape(xs[0], nl(a, 'shape')),
  flatten: (xs, a) => mx.flatten(xs[0], n(a, 'start'), n(a, 'end')),
  squeeze: (xs, a) => mx.squeeze(xs[0], axisArg(a.axis)),
  expandDims: (xs, a) => mx.expandDims(xs[0], a.axis as number | number[]),
  transpose: (xs, a) => mx.transpose(xs[0], (a.axes as number[] | null) ?? undefined),
  swapaxes: (xs, a) => mx.swapaxes(xs[0], n(a, 'a1'), n(a, 'a2')),
  moveaxis: (xs, a) => mx.moveaxis(xs[0], n(a, 'src'), n(a, 'dst')),
  broadcastTo: (xs, a) => mx.broadcastTo(xs[0], nl(a, 'shape')),
  concatenate: (xs, a) => mx.concatenate(xs, n(a, 'axis')),
  stack: (xs, a) => mx.stack(xs, n(a, 'axis')),
  split: (xs, a) => mx.split(xs[0], a.indices as number | number[], n(a, 'axis')),
  tile: (xs, a) => mx.tile(xs[0], nl(a, 'reps')),
  repeat: (xs, a) => mx.repeat(xs[0], n(a, 'repeats'), (a.axis as number | null) ?? undefined),
  pad: (xs, a) => mx.pad(xs[0], a.width as number | number[] | number[][], a.mode as 'constant' | 'edge', n(a, 'value')),
  flip: (xs, a) => mx.flip(xs[0], axisArg(a.axis)),
  roll: (xs, a) => mx.roll(xs[0], a.shift as number | number[], axisArg(a.axis)),
};

export const shapeSuite = suite('shape', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms and .T', async () => {
    const x = mx.reshape(mx.arange(24), [2, 3, 4]);
    assertShape(x.reshape(4, 6), [4, 6]);
    assertShape(x.reshape([6, -1]), [6, 4]);
    assertShape(x.flatten(), [24]);
    assertShape(x.flatten(1), [2, 12]);
    assertShape(x.transpose(), [4, 3, 2]);
    assertShape(x.transpose(1, 0, 2), [3, 2, 4]);
    assertShape(x.transpose([2, 1, 0]), [4, 3, 2]);
    assertShape(x.T, [4, 3, 2]);
    assertShape(x.swapaxes(0, 2), [4, 3, 2]);
    assertShape(x.moveaxis(0, -1), [3, 4, 2]);
    assertShape(x.expandDims(1), [2, 1, 3, 4]);
    assertShape(x.expandDims(1).squeeze(), [2, 3, 4]);
    assertShape(x.expandDims([0, -1]).squeeze(0), [2, 3, 4, 1]);
    const parts = x.split(3, 1);
    assertEqual(parts.length, 3);
    for (const p of parts) assertShape(p, [2, 1, 4]);
    const tt = x.T.T;
    await mx.eval(tt, x);
    assertClose(await nums(tt), await nums(x), { rtol: 0, atol: 0 });
  });

  test('views of views of a realized array read the right elements', async () => {
    const base = mx.reshape(mx.arange(60, undefined, undefined, mx.float32), [3, 4, 5]);
    await mx.eval(base);
    const v = mx.transpose(base, [2, 0, 1]).index('1::2', '::-1', mx.slice(null, null, 3));
    const w = mx.reshape(mx.broadcastTo(mx.expandDims(v, 0), [2, 2, 3, 2]), [4, 6]);
    const got = (await w.tolist()) as number[][];
    // element [k, i, j] of the transpose is base[i, j, k]
    const want: number[] = [];
    for (const k of [1, 3]) for (const i of [2, 1, 0]) for (const j of [0, 3]) want.push(i * 20 + j * 5 + k);
    assertEqual(got.flat(), [...want, ...want]);
  });

  test('bad shapes and axes throw naming the op', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => mx.reshape(x, [4, 2]), /\[reshape\].*size 6/);
    assertThrows(() => mx.reshape(x, [-1, -1]), /\[reshape\]/);
    assertThrows(() => mx.transpose(x, [0, 0]), /\[transpose\]/);
    assertThrows(() => mx.transpose(x, [0]), /\[transpose\]/);
    // options passed where the axes go (JavaScript callers): a clear error, not a TypeError
    assertThrows(() => mx.transpose(x, { stream: mx.cpu } as unknown as number[]), /\[transpose\] axes must be an array/);
    assertThrows(() => mx.squeeze(x, 0), /\[squeeze\]/);
    assertThrows(() => mx.expandDims(x, 4), /\[expandDims\]/);
    assertThrows(() => mx.broadcastTo(x, [3, 3]), /\[broadcastTo\]/);
    assertThrows(() => mx.concatenate([x, mx.zeros([2, 2])], 0), /\[concatenate\]/);
    assertThrows(() => mx.concatenate([]), /\[concatenate\]/);
    assertThrows(() => mx.stack([x, mx.zeros([3, 2])]), /\[stack\]/);
    assertThrows(() => mx.split(x, 4, 1), /\[split\]/);
    assertThrows(() => mx.swapaxes(x, 0, 2), /\[swapaxes\]/);
    assertThrows(() => mx.moveaxis(x, 3, 0), /\[moveaxis\]/);
    assertThrows(() => mx.flatten(x, 1, 0), /\[flatten\]/);
    assertThrows(() => mx.pad(x, [[1, 1], [1, 1], [1, 1]]), /\[pad\]/);
    assertThrows(() => mx.pad(x, -1), /\[pad\]/);
    assertThrows(() => mx.repeat(x, -1), /\[repeat\]/);
  });

  test('shapes of the results are known before evaluation', () => {
    const x = mx.zeros([2, 3, 4]);
    assertShape(mx.concatenate([x, x], 1), [2, 6, 4]);
    assertShape(mx.stack([x, x, x], 3), [2, 3, 4, 3]);
    assertShape(mx.tile(x, [2, 1, 1, 1]), [2, 2, 3, 4]);
    assertShape(mx.repeat(x, 2), [48]);
    assertShape(mx.pad(x, 1), [4, 5, 6]);
    assertShape(mx.roll(x, 1, 2), [2, 3, 4]);
    assertShape(mx.broadcastTo(mx.zeros([3, 1]), [2, 3, 5]), [2, 3, 5]);
  });
});
