// mx.linalg against NumPy (test/fixtures/linalg.gen.ts), reconstruction identities,
// sign-invariant checks of eigen/singular vectors, errors, vmap and gradients.
import { suite } from '../harness/suite.ts';
import { assertClose, assertEqual, assertRejects, assertShape, assertThrows } from '../harness/assert.ts';
import { checkGrads } from '../harness/grads.ts';
import fixture from '../fixtures/linalg.gen.ts';
import { CPU_ONLY, arr, fixtureTests, makeArray, mx, nums, onDevice, type Adapter, type MxArray } from './common.ts';
import type { ArrSpec } from '../fixtures/types.ts';
import type { DeviceName, TestFn } from '../harness/suite.ts';

const la = mx.linalg;
const mT = (x: MxArray) => mx.swapaxes(x, -1, -2);
const first = (x: MxArray, axis: number, k: number) => mx.sliceAxes(x, [x.ndim + axis], [0], [k]);

const adapters: Record<string, Adapter> = {
  inv: (xs) => la.inv(arr(xs[0])),
  triInv: (xs, a) => la.triInv(arr(xs[0]), a.upper as boolean),
  cholesky: (xs, a) => la.cholesky(arr(xs[0]), a.upper as boolean),
  choleskyInv: (xs, a) => la.choleskyInv(arr(xs[0]), a.upper as boolean),
  qr: (xs) => la.qr(arr(xs[0])),
  svd: (xs) => {
    const x = arr(xs[0]);
    const [u, s, vt] = la.svd(x);
    const k = s.shape[s.ndim - 1];
    // singular vectors are unique up to sign: compare magnitudes of the first k
    return [s, mx.abs(first(u, -1, k)), mx.abs(first(vt, -2, k))];
  },
  eigh: (xs, a) => {
    const [w, v] = la.eigh(arr(xs[0]), a.UPLO as string);
    return [w, mx.abs(v)];
  },
  eigvalsh: (xs, a) => la.eigvalsh(arr(xs[0]), a.UPLO as string),
  lu: (xs) => la.lu(arr(xs[0])),
  luFactor: (xs) => la.luFactor(arr(xs[0])),
  solve: (xs) => la.solve(arr(xs[0]), arr(xs[1])),
  solveTriangular: (xs, a) => la.solveTriangular(arr(xs[0]), arr(xs[1]), a.upper as boolean),
  pinv: (xs) => la.pinv(arr(xs[0])),
  det: (xs) => la.det(arr(xs[0])),
  slogdet: (xs) => la.slogdet(arr(xs[0])),
  norm: (xs, a) => la.norm(arr(xs[0]), a.ord as number | string | null, a.axis as number | number[] | null, a.keepdims as boolean),
  cross: (xs, a) => la.cross(arr(xs[0]), arr(xs[1]), a.axis as number),
};

/** Complex values stored as trailing (re, im) pairs, sorted as the fixture is. */
function sortedPairs(d: number[], n: number): number[] {
  const out: number[] = [];
  for (let b = 0; b < d.length / (2 * n); b++) {
    const ps = [...Array(n).keys()].map((i) => [d[2 * (b * n + i)], d[2 * (b * n + i) + 1]]);
    const r6 = (v: number) => Math.round(v * 1e6) / 1e6;
    ps.sort((p, q) => r6(p[0]) - r6(q[0]) || r6(p[1]) - r6(q[1]));
    out.push(...ps.flat());
  }
  return out;
}

const eyeOf = (n: number, batch: number[] = []) => mx.broadcastTo(mx.eye(n), [...batch, n, n]);
async function close(x: MxArray, y: MxArray, atol = 2e-4, what = 'value'): Promise<void> {
  await mx.eval(x, y);
  assertEqual([...x.shape], [...y.shape], `${what} shape`);
  assertClose(await nums(x), await nums(y), { rtol: 1e-4, atol, msg: what });
}

