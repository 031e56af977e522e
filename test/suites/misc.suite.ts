// Small ops (diag diagonal trace diff asStrided atleast* unflatten broadcastArrays
// countNonzero logcumsumexp divmod windows convolve hadamardTransform view) against NumPy
// (test/fixtures/misc.gen.ts), plus method forms, gradients and errors.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertShape, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/misc.gen.ts';
import { mx, arr, fixtureTests, nums, onDevice, type Adapter, type Args } from './common.ts';

const n = (v: Args[string] | undefined) => v as number;
const adapters: Record<string, Adapter> = {
  diag: (xs, a) => mx.diag(xs[0], n(a.k)),
  diagonal: (xs, a) => mx.diagonal(xs[0], n(a.offset), n(a.axis1), n(a.axis2)),
  trace: (xs, a) => mx.trace(xs[0], n(a.offset), n(a.axis1), n(a.axis2), (a.dtype ?? undefined) as mx.DtypeName | undefined),
  diff: (xs, a) => mx.diff(xs[0], n(a.n), n(a.axis), xs[1] ?? null, (a.append ?? null) as number | null),
  asStrided: (xs, a) => mx.asStrided(xs[0], a.shape as number[], a.strides as number[], n(a.offset)),
  atleast1d: (xs) => mx.atleast1d(xs[0]),
  atleast2d: (xs) => mx.atleast2d(xs[0]),
  atleast3d: (xs) => mx.atleast3d(xs[0]),
  unflatten: (xs, a) => mx.unflatten(xs[0], n(a.axis), a.shape as number[]),
  broadcastArrays: (xs) => mx.broadcastArrays(...xs),
  countNonzero: (xs, a) => mx.countNonzero(xs[0], a.axis as number | number[] | null, a.keepdims as boolean),
  logcumsumexp: (xs, a) => mx.logcumsumexp(xs[0], a.axis as number | null, a.reverse as boolean, a.inclusive as boolean),
  divmod: (xs) => mx.divmod(xs[0], xs[1]),
  hamming: (_, a) => mx.hamming(n(a.M)),
  hanning: (_, a) => mx.hanning(n(a.M)),
  bartlett: (_, a) => mx.bartlett(n(a.M)),
  blackman: (_, a) => mx.blackman(n(a.M)),
  convolve: (xs, a) => mx.convolve(xs[0], xs[1], a.mode as 'full'),
  hadamardTransform: (xs, a) => mx.hadamardTransform(xs[0], (a.scale ?? undefined) as number | undefined),
  view: (xs, a) => mx.view(arr(xs[0]), a.dtype as mx.DtypeName),
};

const rnd = (shape: number[], seed: number) => mx.random.normal(shape, mx.float32, 0, 1, { key: mx.random.key(seed) });

export const miscSuite = suite('misc', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('method forms: diag, diagonal, view', async () => {
    const x = mx.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], mx.float32);
    assertEqual(await x.diag().tolist(), [1, 5, 9]);
    assertEqual(await x.diagonal(1).tolist(), [2, 6]);
    assertEqual(await x.view(mx.int32).index(0, 0).item(), 1065353216);
  });

  test('gradients: trace, diagonal, diag, diff', async () => {
    await checkGrads((a) => mx.trace(a, 1, 1, 2), [rnd([2, 3, 4], 1)]);
    await checkGrads((a) => mx.diagonal(a, -1, 0, 1), [rnd([4, 3], 2)]);
    await checkGrads((a) => mx.diag(a, 1), [rnd([3], 3)]);
    await checkGrads((a) => mx.diff(a, 2, 0), [rnd([5, 2], 4)]);
  });

  test('gradients: logcumsumexp, convolve, hadamardTransform', async () => {
    await checkGrads((a) => mx.logcumsumexp(a, 1), [rnd([2, 5], 5)]);
    await checkGrads((a) => mx.logcumsumexp(a, 0, true), [rnd([4, 2], 6)]);
    // an exclusive scan starts at -inf; exp keeps the checked output finite
    await checkGrads((a) => mx.exp(mx.logcumsumexp(a, 0, true, false)), [rnd([4, 2], 6)]);
    await checkGrads((a, v) => mx.convolve(a, v, 'same'), [rnd([6], 7), rnd([3], 8)]);
    await checkGrads((a) => mx.hadamardTransform(a), [rnd([2, 8], 9)]);
  });

  test('logcumsumexp is exact where a shifted cumsum underflows', async () => {
    const y = mx.logcumsumexp(mx.array([-1000, -1000, 0], mx.float32));
    assertClose(await nums(y), [-1000, -1000 + Math.LN2, 0], { rtol: 1e-6, atol: 1e-4 });
  });

  test('hadamardTransform twice is the identity', async () => {
    const x = rnd([3, 32], 10);
    const d = mx.max(mx.abs(mx.subtract(mx.hadamardTransform(mx.hadamardTransform(x)), x)));
    const v = (await d.item()) as number;
    if (!(v < 1e-5)) throw new Error(`H(H(x)) differs from x by ${v}`);
  });

  test('atleast with several arrays returns a list', () => {
    const [a, b] = mx.atleast2d(mx.array(1), mx.zeros([3]));
    assertShape(a, [1, 1]);
    assertShape(b, [1, 3]);
  });

  test('errors name the op and shapes', () => {
    assertThrows(() => mx.hadamardTransform(mx.zeros([2, 12])), /\[hadamardTransform\].*\(2,12\).*size 12.*powers of 2/);
    assertThrows(() => mx.view(mx.zeros([3], mx.uint8), mx.int32), /\[view\].*\(3,\).*uint8.*int32/);
    assertThrows(() => mx.view(mx.array(1, mx.int32), mx.int16), /\[view\].*0-d/);
    assertThrows(() => mx.diagonal(mx.zeros([3])), /\[diagonal\].*\(3,\)/);
    assertThrows(() => mx.diag(mx.zeros([2, 2, 2])), /\[diag\].*\(2,2,2\)/);
    assertThrows(() => mx.asStrided(mx.zeros([4]), [3], [2]), /\[asStrided\].*reach element 4.*size 4/);
    assertThrows(() => mx.unflatten(mx.zeros([2, 6]), 1, [4, -1]), /\[unflatten\].*size 6/);
    assertThrows(() => mx.convolve(mx.zeros([2, 2]), mx.zeros([2])), /\[convolve\].*1-D.*\(2,2\)/);
    assertThrows(() => mx.diff(mx.zeros([3]), -1), /\[diff\]/);
    assertThrows(() => mx.broadcastArrays(mx.zeros([2]), mx.zeros([3])), /\[broadcastArrays\].*\(2,\).*\(3,\)/);
  });
});
