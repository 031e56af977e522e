// Convolutions (src/ops/conv.ts) against NumPy loops (test/fixtures/nn_conv.gen.ts), their
// gradients against finite differences, vmap against a loop, and the error messages.
import * as mx from '../../src/index.ts';
import {
  conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, convGeneral, type ConvPadding,
} from '../../src/ops/conv.ts';
import { suite, type TestFn } from '../harness/suite.ts';
import { AssertionError, assert, assertClose, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import cases, { type NnArr, type NnCase } from '../fixtures/nn_conv.gen.ts';

type MxArray = mx.MxArray;
type Args = { [k: string]: any };

// ------------------------------------------------------------------ helpers (nn.suite.ts uses them too)

/** The harness's test with every case first selecting its device in webmlx. */
export function onDevice(test: TestFn): TestFn {
  return (name, fn, opts) => test(name, (ctx) => {
    mx.setDefaultDevice(ctx.device === 'cpu' ? mx.cpu : mx.gpu);
    return fn(ctx);
  }, opts);
}

/** A float32 array from a fixture spec. */
export function fx(a: NnArr, dtype: mx.DtypeLike = 'float32'): MxArray {
  if (a.shape.length === 0) return mx.array(a.data[0], dtype);
  return mx.reshape(mx.array(a.data, dtype), a.shape);
}

export const nums = async (x: MxArray): Promise<number[]> => Array.from((await x.data()) as ArrayLike<number>, Number);

/** Adapter: computes a case's output(s) from its built inputs and args. */
export type Adapter = (inputs: Record<string, MxArray>, args: Args, c: NnCase) => MxArray | MxArray[];

/**
 * Runs fixture cases: builds all of them, evaluates their outputs with one eval, then
 * compares shapes and values; every failing case is listed.
 */
export async function runFixtures(list: NnCase[], adapter: Adapter): Promise<void> {
  const built = list.map((c) => {
    try {
      const ins = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, fx(v)]));
      const r = adapter(ins, c.args as Args, c);
      return { c, outs: Array.isArray(r) ? r : [r], err: undefined as unknown };
    } catch (err) {
      return { c, outs: [] as MxArray[], err };
    }
  });
  await mx.eval(...built.flatMap((b) => b.outs));
  const bad: string[] = [];
  for (const b of built) {
    try {
      if (b.err) throw b.err;
      const exp = Array.isArray(b.c.out) ? b.c.out : [b.c.out];
      if (exp.length !== b.outs.length) throw new AssertionError(`${b.outs.length} outputs, expected ${exp.length}`);
      for (let i = 0; i < exp.length; i++) {
        const o = b.outs[i];
        if (o.shape.join() !== exp[i].shape.join()) throw new AssertionError(`output ${i}: shape [${o.shape}], expected [${exp[i].shape}]`);
        assertClose(await nums(o), exp[i].data, { rtol: b.c.rtol, atol: b.c.atol, msg: `output ${i}` });
      }
    } catch (e) {
      bad.push(`  - ${b.c.op} / ${b.c.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (bad.length) throw new AssertionError(`${bad.length} of ${list.length} fixture cases failed:\n${bad.join('\n')}`);
}

/** One test per op of a fixture file. */
export function fixtureTests(test: TestFn, list: NnCase[], adapters: Record<string, Adapter>): void {
  const ops = [...new Set(list.map((c) => c.op))];
  for (const op of ops) {
    const group = list.filter((c) => c.op === op);
    test(`${op} vs NumPy (${group.length} case${group.length > 1 ? 's' : ''})`, () => {
      const a = adapters[op];
      if (!a) throw new Error(`no adapter for fixture op '${op}'`);
      return runFixtures(group, a);
    });
  }
}

/**
 * Gradient checks compile many kernels (each tap's slice vjp is a scatter), which is slow
 * on the software GPU drivers CI uses. Variants that only recombine paths the GPU cases
 * already cover (transposed = convGeneral with input dilation and flip; 3-D; second
 * order) run on the CPU only.
 */
export const CPU_ONLY = { devices: ['cpu' as const] };

const u = (shape: number[], seed: number, lo = -1, hi = 1) => mx.random.uniform(lo, hi, shape, mx.float32, { key: mx.random.key(seed) });

// ------------------------------------------------------------------ the suite

const ADAPTERS: Record<string, Adapter> = {
  conv1d: ({ x, w }, a) => conv1d(x, w, a.stride[0], a.padding[0], a.dilation[0], a.groups),
  conv2d: ({ x, w }, a) => conv2d(x, w, a.stride, a.padding, a.dilation, a.groups),
  conv3d: ({ x, w }, a) => conv3d(x, w, a.stride, a.padding, a.dilation, a.groups),
  convTranspose1d: ({ x, w }, a) => convTranspose1d(x, w, a.stride[0], a.padding[0], a.dilation[0], a.outputPadding[0], a.groups),
  convTranspose2d: ({ x, w }, a) => convTranspose2d(x, w, a.stride, a.padding, a.dilation, a.outputPadding, a.groups),
  convTranspose3d: ({ x, w }, a) => convTranspose3d(x, w, a.stride, a.padding, a.dilation, a.outputPadding, a.groups),
  convGeneral: ({ x, w }, a) => convGeneral(x, w, a.stride, a.padding as ConvPadding, a.kernelDilation, a.inputDilation, a.groups, a.flip),
};

export const convSuite = suite('conv', (t) => {
  const test = onDevice(t);
  fixtureTests(test, cases, ADAPTERS);

  test('grad conv1d: stride, padding, dilation, groups', () =>
    checkGrads((x, w) => conv1d(x, w, 2, 1, 2, 2), [u([2, 9, 4], 1), u([6, 3, 2], 2)]));
  test('grad conv2d: stride, asymmetric kernel, depthwise', async () => {
    await checkGrads((x, w) => conv2d(x, w, [2, 1], [1, 0]), [u([1, 5, 4, 3], 3), u([2, 3, 2, 3], 4)]);
    await checkGrads((x, w) => conv2d(x, w, 1, 1, 1, 3), [u([1, 4, 4, 3], 5), u([3, 3, 3, 1], 6)]);
  });
  test('grad conv3d', () => checkGrads((x, w) => conv3d(x, w, [1, 2, 1], 1), [u([1, 3, 4, 3, 2], 7), u([2, 2, 2, 2, 2], 8)]), CPU_ONLY);
  test('grad convTranspose1d/2d/3d', async () => {
    await checkGrads((x, w) => convTranspose1d(x, w, 2, 1, 1, 1), [u([1, 4, 2], 9), u([3, 3, 2], 10)]);
    await checkGrads((x, w) => convTranspose2d(x, w, 2, 1, [1, 2], 0, 2), [u([1, 3, 3, 4], 11), u([2, 2, 3, 2], 12)]);
    await checkGrads((x, w) => convTranspose3d(x, w, [2, 1, 1]), [u([1, 2, 2, 2, 1], 13), u([2, 2, 1, 2, 1], 14)]);
  }, CPU_ONLY);
  test('grad convGeneral: input dilation, flip, uneven and negative padding', async () => {
    await checkGrads((x, w) => convGeneral(x, w, [1, 2], [[2, -1], [0, 1]], [1, 2], [2, 1], 1, true), [u([1, 3, 6, 2], 15), u([2, 2, 2, 2], 16)]);
  });
  test('second order: grad of grad through conv2d', () =>
    checkGrads((x, w) => mx.tanh(conv2d(x, w, 1, 1)), [u([1, 3, 3, 2], 17), u([2, 2, 2, 2], 18)], { order: 2, modes: ['rev'] }), CPU_ONLY);

  test('vmap over a batch of kernels matches a loop', async () => {
    const x = u([2, 6, 3], 19);
    const ws = u([4, 5, 3, 3], 20);
    const v = mx.vmap((w: MxArray) => conv1d(x, w, 1, 1))(ws) as MxArray;
    const loop = mx.stack(Array.from({ length: 4 }, (_, i) => conv1d(x, ws.index(i), 1, 1)));
    assertClose(await nums(v), await nums(loop), { rtol: 1e-5, atol: 1e-6 });
    assert(v.shape.join() === '4,2,6,5', `vmap shape ${v.shape}`);
  });

  test('shapes, dtype promotion and the 1x1 / identity cases', async () => {
    const x = u([2, 5, 5, 3], 21);
    const eye = mx.reshape(mx.eye(3), [3, 1, 1, 3]);
    assertClose(await nums(conv2d(x, eye)), await nums(x), { rtol: 0, atol: 0 });
    const y = conv2d(mx.astype(x, mx.float16), mx.ones([4, 3, 3, 3]), 2, 1);
    assert(y.dtype === mx.float32 && y.shape.join() === '2,3,3,4', `${y.dtype.name} ${y.shape}`);
    assert(convTranspose2d(mx.ones([1, 4, 4, 8]), mx.ones([4, 3, 3, 8]), 2, 1, 1, 1).shape.join() === '1,8,8,4');
    assert(convGeneral(mx.ones([1, 8, 8, 3]), mx.ones([4, 3, 3, 3]), [2, 1], [[1, 0], [1, 2]]).shape.join() === '1,4,8,4');
  });

  test('a convolution is one implicit-GEMM kernel on the GPU (no im2col buffer)', async (ctx) => {
    const lines: string[] = [];
    const x = mx.random.normal([2, 9, 9, 4], mx.float32, 0, 1, { key: mx.random.key(1) });
    const w = mx.random.normal([6, 3, 3, 4], mx.float32, 0, 1, { key: mx.random.key(2) });
    await mx.eval(x, w);
    mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
    let y: mx.MxArray;
    try {
      y = mx.conv2d(x, w, 2, 1);
      await mx.eval(y);
    } finally {
      mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    if (ctx.device === 'gpu') assert(lines.length === 1 && lines[0].startsWith('[gpu] conv'), lines.map((l) => l.split('\n')[0]).join('; '));
    // and it agrees with the composite (pads + strided slices + matmul) gradient path
    const ref = mx.vjp((a: mx.MxArray) => [mx.conv2d(a, w, 2, 1)], [x], [mx.onesLike(y)])[0][0];
    assertClose(Array.from(await y.data() as Float32Array), Array.from(await ref.data() as Float32Array), { rtol: 1e-5, atol: 1e-5 });
  });

  test('errors name the op and the shapes', () => {
    const x = mx.ones([1, 6, 4]);
    assertThrows(() => conv1d(x, mx.ones([2, 3, 3])), /\[conv1d\].*input channels.*\(1,6,4\).*\(2,3,3\)/);
    assertThrows(() => conv1d(x, mx.ones([3, 3, 2]), 1, 0, 1, 2), /\[conv1d\].*output channels \(3\).*groups \(2\)/);
    assertThrows(() => conv1d(mx.ones([1, 6, 3]), mx.ones([4, 3, 1]), 1, 0, 1, 2), /\[conv1d\].*input channels \(3\).*divisible by groups \(2\)/);
    assertThrows(() => conv1d(mx.ones([1, 6, 4]), mx.ones([4, 3, 1]), 1, 0, 1, 2), /\[conv1d\] With groups=2 the weight expects 2 input channels but the input has 4/);
    assertThrows(() => conv2d(x, mx.ones([2, 3, 3, 4])), /\[conv2d\] Invalid input with 3 dimensions for a 2D convolution.*\(1,6,4\)/);
    assertThrows(() => conv2d(mx.ones([1, 6, 6, 4]), mx.ones([2, 3, 4])), /\[conv2d\] Invalid weight with 3 dimensions/);
    assertThrows(() => conv1d(mx.ones([1, 6, 4], mx.int32), mx.ones([2, 3, 4])), /\[conv1d\] Convolution only supports floating point inputs, got int32/);
    assertThrows(() => conv1d(mx.ones([1, 2, 4]), mx.ones([2, 3, 4])), /\[conv1d\] The spatial size of the input after padding and dilation \(2\) must be at least the dilated kernel size \(3\)/);
    assertThrows(() => conv2d(mx.ones([1, 6, 6, 4]), mx.ones([2, 3, 3, 4]), [1, 1, 1]), /\[conv2d\] stride has 3 entries/);
    assertThrows(() => convTranspose1d(x, mx.ones([2, 3, 4]), 0), /\[convTranspose1d\] stride must be positive/);
    assertThrows(() => conv1d(x, mx.ones([2, 3, 4]), 1, -1), /\[conv1d\] padding must be non-negative/);
  });
});
