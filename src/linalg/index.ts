// mx.linalg: MLX's linear-algebra namespace. Factorizations are extern ops computed in
// float64 on the CPU (for arrays of either device); the rest (norm, solve, det, pinv,
// cross, choleskyInv, lu's L/U split) are composites of ordinary ops.
import * as mx from '../index.ts';
import type { MxArray } from '../core/array.ts';
import type { ArrayInput } from '../ops/core.ts';
import { operands } from '../ops/core.ts';
import { resolveDevice, type StreamOpt, type Device } from '../core/device.ts';
import { fromPairs } from '../ops/complex.ts';
import { callExtern } from '../ops/extern.ts';
import { CHOLESKY, EIG, EIGH, INV, LU, QR, SVD, checkSquare } from './externs.ts';

export { norm } from './norm.ts';

const mT = (x: MxArray, opts?: StreamOpt) => mx.swapaxes(x, -1, -2, opts);
const fmt = (s: readonly number[]) => `(${s.join(',')})`;

/** The operand on the op's device, checked to be a float32/float64 matrix (batch). */
function input(name: string, a: ArrayInput, opts: StreamOpt | undefined, square: boolean): [MxArray, Device] {
  const dev = resolveDevice(opts);
  const [x] = operands(`linalg.${name}`, [a], dev);
  if (x.dtype.name !== 'float32' && x.dtype.name !== 'float64')
    throw new TypeError(`[linalg.${name}] Arrays must have type float32 or float64. Received array with type ${x.dtype.name}.`);
  if (square) checkSquare(name, x.shape);
  else if (x.ndim < 2) throw new Error(`[linalg.${name}] Arrays must have >= 2 dimensions. Received array with ${x.ndim} dimensions.`);
  if (x.dtype.name === 'float64' && dev.type === 'gpu')
    throw new TypeError(`[linalg.${name}] float64 is not supported on the GPU; pass { stream: mx.cpu }.`);
  return [x, dev];
}

/**
 * Inverse of each square matrix in the last two dims. A singular matrix (an exactly zero
 * LU pivot) raises at evaluation, as MLX's LAPACK path does.
 * @example
 * mx.linalg.inv(mx.array([[2, 0], [0, 4]])) // [[0.5, 0], [0, 0.25]]
 */
export function inv(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, dev] = input('inv', a, opts, true);
  return callExtern(INV, [x], { tri: false, upper: false }, dev)[0];
}

/**
 * Inverse of a triangular matrix; only the `upper` (or lower) triangle is read.
 * @example
 * mx.linalg.triInv(mx.array([[1, 0], [2, 1]])) // [[1, 0], [-2, 1]]
 */
export function triInv(a: ArrayInput, upper = false, opts?: StreamOpt): MxArray {
  const [x, dev] = input('triInv', a, opts, true);
  return callExtern(INV, [x], { tri: true, upper }, dev)[0];
}

/**
 * Cholesky factor of a symmetric positive-definite matrix: lower L with L L^T = a, or
 * upper U with U^T U = a. Reads only that triangle; a non-positive-definite input raises
 * at evaluation (MLX leaves it undefined).
 * @example
 * mx.linalg.cholesky(mx.array([[4, 2], [2, 2]])) // [[2, 0], [1, 1]]
 */
export function cholesky(a: ArrayInput, upper = false, opts?: StreamOpt): MxArray {
  const [x, dev] = input('cholesky', a, opts, true);
  if (!upper) return callExtern(CHOLESKY, [x], null, dev)[0];
  return mT(callExtern(CHOLESKY, [mT(x, opts)], null, dev)[0], opts);
}

/**
 * Inverse of A = L L^T (or U^T U) from its Cholesky factor.
 * @example
 * mx.linalg.choleskyInv(mx.linalg.cholesky(a)) // inv(a)
 */
export function choleskyInv(L: ArrayInput, upper = false, opts?: StreamOpt): MxArray {
  const [x] = input('choleskyInv', L, opts, true);
  const li = triInv(x, upper, opts);
  return upper ? mx.matmul(li, mT(li, opts), opts) : mx.matmul(mT(li, opts), li, opts);
}

/**
 * Reduced QR: Q (m x k) with orthonormal columns and upper-triangular R (k x n),
 * k = min(m, n), with LAPACK's signs.
 * @example
 * const [q, r] = mx.linalg.qr(mx.array([[2, 3], [1, 2]]));
 */
export function qr(a: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  const [x, dev] = input('qr', a, opts, false);
  const [q, r] = callExtern(QR, [x], null, dev);
  return [q, r];
}