export const linalgSuite = suite('linalg', (t) => {
  const test = onDevice(t);
  // every case on the CPU device; on WebGPU (where the factorizations still run on the
  // CPU and only the composites' kernels differ) one case per op keeps compile time small
  const cases = fixture.cases.filter((c) => c.op !== 'eigvals');
  const only = (devices: DeviceName[]): TestFn => (name, fn) => test(name, fn, { devices });
  fixtureTests(only(['cpu']), cases, adapters, (op) => `linalg.${op}`);
  // (choleskyInv and pinv only add more matmul kernels to what solve already covers)
  const gpuOps = cases.filter((c) => !c.cpuOnly && c.op !== 'choleskyInv' && c.op !== 'pinv');
  const firstOfOp = gpuOps.filter((c, i) => gpuOps.findIndex((d) => d.op === c.op) === i);
  fixtureTests(only(['gpu']), firstOfOp, adapters, (op) => `linalg.${op} (gpu subset)`);

  test('linalg.eigvals (and eig values) match NumPy as sets', async () => {
    const cases = fixture.cases.filter((c) => c.op === 'eigvals');
    const outs = cases.map((c) => la.eigvals(makeArray(c.inputs[0] as ArrSpec)));
    await mx.eval(...outs);
    for (let i = 0; i < cases.length; i++) {
      const exp = cases[i].out as ArrSpec;
      const n = exp.shape[exp.shape.length - 2];
      assertShape(outs[i], exp.shape.slice(0, -1));
      assertEqual(outs[i].dtype, mx.complex64);
      assertClose(sortedPairs(await nums(outs[i]), n), exp.data as number[], { rtol: cases[i].rtol, atol: cases[i].atol, msg: cases[i].name });
    }
  });

  test('reconstruction on the GPU device: Q@R of a batch', async () => {
    const a = mx.random.normal([2, 4, 3], mx.float32, 0, 1, { key: mx.random.key(4) });
    const [q, r] = la.qr(a);
    await close(mx.matmul(q, r), a, 2e-4, 'Q@R');
  });

  test('reconstructions: QR, SVD, eigh, eig, LU, Cholesky (tall, wide, batched)', async () => {
    const key = mx.random.key(3);
    for (const shape of [[5, 3], [3, 5], [2, 4, 4]]) {
      const a = mx.random.normal(shape, mx.float32, 0, 1, { key });
      const b = shape.slice(0, -2);
      const [m, n] = shape.slice(-2);
      const k = Math.min(m, n);
      const [q, r] = la.qr(a);
      await close(mx.matmul(q, r), a, 2e-4, `Q@R ${shape}`);
      await close(mx.matmul(mT(q), q), eyeOf(k, b), 2e-4, `Q^T Q ${shape}`);
      await close(mx.tril(r, -1), mx.zerosLike(r), 0, `R upper ${shape}`);
      const [u, s, vt] = la.svd(a);
      const us = mx.multiply(first(u, -1, k), mx.expandDims(s, -2));
      await close(mx.matmul(us, first(vt, -2, k)), a, 3e-4, `U S Vt ${shape}`);
      await close(mx.matmul(mT(u), u), eyeOf(m, b), 2e-4, `U^T U ${shape}`);
      await close(mx.matmul(vt, mT(vt)), eyeOf(n, b), 2e-4, `Vt Vt^T ${shape}`);
      const [p, l, uu] = la.lu(a);
      const lp = mx.takeAlongAxis(l, mx.broadcastTo(mx.expandDims(p, -1), [...b, m, k]), -2);
      await close(mx.matmul(lp, uu), a, 2e-4, `L[P] @ U ${shape}`);
    }
    const x = mx.random.normal([2, 5, 5], mx.float32, 0, 1, { key });
    const sym = mx.add(x, mT(x));
    const [w, v] = la.eigh(sym);
    await close(mx.matmul(mx.multiply(v, mx.expandDims(w, -2)), mT(v)), sym, 3e-4, 'V diag(w) V^T');
    const spd = mx.add(mx.matmul(x, mT(x)), mx.multiply(eyeOf(5, [2]), 0.5));
    const c = la.cholesky(spd);
    await close(mx.matmul(c, mT(c)), spd, 3e-4, 'L L^T');
    await close(mx.matmul(spd, la.choleskyInv(c)), eyeOf(5, [2]), 1e-3, 'A choleskyInv(L)');
    // eig: A v = lambda v in complex arithmetic, checked on the host
    const g = mx.random.normal([4, 4], mx.float32, 0, 1, { key: mx.random.key(5) });
    const [ew, ev] = la.eig(g);
    assertShape(ew, [4]);
    assertShape(ev, [4, 4]);
    const [A, W, V] = [await nums(g), await nums(ew), await nums(ev)];
    for (let j = 0; j < 4; j++) {
      for (let i = 0; i < 4; i++) {
        let re = 0, im = 0;
        for (let kk = 0; kk < 4; kk++) (re += A[i * 4 + kk] * V[(kk * 4 + j) * 2]), (im += A[i * 4 + kk] * V[(kk * 4 + j) * 2 + 1]);
        const [vr, vi] = [V[(i * 4 + j) * 2], V[(i * 4 + j) * 2 + 1]];
        assertClose([re, im], [W[2 * j] * vr - W[2 * j + 1] * vi, W[2 * j] * vi + W[2 * j + 1] * vr], { atol: 1e-4, rtol: 1e-4, msg: `A v = w v (column ${j})` });
      }
    }
  }, CPU_ONLY);

  test('errors name the op, shape and dtype', async () => {
    await assertRejects(() => la.inv(mx.array([[1, 2], [2, 4]], mx.float32)).tolist(), /\[linalg\.inv\] matrix is singular \(shape \(2,2\)\)/);
    await assertRejects(() => la.inv(mx.array([[[1, 0], [0, 1]], [[0, 0], [0, 0]]], mx.float32)).tolist(), /\[linalg\.inv\] matrix is singular .*batch element 1/);
    await assertRejects(() => la.cholesky(mx.array([[1, 2], [2, 1]], mx.float32)).tolist(), /\[linalg\.cholesky\] matrix is not positive definite/);
    await assertRejects(() => la.triInv(mx.array([[1, 0], [1, 0]], mx.float32)).tolist(), /\[linalg\.triInv\] matrix is singular/);
    assertThrows(() => la.inv(mx.array([[1, 2], [3, 4]], mx.int32)), /\[linalg\.inv\] Arrays must have type float32 or float64\. Received array with type int32/);
    assertThrows(() => la.qr(mx.array([1.5, 2])), /\[linalg\.qr\] Arrays must have >= 2 dimensions/);
    assertThrows(() => la.cholesky(mx.zeros([2, 3])), /\[linalg\.cholesky\] Only defined for square matrices; received shape \(2,3\)/);
    assertThrows(() => la.eigh(mx.eye(2), 'X'), /\[linalg\.eigh\] UPLO must be 'L' or 'U'/);
    assertThrows(() => la.solve(mx.eye(3), mx.ones([2])), /\[linalg\.solve\] Last dimension of first input with shape \(3,3\)/);
    assertThrows(() => la.solve(mx.eye(2, 2, 0, mx.int32), mx.ones([2], mx.int32)), /must promote to float32 or float64/);
    assertThrows(() => la.norm(mx.ones([2, 2, 2]), 'fro'), /\[linalg\.norm\] Norm 'fro' only supported for matrices/);
    assertThrows(() => la.norm(mx.ones([2, 2]), 3), /\[linalg\.norm\] Invalid ord 3 for matrix norm/);
    assertThrows(() => la.norm(mx.ones([2, 2]), 'abc', [0, 1]), /Invalid ord value 'abc'/);
    assertThrows(() => la.cross(mx.ones([4]), mx.ones([3])), /\[linalg\.cross\] The specified axis must have size 2 or 3/);
    assertThrows(() => la.det(mx.ones([2, 3])), /\[linalg\.det\] Only defined for square matrices/);
  });

  test('float64 is CPU-only: a clear error on the GPU', (ctx) => {
    if (ctx.device === 'gpu') assertThrows(() => la.inv(mx.eye(2, 2, 0, mx.float64, { stream: mx.cpu })), /\[linalg\.inv\] float64 is not supported on the GPU/);
  });

  test('vmap and compile match the batched call', async () => {
    const a = mx.add(mx.random.normal([3, 4, 4], mx.float32, 0, 1, { key: mx.random.key(9) }), mx.multiply(mx.eye(4), 4));
    await close(mx.vmap((x: MxArray) => la.inv(x))(a), la.inv(a), 1e-5, 'vmap(inv)');
    await close(mx.vmap((x: MxArray) => la.qr(x)[1], { inAxes: 1 })(mx.swapaxes(a, 0, 1)), la.qr(a)[1], 1e-5, 'vmap(qr) axis 1');
    const f = mx.compile((x: MxArray) => la.det(x));
    await close(f(a), la.det(a), 1e-3, 'compile(det)');
  }, CPU_ONLY);

  test('svd(a, false), eigvalsh, and nested-array inputs', async () => {
    const s = la.svd([[3.0, 0.5], [0.5, 4.0]], false);
    assertClose(await nums(s), [4.2071068, 2.7928932], { atol: 1e-6 });
    assertClose(await nums(la.eigvalsh([[2.5, 1], [1, 2.5]])), [1.5, 3.5], { atol: 1e-6 });
    // integer operands promote in solve (as MLX) but the factorizations need floats
    assertClose(await nums(la.solve(mx.array([[3, 1], [1, 2]], mx.float32), [9, 8])), [2, 3], { atol: 1e-5 });
    assertClose(await nums(la.det([[1, 2], [3, 4]])), [-2], { atol: 1e-6 });
  });

  // derivative rules (MLX has none for these primitives) against finite differences
  const key = mx.random.key(11);
  const sq = (n: number, b: number[] = []) => mx.add(mx.random.normal([...b, n, n], mx.float32, 0, 0.5, { key }), mx.multiply(mx.eye(n), 2));
  const spdOf = (x: MxArray) => mx.add(mx.matmul(x, mT(x)), mx.multiply(mx.eye(x.shape[x.ndim - 1]), 1));
  const tol = { rtol: 5e-3, atol: 5e-3 };

  test('grads: inv', async () => {
    await checkGrads((x) => la.inv(x), [sq(3)], tol);
  }, CPU_ONLY);
  test('grads: triInv, solve, solveTriangular, det (LU path), slogdet', async () => {
    await checkGrads((x) => la.triInv(x, true), [sq(3)], tol);
    await checkGrads((x, y) => la.solve(x, y), [sq(4), mx.random.normal([4, 2], mx.float32, 0, 1, { key })], tol);
    await checkGrads((x, y) => la.solveTriangular(x, y), [sq(3), mx.random.normal([3], mx.float32, 0, 1, { key })], tol);
    await checkGrads((x) => la.det(x), [sq(5)], tol);
    await checkGrads((x) => la.det(x), [sq(3, [2])], tol);
    await checkGrads((x) => la.slogdet(x)[1], [sq(4, [2])], tol);
  }, CPU_ONLY);
  test('grads: cholesky (lower, upper), choleskyInv', async () => {
    const a = spdOf(sq(4));
    await checkGrads((x) => la.cholesky(x), [a], tol);
    await checkGrads((x) => la.cholesky(x, true), [a], tol);
    await checkGrads((x) => la.choleskyInv(la.cholesky(x)), [a], tol);
  }, CPU_ONLY);
  test('grads: qr (square and tall)', async () => {
    await checkGrads((x) => mx.concatenate([mx.flatten(la.qr(x)[0]), mx.flatten(la.qr(x)[1])]), [sq(3)], tol);
    const tall = mx.random.normal([5, 3], mx.float32, 0, 1, { key });
    await checkGrads((x) => mx.concatenate([mx.flatten(la.qr(x)[0]), mx.flatten(la.qr(x)[1])]), [tall], tol);
  }, CPU_ONLY);
  test('grads: svd (S of wide, U and Vt of square, sign-invariant), pinv, norm 2 and nuc', async () => {
    await checkGrads((x) => la.svd(x)[1], [mx.random.normal([3, 5], mx.float32, 0, 1, { key })], tol);
    const x = sq(3);
    // U S Vt products and squares of vector entries do not depend on the sign choice
    await checkGrads((a) => { const [u, s, vt] = la.svd(a); return mx.concatenate([mx.flatten(mx.square(u)), s, mx.flatten(mx.square(vt))]); }, [x], tol);
    await checkGrads((a) => la.pinv(a), [mx.random.normal([4, 3], mx.float32, 0, 1, { key })], tol);
    await checkGrads((a) => la.pinv(a), [mx.random.normal([2, 4], mx.float32, 0, 1, { key })], tol);
    await checkGrads((a) => mx.stack([la.norm(a, 2), la.norm(a, 'nuc'), la.norm(a, 'fro'), la.norm(a, -2)]), [x], tol);
  }, CPU_ONLY);
  test('grads: eigh (values and sign-invariant vectors, both UPLO), eigvalsh', async () => {
    const s = mx.random.normal([4, 4], mx.float32, 0, 1, { key });
    await checkGrads((a) => { const [w, v] = la.eigh(a); return mx.concatenate([w, mx.flatten(mx.square(v))]); }, [s], tol);
    await checkGrads((a) => { const [w, v] = la.eigh(a, 'U'); return mx.concatenate([w, mx.flatten(mx.square(v))]); }, [s], tol);
    await checkGrads((a) => la.eigvalsh(a), [s], tol);
  }, CPU_ONLY);
  test('grads: norm (vector orders), cross', async () => {
    const v = mx.random.normal([2, 5], mx.float32, 0, 1, { key });
    await checkGrads((a) => mx.concatenate([la.norm(a, null, 1), la.norm(a, 3, 1), la.norm(a, 1, -1), la.norm(a, Infinity, 1)]), [v], tol);
    const a = mx.random.normal([4, 3], mx.float32, 0, 1, { key }), b = mx.random.normal([4, 3], mx.float32, 0, 1, { key: mx.random.key(2) });
    await checkGrads((x, y) => la.cross(x, y), [a, b], tol);
  }, CPU_ONLY);
});
