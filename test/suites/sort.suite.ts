// Sorting and selection (sort argsort partition argpartition topk searchsorted median)
// against NumPy (test/fixtures/sort.gen.ts), plus the partition property, a 150k-entry
// topk on the GPU against a CPU sort, gradients, vmap and errors.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/sort.gen.ts';
import { mx, arr, fixtureTests, GPU_ONLY, lists, nums, onDevice, type Adapter, type Args, type MxArray } from './common.ts';

const ax = (a: Args) => (a.axis === undefined ? -1 : (a.axis as number | null));
const adapters: Record<string, Adapter> = {
  sort: ([x], a) => mx.sort(arr(x), ax(a)),
  argsort: ([x], a) => mx.argsort(arr(x), ax(a)),
  partition: ([x], a) => mx.partition(arr(x), a.kth as number, ax(a)),
  argpartition: ([x], a) => mx.argpartition(arr(x), a.kth as number, ax(a)),
  topk: ([x], a) => mx.topk(arr(x), a.k as number, ax(a)),
  searchsorted: ([s, v], a) => mx.searchsorted(arr(s), arr(v), { side: a.side as 'left' | 'right' }),
  median: ([x], a) => mx.median(arr(x), a.axis as number | number[] | null, a.keepdims as boolean),
};

/** Checks that rows of `v` (length n) are partitioned around kth against the sorted rows `s`. */
function checkPartitioned(v: number[], s: number[], n: number, kth: number, what: string): void {
  for (let r = 0; r < v.length / n; r++) {
    const row = v.slice(r * n, r * n + n), srow = s.slice(r * n, r * n + n);
    const p = row[kth];
    assertEqual(p, srow[kth], `${what}: row ${r} kth value`);
    assert(row.slice(0, kth).every((x) => x <= p) && row.slice(kth + 1).every((x) => x >= p), `${what}: row ${r} is not partitioned at ${kth}`);
    assertEqual([...row].sort((a, b) => a - b), srow, `${what}: row ${r} is not a permutation`);
  }
}