/**
 * Singular value decomposition A = U diag(S) Vt with full U (m x m) and Vt (n x n) and
 * S descending; with `computeUv = false` only S.
 * @example
 * const [u, s, vt] = mx.linalg.svd(a);
 * const s2 = mx.linalg.svd(a, false);
 */
export function svd(a: ArrayInput, computeUv?: true, opts?: StreamOpt): [MxArray, MxArray, MxArray];
export function svd(a: ArrayInput, computeUv: false, opts?: StreamOpt): MxArray;
export function svd(a: ArrayInput, computeUv?: boolean, opts?: StreamOpt): [MxArray, MxArray, MxArray] | MxArray;
export function svd(a: ArrayInput, computeUv = true, opts?: StreamOpt): [MxArray, MxArray, MxArray] | MxArray {
  const [x, dev] = input('svd', a, opts, false);
  const [u, s, vt] = callExtern(SVD, [x], null, dev);
  return computeUv ? [u, s, vt] : s;
}

function symInput(name: string, a: ArrayInput, UPLO: string, opts?: StreamOpt): [MxArray, Device] {
  if (UPLO !== 'L' && UPLO !== 'U') throw new Error(`[linalg.${name}] UPLO must be 'L' or 'U', got '${UPLO}'.`);
  const [x, dev] = input(name, a, opts, true);
  return [UPLO === 'U' ? mT(x, opts) : x, dev];
}

/**
 * Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices, read from the
 * `UPLO` triangle ('L' or 'U').
 * @example
 * const [w, v] = mx.linalg.eigh(mx.array([[2, 1], [1, 2]])); // w = [1, 3]
 */
export function eigh(a: ArrayInput, UPLO = 'L', opts?: StreamOpt): [MxArray, MxArray] {
  const [x, dev] = symInput('eigh', a, UPLO, opts);
  const [w, v] = callExtern(EIGH, [x], null, dev);
  return [w, v];
}

/**
 * Eigenvalues (ascending) of symmetric matrices.
 * @example
 * mx.linalg.eigvalsh(mx.array([[2, 1], [1, 2]])) // [1, 3]
 */
export function eigvalsh(a: ArrayInput, UPLO = 'L', opts?: StreamOpt): MxArray {
  const [x, dev] = symInput('eigvalsh', a, UPLO, opts);
  return callExtern(EIGH, [x], null, dev)[0];
}

/**
 * Eigenvalues and unit eigenvectors (columns) of general square matrices, as complex64
 * (w [..., n], v [..., n, n]). Order as found (not sorted).
 * @example
 * const [w, v] = mx.linalg.eig(mx.array([[0, -1], [1, 0]])); // w = [i, -i]
 */
export function eig(a: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  const [x, dev] = input('eig', a, opts, true);
  // the kernel gives (re, im) pairs in a trailing axis
  const [w, v] = callExtern(EIG, [x], { vectors: true }, dev);
  return [fromPairs(w), fromPairs(v)];
}

/**
 * Eigenvalues of general square matrices (complex64).
 * @example
 * mx.linalg.eigvals(mx.array([[2, 0], [0, 3]])) // [2+0j, 3+0j]
 */
export function eigvals(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, dev] = input('eigvals', a, opts, true);
  return fromPairs(callExtern(EIG, [x], { vectors: false }, dev)[0]);
}

/**
 * LU factorization with partial pivoting: packed LU (unit L below the diagonal, U on and
 * above) and 0-based LAPACK pivots (uint32; row j was swapped with row pivots[j]).
 * @example
 * const [lu, pivots] = mx.linalg.luFactor(a);
 */
export function luFactor(a: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  const [x, dev] = input('luFactor', a, opts, false);
  const [lu, piv] = callExtern(LU, [x], null, dev);
  return [lu, piv];
}

/**
 * LU factorization as MLX returns it: row indices P (uint32), unit lower L (m x k) and
 * upper U (k x n) with A = L[P] @ U.
 * @example
 * const [p, l, u] = mx.linalg.lu(a); // mx.matmul(mx.take(l, p, 0), u) equals a
 */
export function lu(a: ArrayInput, opts?: StreamOpt): [MxArray, MxArray, MxArray] {
  const [x, dev] = input('lu', a, opts, false);
  const [packed, , rowIdx] = callExtern(LU, [x], null, dev);
  const m = x.shape[x.ndim - 2], n = x.shape[x.ndim - 1], k = Math.min(m, n);
  let l = mx.tril(packed, -1, opts), u = mx.triu(packed, 0, opts);
  if (n !== k) l = mx.sliceAxes(l, [x.ndim - 1], [0], [k], undefined, opts);
  else if (m !== k) u = mx.sliceAxes(u, [x.ndim - 2], [0], [k], undefined, opts);
  l = mx.add(l, mx.eye(m, k, 0, x.dtype, opts), opts);
  return [rowIdx, l, u];
}

