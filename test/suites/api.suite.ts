// The array API: properties before evaluation, tolist/item/data, eval of several
// arrays (and nested containers), laziness, and views that do not copy.
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertShape } from '../harness/assert.ts';
import { mx, nums, onDevice, CPU_ONLY } from './common.ts';

export const apiSuite = suite('api', (t) => {
  const test = onDevice(t);

  test('properties are known at once, before evaluation', () => {
    const a = mx.exp(mx.zeros([2, 3, 4], mx.float16));
    assertEqual([...a.shape], [2, 3, 4]);
    assertEqual(a.dtype, mx.float16);
    assertEqual(a.ndim, 3);
    assertEqual(a.size, 24);
    assertEqual(a.itemsize, 2);
    assertEqual(a.nbytes, 48);
    const s = mx.sum(mx.ones([5], mx.int8));
    assertEqual(s.ndim, 0);
    assertEqual(s.size, 1);
    const e = mx.zeros([3, 0]);
    assertEqual(e.size, 0);
    assertEqual(e.nbytes, 0);
    assertEqual(mx.zeros([2], mx.bool).itemsize, 1);
    assertEqual(mx.zeros([2], mx.uint32).nbytes, 8);
  });

  test('tolist gives nested lists of numbers or booleans', async () => {
    const a = mx.array([[1.5, -2], [3, 4]]);
    const b = mx.array([[true], [false]]);
    const c = mx.array(7, mx.uint8);
    const d = mx.zeros([2, 0, 3]);
    await mx.eval(a, b, c, d);
    assertEqual(await a.tolist(), [[1.5, -2], [3, 4]]);
    assertEqual(await b.tolist(), [[true], [false]]);
    assertEqual(await c.tolist(), 7);
    assertEqual(await d.tolist(), [[], []]);
    assertEqual(await mx.tolist(a), [[1.5, -2], [3, 4]]);
  });

  test('item reads 0-d and size-1 arrays', async () => {
    assertEqual(await mx.array(2.5).item(), 2.5);
    assertEqual(await mx.array([[3]], mx.int16).item(), 3);
    assertEqual(await mx.array(true).item(), true);
    assertEqual(await mx.sum(mx.array([1, 2, 3])).item(), 6);
    assertEqual(await mx.item(mx.array([9], mx.uint32)), 9);
    assertEqual(await mx.array(0.1, mx.float16).item(), 0.0999755859375);
  });

  test('data returns row-major TypedArrays by dtype', async () => {
    const f = mx.array([[1, 2], [3, 4]], mx.float32).T;
    const i = mx.array([-1, 2], mx.int32);
    const u = mx.array([255], mx.uint8);
    const b = mx.array([true, false]);
    const h = mx.array([0.5, 1.5], mx.float16);
    const bf = mx.array([0.5, 1.5], mx.bfloat16);
    await mx.eval(f, i, u, b, h, bf);
    const fd = await f.data();
    assert(fd instanceof Float32Array, 'float32 -> Float32Array');
    assertEqual(Array.from(fd as Float32Array), [1, 3, 2, 4]);
    assert((await i.data()) instanceof Int32Array, 'int32 -> Int32Array');
    assert((await u.data()) instanceof Uint8Array, 'uint8 -> Uint8Array');
    const bd = await b.data();
    assert(bd instanceof Uint8Array, 'bool -> Uint8Array');
    assertEqual(Array.from(bd as Uint8Array), [1, 0]);
    assertEqual(Array.from((await h.data()) as ArrayLike<number>), [0.5, 1.5]);
    const bfd = await bf.data();
    assert(bfd instanceof Float32Array, 'bfloat16 -> Float32Array');
    assertEqual(Array.from(bfd as Float32Array), [0.5, 1.5]);
    assertEqual(Array.from((await mx.data(i)) as Int32Array), [-1, 2]);
  });

  test('64-bit data and tolist', async () => {
    const a = mx.array([1, -(2 ** 40)], mx.int64);
    const b = mx.array([2 ** 40], mx.uint64);
    const c = mx.array([0.1, 1e300], mx.float64);
    await mx.eval(a, b, c);
    assert((await a.data()) instanceof BigInt64Array, 'int64 -> BigInt64Array');
    assert((await b.data()) instanceof BigUint64Array, 'uint64 -> BigUint64Array');
    assert((await c.data()) instanceof Float64Array, 'float64 -> Float64Array');
    assertEqual(await a.tolist(), [1, -(2 ** 40)]);
    assertEqual(await c.tolist(), [0.1, 1e300]);
    assertEqual(mx.array([1], mx.int64).itemsize, 8);
  }, CPU_ONLY);

  test('eval takes several arrays, nested lists and plain objects', async () => {
    const x = mx.array([1, 2, 3], mx.float32);
    const a = mx.exp(x), b = mx.sum(x), c = mx.negative(x), d = mx.square(x);
    await mx.eval(a, [b, [c]], { d, other: 5 }, 'ignored', null);
    assertEqual(await b.item(), 6);
    assertEqual(await c.tolist(), [-1, -2, -3]);
    assertEqual(await d.tolist(), [1, 4, 9]);
    assertClose(await nums(a), [Math.E, Math.exp(2), Math.exp(3)], { rtol: 1e-6 });
    await mx.eval(a, b); // already evaluated: a no-op
    await mx.eval();
    const e = mx.multiply(x, 3);
    const pending = mx.asyncEval(e);
    await pending;
    assertEqual(await e.tolist(), [3, 6, 9]);
  });

  test('evaluating shared subgraphs in separate calls', async () => {
    const x = mx.array([1, 2], mx.float32);
    const shared = mx.multiply(x, 10);
    const p = mx.add(shared, 1), q = mx.subtract(shared, 1);
    const [r1, r2] = await Promise.all([p.tolist(), q.tolist()]);
    assertEqual(r1, [11, 21]);
    assertEqual(r2, [9, 19]);
    assertEqual(await shared.tolist(), [10, 20]);
  });

  test('views of a realized array do not allocate', async () => {
    const x = mx.zeros([256, 256], mx.float32); // 256 KiB
    await mx.eval(x);
    const views = [
      mx.transpose(x), x.index('::2', '1::3'), mx.broadcastTo(x.index(0), [4, 256]), mx.reshape(x, [65536]),
      mx.expandDims(x, 0), x.index(mx.newaxis, '...', '::-1'), mx.swapaxes(x, 0, 1),
    ];
    const before = mx.getActiveMemory();
    await mx.eval(...views);
    const after = mx.getActiveMemory();
    assert(after <= before, `views allocated ${after - before} bytes`);
    assertShape(views[2], [4, 256]);
    // a real copy does allocate: the measurement works
    const copy = mx.add(x, 1);
    await mx.eval(copy);
    assert(mx.getActiveMemory() - after >= x.nbytes, 'a computed array of 256 KiB shows in active memory');
  });

  test('toString and devices of arrays', async () => {
    const a = mx.array([1, 2], mx.int32);
    assert(a.toString().includes('int32'), a.toString());
    assert(String(mx.cpu).toLowerCase().includes('cpu'), String(mx.cpu));
    assert(String(mx.gpu).toLowerCase().includes('gpu'), String(mx.gpu));
    assertEqual(mx.zeros([1], mx.float32, { stream: mx.cpu }).device, mx.cpu);
  });

  test('dispose and using release arrays', async () => {
    const before = mx.getActiveMemory();
    {
      using a = mx.add(mx.zeros([1024]), 1);
      await mx.eval(a);
      assert(mx.getActiveMemory() - before >= 4096, 'the array holds memory while in scope');
    }
    assert(mx.getActiveMemory() <= before, 'using released it at the end of the block');
    const b = mx.add(mx.zeros([1024]), 2);
    await mx.eval(b);
    b.dispose();
    assert(mx.getActiveMemory() <= before, 'dispose released it');
  });

  test('an unevaluated graph costs no array memory', () => {
    const before = mx.getActiveMemory();
    let y = mx.zeros([1 << 20]);
    for (let i = 0; i < 10; i++) y = mx.add(y, 1);
    assertShape(y, [1 << 20]);
    assert(mx.getActiveMemory() <= before, 'building a graph allocates nothing');
  });
});