export const sortSuite = suite('sort', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('stable ties and NaN last', async () => {
    const [i, s] = await lists(mx.argsort(mx.array([2, 1, 2, 1, 2], mx.int32)), mx.sort(mx.array([NaN, 1, -Infinity, NaN, 0])));
    assertEqual(i, [1, 3, 0, 2, 4]);
    assertClose(s as number[], [-Infinity, 0, 1, NaN, NaN]);
    assertEqual(mx.argsort(mx.array([1, 2])).dtype, mx.uint32);
  });

  test('partition and argpartition satisfy the partition property', async () => {
    const x = mx.random.normal([3, 37], mx.float32, 0, 1, { key: mx.random.key(3) });
    const s = await nums(mx.sort(x, 1));
    for (const kth of [0, 18, -1]) {
      const k = kth < 0 ? 37 + kth : kth;
      checkPartitioned(await nums(mx.partition(x, kth, 1)), s, 37, k, `partition kth ${kth}`);
      checkPartitioned(await nums(mx.takeAlongAxis(x, mx.argpartition(x, kth, 1), 1)), s, 37, k, `argpartition kth ${kth}`);
    }
  });

  test('topk of a 150,000-entry row matches a CPU sort', async () => {
    const x = mx.random.normal([150000], mx.float32, 0, 1, { key: mx.random.key(11) });
    const got = mx.topk(x, 50);
    const t0 = Date.now();
    await mx.eval(got);
    const ms = Date.now() - t0;
    const want = mx.sliceAxes(mx.sort(x, -1, { stream: mx.cpu }), [0], [-50], [null], undefined, { stream: mx.cpu });
    assertEqual(await got.tolist(), await want.tolist());
    assert(ms < 60000, `topk took ${ms} ms`);
  }, GPU_ONLY);

  test('long rows in a batch (global steps and merges) match the CPU device', async () => {
    const x = mx.floor(mx.multiply(mx.random.normal([3, 2000], mx.float32, 0, 1, { key: mx.random.key(12) }), 100));
    const [i, v] = [mx.argsort(x), mx.sort(x)];
    const [ic, vc] = [mx.argsort(x, -1, { stream: mx.cpu }), mx.sort(x, -1, { stream: mx.cpu })];
    assertEqual(await nums(i), await nums(ic));
    assertEqual(await nums(v), await nums(vc));
  }, GPU_ONLY);

  test('gradients of sort, topk, partition and median', async () => {
    const key = mx.random.key(5);
    const x = mx.random.normal([2, 5, 3], mx.float32, 0, 1, { key });
    const y = mx.random.normal([3, 8], mx.float32, 0, 1, { key: mx.random.key(6) });
    await checkGrads((a) => mx.multiply(mx.sort(a, 1), mx.arange(5).reshape([1, 5, 1])), [x]);
    await checkGrads((a) => mx.topk(a, 3), [y]);
    await checkGrads((a) => mx.topk(a, 2, null), [y]);
    await checkGrads((a) => mx.partition(a, 1, 0), [x]);
    await checkGrads((a) => mx.median(a, 1), [y]);
    await checkGrads((a) => mx.median(a, [0, 2], true), [x]);
  });

  test('integer outputs have no gradient; values do', async () => {
    const x = mx.array([3, 1, 2], mx.float32);
    const g = mx.grad((a: MxArray) => mx.sum(mx.multiply(mx.sort(a), mx.array([1, 10, 100]))))(x);
    assertEqual(await g.tolist(), [100, 1, 10]);
    const gi = mx.grad((a: MxArray) => mx.sum(mx.multiply(a, mx.astype(mx.argsort(a), mx.float32))))(x);
    assertEqual(await gi.tolist(), [1, 2, 0]);
  });

  test('vmap and compile', async () => {
    const x = mx.array([[[3, 1, 2], [0, 5, 4]], [[9, 8, 7], [1, 1, 0]]], mx.float32);
    const vs = mx.vmap((a: MxArray) => mx.sort(a, 0), { inAxes: 2 })(x);
    const vt = mx.vmap((a: MxArray) => mx.topk(a, 2))(x);
    const f = mx.compile((a: MxArray) => mx.argsort(a));
    const [a, b, c, d, e] = await lists(vs, mx.moveaxis(mx.sort(x, 0), 2, 0), vt, mx.topk(x, 2), f(x));
    assertEqual(a, b);
    assertEqual(c, d);
    assertEqual(e, await mx.argsort(x).tolist());
  });

  test('random.permutation is an argsort of random bits', async () => {
    const k = mx.random.key(21);
    const p = mx.random.permutation(1000, 0, { key: k });
    assertEqual(await p.tolist(), await mx.astype(mx.argsort(mx.random.bits([1000], { key: k })), mx.int32).tolist());
  });

  test('bad axis, k, kth and searchsorted inputs throw naming the op', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => mx.sort(x, 2), /\[sort\] Axis 2 is out of bounds/);
    assertThrows(() => mx.argsort(mx.array(1)), /\[argsort\].*0-d/);
    assertThrows(() => mx.topk(x, 4), /\[topk\] k 4 is out of range for an axis of size 3/);
    assertThrows(() => mx.topk(x, -1, 0), /\[topk\] k -1/);
    assertThrows(() => mx.partition(x, 3), /\[partition\] kth 3 is out of range/);
    assertThrows(() => mx.argpartition(x, -4, 1), /\[argpartition\] kth -4/);
    assertThrows(() => mx.searchsorted(x, mx.array([1])), /\[searchsorted\] The sorted array must be 1-D, got shape \(2,3\)/);
    assertThrows(() => mx.searchsorted(mx.array([1]), 1, { side: 'middle' as 'left' }), /\[searchsorted\] side/);
    assertThrows(() => mx.median(x, 2), /\[median\]/);
  });
});
