// complex64 (src/ops/complex.ts) and the mx.fft transforms (src/fft/transforms.ts) against
// NumPy (test/fixtures/complex.gen.ts): arithmetic, functions, reductions, data movement,
// every transform with n/s/axes; plus creation and readback, fusion, gradients and errors.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/complex.gen.ts';
import { mx, fixtureTests, onDevice, type Adapter, type Args, type MxArray } from './common.ts';

type In = Parameters<Adapter>[0];
const n = (v: Args[string] | undefined) => v as number | undefined;
const z = (xs: In, i: number): MxArray => mx.complex(xs[2 * i] as MxArray, xs[2 * i + 1] as MxArray);
/** A complex result as float32 (re, im) pairs, as the fixture writes it. */
const pairs = (y: MxArray): MxArray => mx.stack([mx.real(y), mx.imag(y)], -1);
const un = (f: (a: MxArray) => MxArray): Adapter => (xs) => pairs(f(z(xs, 0)));
const bin = (f: (a: MxArray, b: MxArray) => MxArray): Adapter => (xs) => pairs(f(z(xs, 0), z(xs, 1)));
const src = (xs: In, a: Args): MxArray => (a.real ? (xs[0] as MxArray) : z(xs, 0));

const adapters: Record<string, Adapter> = {
  add: bin(mx.add), subtract: bin(mx.subtract), multiply: bin(mx.multiply), divide: bin(mx.divide), power: bin(mx.power),
  equal: (xs) => mx.equal(z(xs, 0), z(xs, 1)), notEqual: (xs) => mx.notEqual(z(xs, 0), z(xs, 1)),
  negative: un(mx.negative), square: un(mx.square), reciprocal: un(mx.reciprocal), exp: un(mx.exp), expm1: un(mx.expm1),
  log: un(mx.log), log1p: un(mx.log1p), log2: un(mx.log2), log10: un(mx.log10), sqrt: un(mx.sqrt), rsqrt: un(mx.rsqrt),
  sin: un(mx.sin), cos: un(mx.cos), tan: un(mx.tan), sinh: un(mx.sinh), cosh: un(mx.cosh), tanh: un(mx.tanh),
  sign: un(mx.sign), conj: un(mx.conj), conjugate: un(mx.conjugate),
  abs: (xs) => mx.abs(z(xs, 0)), real: (xs) => mx.real(z(xs, 0)), imag: (xs) => mx.imag(z(xs, 0)),
  angle: (xs, a) => mx.angle(z(xs, 0), !!a.deg),
  sum: (xs, a) => pairs(mx.sum(z(xs, 0), (a.axis ?? undefined) as number | undefined)),
  prod: (xs, a) => pairs(mx.prod(z(xs, 0), n(a.axis))),
  mean: (xs, a) => pairs(mx.mean(z(xs, 0), n(a.axis))),
  var: (xs, a) => mx.var(z(xs, 0), n(a.axis)),
  cumsum: (xs, a) => pairs(mx.cumsum(z(xs, 0), n(a.axis))),
  matmul: bin(mx.matmul),
  transpose: un((a) => mx.transpose(a)),
  reshape: (xs, a) => pairs(mx.reshape(z(xs, 0), a.shape as number[])),
  slice: un((a) => a.index(mx.slice(), mx.slice(1, null, 2))),
  concatenate: (xs) => pairs(mx.concatenate([z(xs, 0), z(xs, 1)], 0)),
  take: (xs, a) => pairs(mx.take(z(xs, 0), mx.array(a.indices as number[]), 0)),
  where: (xs) => pairs(mx.where(mx.broadcastTo(mx.array([true, false, true, false]), [3, 4]), z(xs, 0), z(xs, 1))),
  pad: (xs, a) => pairs(mx.pad(z(xs, 0), a.width as number[][])),
  fft: (xs, a) => pairs(mx.fft.fft(z(xs, 0), n(a.n), n(a.axis) ?? -1)),
  ifft: (xs, a) => pairs(mx.fft.ifft(z(xs, 0), n(a.n), n(a.axis) ?? -1)),
  fft2: (xs, a) => pairs(mx.fft.fft2(z(xs, 0), a.s as number[] | undefined)),
  ifft2: (xs, a) => pairs(mx.fft.ifft2(z(xs, 0), a.s as number[] | undefined)),
  fftn: (xs, a) => pairs(mx.fft.fftn(z(xs, 0), a.s as number[] | undefined, a.axes as number[] | undefined)),
  ifftn: (xs, a) => pairs(mx.fft.ifftn(z(xs, 0), a.s as number[] | undefined, a.axes as number[] | undefined)),
  rfft: (xs, a) => pairs(mx.fft.rfft(src(xs, a), n(a.n), n(a.axis) ?? -1)),
  irfft: (xs, a) => mx.fft.irfft(z(xs, 0), n(a.n), n(a.axis) ?? -1),
  rfft2: (xs, a) => pairs(mx.fft.rfft2(src(xs, a))),
  rfftn: (xs, a) => pairs(mx.fft.rfftn(src(xs, a))),
  irfft2: (xs, a) => mx.fft.irfft2(z(xs, 0), a.s as number[] | undefined),
  irfftn: (xs, a) => mx.fft.irfftn(z(xs, 0), a.s as number[] | undefined),
};

