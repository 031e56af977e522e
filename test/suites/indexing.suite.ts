// Indexing (a.index with ints, slices, newaxis, '...', integer arrays), take,
// takeAlongAxis, putAlongAxis and sliceUpdate against NumPy (indexing.gen.ts).
import { suite } from '../harness/suite.ts';
import { assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import type { FixtureKey } from '../fixtures/types.ts';
import fixture from '../fixtures/indexing.gen.ts';
import { mx, arr, fixtureTests, onDevice, toKey, type Adapter } from './common.ts';

const axisOf = (a: unknown) => (a === null || a === undefined ? undefined : (a as number));

const adapters: Record<string, Adapter> = {
  index: (xs, a) => arr(xs[0]).index(...(a.keys as FixtureKey[]).map(toKey)),
  take: (xs, a) => mx.take(xs[0], xs[1], axisOf(a.axis)),
  takeAlongAxis: (xs, a) => mx.takeAlongAxis(xs[0], arr(xs[1]), a.axis as number),
  putAlongAxis: (xs, a) => mx.putAlongAxis(xs[0], arr(xs[1]), xs[2], a.axis as number),
  sliceUpdate: (xs, a) => mx.sliceUpdate(xs[0], xs[1], a.start as number[], (a.axes as number[] | undefined) ?? undefined),
};

export const indexingSuite = suite('indexing', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('slice objects, strings and mx.slice agree', async () => {
    const x = mx.reshape(mx.arange(20), [4, 5]);
    const a = x.index('1:4:2', '::-2');
    const b = x.index(mx.slice(1, 4, 2), mx.slice(null, null, -2));
    const c = x.index({ start: 1, stop: 4, step: 2 }, { step: -2 });
    await mx.eval(a, b, c);
    const want = [[9, 7, 5], [19, 17, 15]];
    assertEqual(await a.tolist(), want);
    assertEqual(await b.tolist(), want);
    assertEqual(await c.tolist(), want);
  });

  test('mx.newaxis and plain nested-list indices', async () => {
    const x = mx.array([10, 20, 30]);
    const a = x.index(mx.newaxis, ':');
    const b = x.index([2, 0, 2]);
    const c = x.index('...', mx.newaxis);
    assertShape(a, [1, 3]);
    assertShape(c, [3, 1]);
    assertEqual(await b.tolist(), [30, 10, 30]);
  });

  test('indexing results have their shapes before evaluation', () => {
    const x = mx.zeros([3, 4, 5]);
    assertShape(x.index(0), [4, 5]);
    assertShape(x.index(':', 1), [3, 5]);
    assertShape(x.index('...', '1:3'), [3, 4, 2]);
    assertShape(x.index(mx.array([0, 1]), ':', mx.array([2, 3])), [2, 4]);
    assertShape(x.index(':', mx.array([[0], [1]]), mx.array([1, 2, 3])), [3, 2, 3]);
  });

  test('out-of-range and malformed indices throw naming index', () => {
    const x = mx.zeros([3, 4]);
    assertThrows(() => x.index(3), /\[index\].*out of bounds/i);
    assertThrows(() => x.index(0, -5), /\[index\].*out of bounds/i);
    assertThrows(() => x.index(0, 0, 0), /\[index\].*[Tt]oo many/);
    assertThrows(() => x.index('...', 0, '...'), /\[index\].*ellipsis/i);
    assertThrows(() => x.index('1:2:0'), /step|zero/i);
    assertThrows(() => x.index(mx.array([0.5])), /\[index\].*integer/i);
    assertThrows(() => mx.take(x, mx.array([1.5])), /\[take\]/);
    assertThrows(() => mx.takeAlongAxis(x, mx.array([1, 2], mx.int32), 0), /\[takeAlongAxis\]/);
  });

  test('gathered rows can be reduced and written back in one graph', async () => {
    const x = mx.reshape(mx.arange(12, undefined, undefined, mx.float32), [4, 3]);
    const rows = x.index(mx.array([3, 1]));
    const s = mx.sum(rows, 1);
    const y = mx.sliceUpdate(x, mx.expandDims(s, 1), [0, 0]);
    await mx.eval(rows, s, y);
    assertEqual(await s.tolist(), [30, 12]);
    assertEqual(await y.tolist(), [[30, 1, 2], [12, 4, 5], [6, 7, 8], [9, 10, 11]]);
  });
});
