// Errors: thrown synchronously at the call (graph construction), naming the op and
// the offending shapes/dtypes/axes; readbacks of bad arrays reject.
import { suite } from '../harness/suite.ts';
import { assertRejects, assertThrows } from '../harness/assert.ts';
import { mx, onDevice } from './common.ts';

export const errorsSuite = suite('errors', (t) => {
  const test = onDevice(t);

  test('broadcasting errors name the op and both shapes', () => {
    const a = mx.zeros([2, 3]), b = mx.zeros([4]);
    assertThrows(() => mx.add(a, b), /\[add\].*\(2,3\).*\(4,\)/);
    assertThrows(() => mx.multiply(a, mx.zeros([3, 2])), /\[multiply\].*\(2,3\).*\(3,2\)/);
    assertThrows(() => mx.equal(a, b), /\[equal\]/);
    assertThrows(() => mx.maximum(a, b), /\[maximum\]/);
    assertThrows(() => mx.where(mx.zeros([5], mx.bool), a, 0), /\[where\]/);
    assertThrows(() => mx.logaddexp(a, b), /\[logaddexp\]/);
    assertThrows(() => a.subtract(b), /\[subtract\]/);
  });

  test('dtype errors name the op', () => {
    const f = mx.zeros([2]), bl = mx.zeros([2], mx.bool);
    assertThrows(() => mx.bitwiseAnd(f, f), /\[bitwiseAnd\].*float32/);
    assertThrows(() => mx.bitwiseOr(f, 1), /\[bitwiseOr\]/);
    assertThrows(() => mx.leftShift(f, 1), /\[leftShift\]/);
    assertThrows(() => mx.rightShift(mx.zeros([2], mx.float16), 1), /\[rightShift\]/);
    assertThrows(() => mx.bitwiseInvert(f), /\[bitwiseInvert\]/);
    assertThrows(() => mx.negative(bl), /\[negative\]/);
    assertThrows(() => mx.subtract(bl, bl), /\[subtract\]/);
    assertThrows(() => mx.matmul(mx.zeros([2, 2], mx.bool), mx.zeros([2, 2], mx.bool)), /\[matmul\]/);
    assertThrows(() => mx.zeros([2], 'complex128' as never), /[Uu]nknown dtype/);
    assertThrows(() => mx.array([1], 'int' as never), /[Uu]nknown dtype/);
  });

  test('axis errors name the op and the axis', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => mx.sum(x, 2), /\[sum\].*2.*2 dimensions/);
    assertThrows(() => mx.softmax(x, -3), /\[softmax\]|out of bounds/);
    assertThrows(() => mx.cumsum(x, 5), /\[cumsum\]/);
    assertThrows(() => mx.argmax(x, -3), /\[argmax\]/);
    assertThrows(() => mx.squeeze(x, 1), /\[squeeze\]/);
    assertThrows(() => mx.take(x, mx.array([0]), 2), /\[take\]/);
    assertThrows(() => mx.concatenate([x, x], 2), /\[concatenate\]/);
    assertThrows(() => mx.flip(x, 3), /\[flip\]/);
    assertThrows(() => mx.roll(x, 1, 4), /\[roll\]/);
    assertThrows(() => mx.split(x, 2, 5), /\[split\]/);
  });

  test('shape errors name the op', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => mx.reshape(x, [5]), /\[reshape\].*6.*\(5,\)/);
    assertThrows(() => mx.broadcastTo(x, [2]), /\[broadcastTo\]/);
    assertThrows(() => mx.matmul(x, x), /\[matmul\].*\(2,3\)/);
    assertThrows(() => mx.matmul(mx.zeros([]), x), /\[matmul\]/);
    assertThrows(() => mx.concatenate([x, mx.zeros([3, 3])], 1), /\[concatenate\]/);
    assertThrows(() => mx.stack([x, mx.zeros([3])]), /\[stack\]/);
    assertThrows(() => mx.zeros([-2]), /shape|dimensions/);
    assertThrows(() => mx.sliceUpdate(x, mx.zeros([2, 2]), [0, 2]), /\[sliceUpdate\]/);
    assertThrows(() => mx.putAlongAxis(x, mx.zeros([2], mx.int32), 1, 0), /\[putAlongAxis\]/);
  });

  test('indexing errors name index', () => {
    const x = mx.zeros([2, 3]);
    assertThrows(() => x.index(2), /\[index\].*2.*size 2/);
    assertThrows(() => x.index(0, 3), /\[index\]/);
    assertThrows(() => x.index(0, 0, 0), /\[index\]/);
    assertThrows(() => x.index(1.5), /\[index\]/);
    assertThrows(() => x.index('a:b'), /\[index\]/);
    assertThrows(() => x.index('...', '...'), /\[index\]/);
  });

  test('disposed arrays cannot be used', async () => {
    const x = mx.array([1, 2, 3]);
    await mx.eval(x);
    x.dispose();
    x.dispose(); // twice is fine
    assertThrows(() => mx.add(x, 1), /disposed/);
    assertThrows(() => mx.eval(x), /disposed/);
    await assertRejects(() => x.tolist(), /disposed/);
    const y = mx.exp(mx.array([1]));
    y.dispose();
    assertThrows(() => mx.sum(y), /disposed/);
  });

  test('readback errors', async () => {
    await assertRejects(() => mx.array([1, 2]).item(), /\[item\].*size-1/);
    await assertRejects(() => mx.zeros([0]).item(), /\[item\]/);
  });

  test('bad devices and streams', () => {
    assertThrows(() => mx.setDefaultDevice({ type: 'cpu' } as never), /\[setDefaultDevice\]/);
    assertThrows(() => mx.add(1, 2, { stream: 'cpu' as never }), /\[stream\]/);
    assertThrows(() => mx.zeros([2], mx.float32, { stream: {} as never }), /\[stream\]/);
  });

  test('64-bit dtypes on the GPU device are refused at the call', () => {
    assertThrows(() => mx.array([1, 2], mx.int64, { stream: mx.gpu }), /int64.*GPU/);
    assertThrows(() => mx.zeros([2], mx.float64, { stream: mx.gpu }), /float64.*GPU/);
    const c = mx.array([1, 2], mx.uint64, { stream: mx.cpu });
    assertThrows(() => mx.add(c, 1, { stream: mx.gpu }), /uint64.*GPU/);
    assertThrows(() => mx.astype(mx.array([1, 2], mx.int32, { stream: mx.cpu }), mx.int64, { stream: mx.gpu }), /int64.*GPU/);
  });

  test('64-bit dtypes with the GPU as default device throw a clear error', () => {
    // runs with mx.gpu as the default device
    assertThrows(() => mx.array([1, 2], mx.int64), /int64.*GPU/);
    assertThrows(() => mx.zeros([3], mx.float64), /float64.*GPU/);
    assertThrows(() => mx.astype(mx.array([1.5]), mx.float64), /float64.*GPU/);
    assertThrows(() => mx.arange(0, 4, 1, mx.uint64), /uint64.*GPU/);
  }, { devices: ['gpu'] });
});
