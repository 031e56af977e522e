// Small mlx.core names (src/ops/extras.ts, src/ops/fp8.ts, src/api/devices.ts), tree
// merging, random.laplace and the Module/array additions, on both devices.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertThrows } from '../harness/assert.ts';
import { onDevice, nums } from './common.ts';
import fx from '../fixtures/extras.gen.ts';

export const extrasSuite = suite('extras', (t) => {
  const test = onDevice(t);

  test('toFp8 matches the nearest-code oracle (ties to even, saturating) for float32/float16/bfloat16', async () => {
    const x = mx.array(fx.encodeIn, mx.float32);
    const codes = mx.toFp8(x);
    assertEqual(codes.dtype, mx.uint8);
    assertEqual(await nums(codes), fx.encodeOut);
    // float16 and bfloat16 inputs: compare with the float32 encoding of the rounded inputs
    for (const dt of [mx.float16, mx.bfloat16]) {
      const y = x.astype(dt);
      const ref = await nums(mx.toFp8(y.astype(mx.float32)));
      assertEqual(await nums(mx.toFp8(y)), ref);
    }
  });

  test('fromFp8 decodes all 256 codes (0x7F reads as 480, as MLX)', async () => {
    const c = mx.arange(0, 256, 1, mx.uint8);
    assertEqual(await nums(mx.fromFp8(c, mx.float32)), fx.decode);
    const bf = mx.fromFp8(c);
    assertEqual(bf.dtype, mx.bfloat16);
    assertEqual(await nums(bf.astype(mx.float32)), fx.decode);
    // round trip of every finite code
    const finite = mx.array([...Array(127).keys()], mx.uint8);
    assertEqual(await nums(mx.toFp8(mx.fromFp8(finite, mx.float32))), [...Array(127).keys()]);
    assertThrows(() => mx.fromFp8(mx.array([1], mx.int32)), /\[fromFp8\] Input must have type uint8 but x.dtype == int32/);
    assertThrows(() => mx.toFp8(mx.array([1], mx.int32)), /\[toFp8\] Only real floating types/);
  });

  test('array-API aliases and small predicates', async () => {
    const a = mx.array([[1, 2], [3, 4]], mx.float32);
    assertEqual(await mx.asarray([1, 2], mx.int8).tolist(), [1, 2]);
    assertEqual(mx.asarray(a), a);
    assertEqual(mx.broadcastShapes([2, 1], [3], [1, 1, 1]), [1, 2, 3]);
    assertThrows(() => mx.broadcastShapes([2], [3]), /\[broadcastShapes\] Shapes \(2\) and \(3\)/);
    assert(mx.canCast(mx.int8, mx.int32) && !mx.canCast(mx.int32, mx.int8) && mx.canCast(a, mx.float32) && !mx.canCast(mx.float32, mx.float16), 'canCast');
    assert(mx.isdtype(mx.float16, 'real floating') && mx.isdtype(mx.uint8, ['bool', 'unsigned integer']) && !mx.isdtype(mx.int8, 'unsigned integer'), 'isdtype kinds');
    assert(mx.isdtype(mx.int32, mx.int32) && mx.isdtype(mx.bool, 'bool') && !mx.isdtype(mx.bool, 'numeric'), 'isdtype dtypes');
    assertThrows(() => mx.isdtype(mx.int8, 'tiny integer' as never), /\[isdtype\] Unknown data type kind/);
    assertEqual(await mx.concat([a, a], 1).tolist(), [[1, 2, 1, 2], [3, 4, 3, 4]]);
    assertEqual(await mx.permuteDims(a, [1, 0]).tolist(), [[1, 3], [2, 4]]);
    assertEqual(await mx.contiguous(a.T).tolist(), [[1, 3], [2, 4]]);
    assertEqual(await mx.positive(mx.array([-1, 2], mx.int16)).tolist(), [-1, 2]);
    assertClose(await nums(mx.degrees(mx.array([Math.PI, -Math.PI / 2]))), [180, -90], { rtol: 1e-6 });
    assertClose(await nums(mx.radians(mx.array([180, 90], mx.int32))), [Math.PI, Math.PI / 2], { rtol: 1e-6 });
    const inf = mx.array([-Infinity, Infinity, 1, NaN]);
    assertEqual(await mx.isneginf(inf).tolist(), [true, false, false, false]);
    assertEqual(await mx.isposinf(inf).tolist(), [false, true, false, false]);
    assertEqual(await mx.logicalXor(mx.array([true, false, true]), mx.array([1, 0, 0])).tolist(), [false, false, true]);
    assertEqual(await mx.trunc(mx.array([-1.7, 1.7, -0.2, 2])).tolist(), [-1, 1, -0, 2]);
    assertEqual(await mx.trunc(mx.array([3], mx.int32)).tolist(), [3]);
    const parts = mx.unstack(mx.arange(0, 6, 1, mx.int32).reshape(2, 3), 1);
    assertEqual(parts.length, 3);
    assertEqual(await parts[2].tolist(), [2, 5]);
    assertThrows(() => mx.unstack(mx.array(1)), /\[unstack\] Cannot unstack a scalar/);
    assertEqual(await a.log2().tolist(), [[0, 1], [Math.log2(3), 2]].map((r) => r.map((v) => Math.fround(v))));
    assertClose(await nums(a.log10()), [0, Math.log10(2), Math.log10(3), Math.log10(4)], { rtol: 1e-6 });
  });

  test('treeMerge, Module.state, random.laplace', async () => {
    assertEqual(mx.treeMerge({ a: 1, c: [1] }, { b: 2, c: [null, 3] }), { a: 1, b: 2, c: [1, 3] });
    assertEqual(mx.treeMerge({ a: 1 }, { a: 2 }, (x, y) => (x as number) + (y as number)), { a: 3 });
    assertThrows(() => mx.treeMerge({ a: 1 }, { a: 2 }), /\[treeMerge\] Both trees have a value/);
    const lin = new nn.Linear(2, 3);
    assertEqual(Object.keys(lin.state).sort(), ['bias', 'weight']);
    const s = mx.random.laplace([20000], mx.float32, 1, 2, { key: mx.random.key(4) });
    const v = await nums(s);
    const mean = v.reduce((p, q) => p + q, 0) / v.length;
    const mad = v.reduce((p, q) => p + Math.abs(q - 1), 0) / v.length; // E|x - loc| = scale
    assert(Math.abs(mean - 1) < 0.06 && Math.abs(mad - 2) < 0.06, `laplace mean ${mean}, mean abs deviation ${mad}`);
    assertThrows(() => mx.random.laplace([2], mx.int32), /\[random.laplace\] Can only generate floating types/);
  });

  test('fft frequency helpers and shifts match NumPy; multivariateNormal; logcumsumexp method', async () => {
    assertClose(await nums(mx.fft.fftfreq(4)), [0, 0.25, -0.5, -0.25]);
    assertClose(await nums(mx.fft.fftfreq(5, 0.1)), [0, 2, 4, -4, -2], { rtol: 1e-6 });
    assertClose(await nums(mx.fft.rfftfreq(5, 0.5)), [0, 0.4, 0.8], { rtol: 1e-6 });
    const x = mx.arange(0, 10, 1, mx.int32).reshape(2, 5);
    assertEqual(await mx.fft.fftshift(x, 1).tolist(), [[3, 4, 0, 1, 2], [8, 9, 5, 6, 7]]);
    assertEqual(await mx.fft.fftshift(x).tolist(), [[8, 9, 5, 6, 7], [3, 4, 0, 1, 2]]);
    assertEqual(await mx.fft.ifftshift(mx.fft.fftshift(x)).tolist(), await x.tolist());
    assertThrows(() => mx.fft.fftfreq(0), /\[fft.fftfreq\] n must be a positive integer/);
    const cov = mx.array([[2, 0.8], [0.8, 1]]);
    const s = mx.random.multivariateNormal(mx.array([1, -1]), cov, [20000], mx.float32, { key: mx.random.key(9) });
    assertEqual([...s.shape], [20000, 2]);
    const v = await nums(s);
    const n = v.length / 2;
    let m0 = 0, m1 = 0;
    for (let i = 0; i < n; i++) (m0 += v[2 * i]), (m1 += v[2 * i + 1]);
    m0 /= n, m1 /= n;
    let c00 = 0, c01 = 0, c11 = 0;
    for (let i = 0; i < n; i++) {
      const a = v[2 * i] - m0, b = v[2 * i + 1] - m1;
      c00 += a * a, c01 += a * b, c11 += b * b;
    }
    const got = [m0, m1, c00 / n, c01 / n, c11 / n], want = [1, -1, 2, 0.8, 1];
    got.forEach((g, i) => assert(Math.abs(g - want[i]) < 0.06, `moment ${i}: ${g} vs ${want[i]}`));
    assertThrows(() => mx.random.multivariateNormal(mx.zeros([3]), mx.eye(2)), /\[random.multivariateNormal\] mean must be/);
    const a = mx.array([0, 1, 2], mx.float32);
    assertClose(await nums(a.logcumsumexp()), await nums(mx.logcumsumexp(a)));
  });

  test('synchronize, deviceCount and deviceInfo', async (ctx) => {
    const y = mx.exp(mx.ones([64]));
    const done = mx.asyncEval(y);
    await mx.synchronize();
    await done;
    assertEqual(await mx.deviceCount('cpu'), 1);
    assertEqual((await mx.deviceInfo(mx.cpu)).device_name, 'cpu');
    if (ctx.device === 'gpu') {
      assertEqual(await mx.deviceCount(mx.gpu), 1);
      const info = await mx.deviceInfo(mx.gpu);
      assert(typeof info.device_name === 'string' && (info.max_buffer_length as number) > 0, JSON.stringify(info));
    }
  });
});