function solveInputs(name: string, a: ArrayInput, b: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  const dev = resolveDevice(opts);
  let [x, y] = operands(`linalg.${name}`, [a, b], dev);
  if (x.ndim < 2) throw new Error(`[linalg.${name}] First input must have >= 2 dimensions. Received array with ${x.ndim} dimensions.`);
  if (y.ndim < 1) throw new Error(`[linalg.${name}] Second input must have >= 1 dimensions. Received array with ${y.ndim} dimensions.`);
  if (x.shape[x.ndim - 1] !== x.shape[x.ndim - 2]) throw new Error(`[linalg.${name}] First input must be a square matrix. Received array with shape ${fmt(x.shape)}.`);
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim > 1 ? y.ndim - 2 : 0])
    throw new Error(`[linalg.${name}] Last dimension of first input with shape ${fmt(x.shape)} must match second to last dimension of second input with shape ${fmt(y.shape)}.`);
  const t = mx.resultType(x, y);
  if (t.name !== 'float32' && t.name !== 'float64')
    throw new TypeError(`[linalg.${name}] Input arrays must promote to float32 or float64. Received arrays with type ${x.dtype.name} and ${y.dtype.name}.`);
  return [mx.astype(x, t, opts), mx.astype(y, t, opts)];
}

/**
 * Solves a x = b for square a (b a vector or a batch of matrices), through LU with
 * partial pivoting and two triangular solves.
 * @example
 * mx.linalg.solve(mx.array([[3, 1], [1, 2]]), mx.array([9, 8])) // [2, 3]
 */
export function solve(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y] = solveInputs('solve', a, b, opts);
  input('solve', x, opts, true);
  if (y.ndim === 1) return mx.squeeze(solve(x, mx.expandDims(y, -1, opts), opts), -1, opts);
  const n = x.shape[x.ndim - 1];
  const [packed, , , perm] = callExtern(LU, [x], null, resolveDevice(opts));
  // P b as a matmul with a one-hot permutation matrix (broadcasts batches, carries grads)
  const pm = mx.astype(mx.equal(mx.expandDims(perm, -1, opts), mx.arange(0, n, 1, 'uint32', opts), opts), x.dtype, opts);
  const l = mx.add(mx.tril(packed, -1, opts), mx.eye(n, n, 0, x.dtype, opts), opts);
  const yy = mx.matmul(triInv(l, false, opts), mx.matmul(pm, y, opts), opts);
  return mx.matmul(triInv(mx.triu(packed, 0, opts), true, opts), yy, opts);
}

/**
 * Solves a x = b for triangular a (only its `upper` or lower triangle is read).
 * @example
 * mx.linalg.solveTriangular(mx.array([[2, 0], [1, 1]]), mx.array([4, 3])) // [2, 1]
 */
export function solveTriangular(a: ArrayInput, b: ArrayInput, upper = false, opts?: StreamOpt): MxArray {
  const [x, y] = solveInputs('solveTriangular', a, b, opts);
  return mx.matmul(triInv(x, upper, opts), y, opts);
}

/**
 * Moore-Penrose pseudo-inverse through the SVD; singular values below
 * 10 * max(m, n) * eps * max(S) count as zero (as MLX).
 * @example
 * mx.linalg.pinv(mx.array([[1, 2], [2, 4], [0, 0]]))
 */
export function pinv(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x] = input('pinv', a, opts, false);
  const m = x.shape[x.ndim - 2], n = x.shape[x.ndim - 1], k = Math.min(m, n);
  if (x.size === 0) return mx.zeros([...x.shape.slice(0, -2), n, m], x.dtype, opts);
  const [u0, s0, vt0] = svd(x, true, opts);
  const u = mT(mx.sliceAxes(u0, [x.ndim - 1], [0], [k], undefined, opts), opts);
  const v = mT(mx.sliceAxes(vt0, [x.ndim - 2], [0], [k], undefined, opts), opts);
  const s = mx.expandDims(s0, -2, opts);
  const eps = x.dtype.name === 'float64' ? 2.220446049250313e-16 : 1.1920928955078125e-7;
  const cutoff = mx.multiply(mx.max(s, -1, true, opts), 10 * Math.max(m, n) * eps, opts);
  const big = mx.greater(s, cutoff, opts);
  const rs = mx.where(big, mx.reciprocal(mx.where(big, s, mx.onesLike(s, opts), opts), opts), mx.zerosLike(s, opts), opts);
  return mx.matmul(mx.multiply(v, rs, opts), u, opts);
}

export { det, slogdet, cross } from './det.ts';
