// fftPairs (src/fft/pairs.ts): unnormalised complex DFTs of (real, imag) pair arrays
// against NumPy (test/fixtures/fftpairs.gen.ts), power-of-two and Bluestein lengths,
// batches, views, float16, round trips, several passes and 2-D grids on the GPU,
// gradients, vmap and errors.
import { suite } from '../harness/suite.ts';
import { AssertionError, assertEqual, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import { cases, type FftCase } from '../fixtures/fftpairs.gen.ts';
import { GPU_ONLY, mx, onDevice, type MxArray } from './common.ts';
import { fftPairs } from '../../src/fft/pairs.ts';
import { setFftLocalLimit } from '../../src/fft/pairs_gpu.ts';

/** The fixture's input entry i (the integer hash of fftpairs.py). */
function pairValue(i: number, s: number): number {
  let u = (Math.imul(i + 1, 0x9e3779b1) + Math.imul(s, 0x85ebca77)) >>> 0;
  u = (u ^ (u >>> 15)) >>> 0;
  u = Math.imul(u, 0x2c1b3c6d) >>> 0;
  u = (u ^ (u >>> 12)) >>> 0;
  return (((u >>> 8) % 257) - 128) / 64;
}

const inputData = (c: FftCase): Float32Array => {
  const size = c.shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: size }, (_, i) => pairValue(i, c.seed));
};
const input = (c: FftCase, dtype: mx.Dtype = mx.float32): MxArray => mx.reshape(mx.array(inputData(c), dtype), c.shape);
const byName = (name: string): FftCase => cases.find((c) => c.name === name)!;

/** max |got - want| <= 1e-5 log2(n) max |want| (plus a floor for tiny results). */
async function close(got: MxArray, want: ArrayLike<number>, n: number, what: string, scale = 1): Promise<void> {
  assertEqual(got.dtype, mx.float32, `${what}: dtype`);
  const g = (await got.data()) as Float32Array;
  if (g.length !== want.length) throw new AssertionError(`${what}: ${g.length} values, expected ${want.length}`);
  let big = 0, err = 0, at = 0;
  for (let i = 0; i < g.length; i++) big = Math.max(big, Math.abs(want[i]));
  for (let i = 0; i < g.length; i++) {
    const e = Math.abs(g[i] - want[i]);
    if (!(e <= err)) [err, at] = [e, i];
  }
  const tol = scale * 1e-5 * Math.max(1, Math.log2(n)) * Math.max(big, 1);
  if (!(err <= tol)) throw new AssertionError(`${what}: |error| ${err} at ${at} (got ${g[at]}, want ${want[at]}) > ${tol}`);
}

export const fftpairsSuite = suite('fftpairs', (t) => {
  const test = onDevice(t);

  for (const c of cases) {
    test(c.name, async () => {
      const y = fftPairs(input(c), c.inverse);
      assertEqual(y.shape, c.shape);
      await close(y, c.out, c.n, c.name);
    });
  }

  test('a transposed view, a fused producer and float16/bfloat16 inputs', async () => {
    const c = byName('fft [3, 17, 2]');
    // the same logical values stored as [17, 3, 2], read through a transpose
    const d = inputData(c), tr = new Float32Array(d.length);
    for (let b = 0; b < 3; b++) for (let j = 0; j < 17; j++) tr.set(d.subarray(2 * (b * 17 + j), 2 * (b * 17 + j) + 2), 2 * (j * 3 + b));
    const view = mx.transpose(mx.reshape(mx.array(tr), [17, 3, 2]), [1, 0, 2]);
    await close(fftPairs(view, false), c.out, 17, 'transposed view');
    // an elementwise producer read inside the kernel
    await close(fftPairs(mx.multiply(input(c), 2), false), c.out.map((v) => 2 * v), 17, 'fused x * 2');
    const p = byName('fft [3, 64, 2]');
    await close(fftPairs(input(p, mx.float16), false), p.out, 64, 'float16');
    await close(fftPairs(input(p, mx.bfloat16), false), p.out, 64, 'bfloat16');
  });

  test('inverse(forward(x)) / n is x', async () => {
    for (const name of ['fft [3, 100, 2]', 'fft [3, 256, 2]']) {
      const c = byName(name);
      const x = input(c);
      const back = mx.divide(fftPairs(fftPairs(x, false), true), c.n);
      await close(back, inputData(c), c.n, `round trip ${name}`);
    }
  });

  test('several passes per transform (small workgroup memory)', async () => {
    setFftLocalLimit(16);
    try {
      for (const name of ['fft [3, 1024, 2]', 'fft [3, 100, 2]', 'ifft [3, 64, 2]']) {
        const c = byName(name);
        await close(fftPairs(input(c), c.inverse), c.out, c.n, `L = 16: ${name}`);
      }
    } finally {
      setFftLocalLimit(null);
    }
  }, GPU_ONLY);

  test('more than 65535 workgroups (a 2-D grid)', async () => {
    setFftLocalLimit(4);
    try {
      const x = mx.random.normal([70000, 4, 2], mx.float32, 0, 1, { key: mx.random.key(5) });
      const want = (await fftPairs(mx.astype(x, mx.float32, { stream: mx.cpu }), false).data()) as Float32Array;
      await close(fftPairs(x, false), want, 4, '[70000, 4, 2]');
    } finally {
      setFftLocalLimit(null);
    }
  }, GPU_ONLY);

  test('gradients match finite differences', async () => {
    const x = mx.random.normal([2, 5, 2], mx.float32, 0, 1, { key: mx.random.key(1) });
    const y = mx.random.normal([2, 8, 2], mx.float32, 0, 1, { key: mx.random.key(2) });
    // linear, so any step is exact up to rounding
    await checkGrads((a) => fftPairs(a, false), [x], { eps: 0.5 });
    await checkGrads((a) => mx.sin(fftPairs(a, true)), [y], { eps: 1e-3, rtol: 5e-3, atol: 5e-3 });
  });

  test('vmap over a leading, a middle and a trailing batch axis', async () => {
    const c = byName('fft [3, 12, 2]');
    const x = input(c);
    const f = (a: MxArray) => fftPairs(a, false);
    await close(mx.vmap(f)(x), c.out, 12, 'vmap axis 0');
    const got1 = mx.vmap(f, { inAxes: 1 })(mx.transpose(x, [1, 0, 2]));
    await close(got1, c.out, 12, 'vmap axis 1');
    // per-example [12, 2], batch last
    const got2 = mx.vmap(f, { inAxes: 2 })(mx.transpose(x, [1, 2, 0]));
    await close(got2, c.out, 12, 'vmap axis 2');
  });

  test('empty inputs and bad shapes or dtypes', async () => {
    assertEqual(await fftPairs(mx.zeros([0, 2]), false).tolist(), []);
    assertEqual(fftPairs(mx.zeros([3, 0, 2]), true).shape, [3, 0, 2]);
    assertEqual(await fftPairs(mx.zeros([0, 5, 2]), false).tolist(), []);
    assertThrows(() => fftPairs(mx.zeros([3, 4]), false), /\[fft\].*shape \(3,4\) and dtype float32/);
    assertThrows(() => fftPairs(mx.zeros([2]), false), /\[fft\].*shape \(2,\)/);
    assertThrows(() => fftPairs(mx.zeros([3, 2], mx.int32), false), /\[fft\].*dtype int32/);
  });
});