const rnd = (shape: number[], seed: number) => mx.random.normal(shape, mx.float32, 0, 1, { key: mx.random.key(seed) });

export const complexSuite = suite('complex', (t) => {
  const test = onDevice(t);
  fixtureTests(test, fixture.cases, adapters);

  test('creation and readback: {re, im} values, astype, item, npy round trip', async () => {
    const a = mx.array([[{ re: 1, im: -2 }, 3], [0.5, { re: 0, im: 1 }]]);
    assertEqual(a.dtype, mx.complex64);
    assertEqual(a.itemsize, 8);
    assertEqual(await a.tolist(), [[{ re: 1, im: -2 }, { re: 3, im: 0 }], [{ re: 0.5, im: 0 }, { re: 0, im: 1 }]]);
    assertEqual(await a.index(1, 1).item(), { re: 0, im: 1 });
    assertEqual(await mx.astype(mx.array([1, 2]), mx.complex64).tolist(), [{ re: 1, im: 0 }, { re: 2, im: 0 }]);
    // to a real type keeps the real part, as NumPy's astype
    assertEqual(await mx.astype(a, mx.float32).tolist(), [[1, 3], [0.5, 0]]);
    assertEqual(mx.add(a, mx.array([1], mx.int32)).dtype, mx.complex64);
    assertEqual(mx.issubdtype(mx.complex64, 'complexfloating'), true);
    assertEqual(mx.issubdtype(mx.complex64, 'floating'), false);
    const back = await mx.loadNpy(await mx.save(a));
    assertEqual(back.dtype, mx.complex64);
    assertEqual(await back.tolist(), await a.tolist());
    const st = await mx.loadSafetensors(await mx.saveSafetensors({ a }));
    assertEqual(await st.arrays.a.tolist(), await a.tolist());
    assertEqual(await mx.data(a), new Float32Array([1, -2, 3, 0, 0.5, 0, 0, 1]));
    // method forms
    assertEqual(await a.real.tolist(), [[1, 3], [0.5, 0]]);
    assertEqual(await a.imag.tolist(), [[-2, 0], [0, 1]]);
    assertEqual(await a.conj().index(0, 0).item(), { re: 1, im: 2 });
  });

  test('complex arithmetic fuses into one kernel', async () => {
    const re = rnd([64], 1), im = rnd([64], 2);
    await mx.eval(re, im);
    const zz = mx.complex(re, im);
    const y = mx.abs(mx.add(mx.multiply(zz, zz), mx.exp(zz)));
    const lines: string[] = [];
    mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
    try {
      await mx.eval(y);
    } finally {
      mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    const kernels = lines.filter((l) => l.startsWith('[gpu] ')).length;
    assertEqual(kernels <= 1, true, `${kernels} GPU kernels`);
    const r = (await re.tolist()) as number[], i = (await im.tolist()) as number[];
    const want = r.map((x, k) => {
      const y0 = i[k];
      const sr = x * x - y0 * y0 + Math.exp(x) * Math.cos(y0), si = 2 * x * y0 + Math.exp(x) * Math.sin(y0);
      return Math.hypot(sr, si);
    });
    assertClose(await y.tolist(), want, { rtol: 1e-4, atol: 1e-5 });
  });

  test('a graph built on a complex result while asyncEval runs reads it, not its inputs again', async () => {
    const z = mx.complex(rnd([4, 16], 5), rnd([4, 16], 6));
    await mx.eval(z);
    const lines: string[] = [];
    mx.setDebug({ logKernels: true, log: (m) => lines.push(m) });
    let first: unknown, again: unknown;
    try {
      const y = mx.fft.fft(z);
      const done = mx.asyncEval(y);
      first = await y.reshape(-1).index(3).item();
      await done;
      again = await y.reshape(-1).index(3).item();
    } finally {
      mx.setDebug({ logKernels: false, log: (m) => console.log(m) });
    }
    // the GPU names the kernel fft; the CPU runs it as an extern op
    const ffts = lines.filter((l) => /^\[gpu\] fft|^\[cpu\] extern/.test(l)).length;
    assertEqual(ffts, 1, `${ffts} fft kernels`);
    assertEqual(first, again);
  });

  test('gradients through complex ops and the transforms', async () => {
    // real losses of complex intermediates, checked by finite differences on the parts
    await checkGrads((a, b) => mx.abs(mx.multiply(mx.complex(a, b), mx.exp(mx.complex(b, a)))), [rnd([5], 3), rnd([5], 4)]);
    await checkGrads((a, b) => mx.real(mx.fft.fft(mx.complex(a, b))), [rnd([2, 6], 5), rnd([2, 6], 6)]);
    await checkGrads((a) => mx.imag(mx.fft.rfft(a)), [rnd([3, 8], 7)]);
    await checkGrads((a, b) => mx.fft.irfft(mx.complex(a, b), 6), [rnd([2, 4], 8), rnd([2, 4], 9)]);
    await checkGrads((a, b) => mx.angle(mx.fft.ifft2(mx.complex(a, b))), [rnd([3, 4], 10), rnd([3, 4], 11)]);
    // the gradient of a real loss in a complex input is dL/dRe + i dL/dIm
    const zz = mx.array([{ re: 1, im: 2 }, { re: 3, im: -1 }]);
    const g = mx.grad((v: MxArray) => mx.sum(mx.square(mx.abs(v))))(zz);
    assertEqual(g.dtype, mx.complex64);
    assertClose(await g.tolist(), [[2, 4], [6, -2]]);
  });

  test('vmap and compile over complex functions', async () => {
    const re = rnd([3, 8], 12), im = rnd([3, 8], 13);
    const f = (a: MxArray, b: MxArray) => mx.abs(mx.fft.fft(mx.complex(a, b)));
    const batched = mx.vmap(f)(re, im) as MxArray;
    assertClose(await batched.tolist(), await f(re, im).tolist(), { rtol: 1e-5, atol: 1e-5 });
    const cf = mx.compile(f);
    assertClose(await (cf(re, im) as MxArray).tolist(), await f(re, im).tolist(), { rtol: 1e-6, atol: 1e-6 });
  });

  test('fft round trips: ifft(fft(x)), irfft(rfft(x)), irfftn(rfftn(x))', async () => {
    const x = rnd([4, 12], 14);
    assertClose(await mx.real(mx.fft.ifft(mx.fft.fft(x))).tolist(), await x.tolist(), { rtol: 1e-4, atol: 1e-5 });
    assertClose(await mx.fft.irfft(mx.fft.rfft(x, 11), 11).tolist(), await x.index(mx.slice(), mx.slice(0, 11)).tolist(), { rtol: 1e-4, atol: 1e-5 });
    assertClose(await mx.fft.irfftn(mx.fft.rfftn(x), x.shape as number[]).tolist(), await x.tolist(), { rtol: 1e-4, atol: 1e-5 });
  });

  test('errors name the op, shapes and dtypes', async () => {
    const zz = mx.array([{ re: 1, im: 1 }]);
    assertThrows(() => mx.maximum(zz, zz), /maximum.*complex64/);
    assertThrows(() => mx.floor(zz), /floor.*complex64/);
    assertThrows(() => mx.argmax(zz), /argmax.*complex64/);
    assertThrows(() => mx.complex(zz, 1), /complex.*real/);
    assertThrows(() => mx.fft.fft(mx.ones([4]), 0), /fft.*positive integer/);
    assertThrows(() => mx.fft.fft(mx.ones([4]), 4, 2), /fft.*axis 2.*\(4,?\)/);
    assertThrows(() => mx.fft.fftn(mx.ones([4, 4]), [4], [0, 1]), /fftn.*same length/);
    assertThrows(() => mx.fft.fft2(mx.ones([4, 4]), undefined, [0, 0]), /fft2.*Duplicate/);
    assertThrows(() => mx.array([{ re: 1, im: 1 }], mx.float32), /complex64/);
  });
});
