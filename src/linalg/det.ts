// Determinants (closed forms up to 3 x 3, LU beyond, as MLX) and the cross product;
// compositions of ordinary ops, so they run on both devices and carry gradients.
import * as mx from '../index.ts';
import type { MxArray } from '../core/array.ts';
import type { ArrayInput } from '../ops/core.ts';
import { operands } from '../ops/core.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { luFactor } from './index.ts';

function detInput(name: string, a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x0] = operands(`linalg.${name}`, [a], resolveDevice(opts));
  if (x0.ndim < 2) throw new Error(`[linalg.${name}] Arrays must have >= 2 dimensions. Received array with ${x0.ndim} dimensions.`);
  if (x0.shape[x0.ndim - 1] !== x0.shape[x0.ndim - 2]) throw new Error(`[linalg.${name}] Only defined for square matrices; received shape (${x0.shape.join(',')}).`);
  return x0.dtype.kind === 'f' || x0.dtype.kind === 'V' ? x0 : mx.astype(x0, mx.float32, opts);
}

/** Determinant by cofactors for n <= 3. */
function smallDet(x: MxArray, opts?: StreamOpt): MxArray {
  const n = x.shape[x.ndim - 1];
  if (n === 0) return mx.ones(x.shape.slice(0, -2), x.dtype, opts);
  const e = (i: number, j: number) => x.index('...', i, j);
  const mul = (p: MxArray, q: MxArray) => mx.multiply(p, q, opts);
  const sub = (p: MxArray, q: MxArray) => mx.subtract(p, q, opts);
  if (n === 1) return e(0, 0);
  if (n === 2) return sub(mul(e(0, 0), e(1, 1)), mul(e(0, 1), e(1, 0)));
  const m = (i: number, j: number, k: number, l: number) => sub(mul(e(i, k), e(j, l)), mul(e(i, l), e(j, k)));
  return mx.add(sub(mul(e(0, 0), m(1, 2, 1, 2)), mul(e(0, 1), m(1, 2, 0, 2))), mul(e(0, 2), m(1, 2, 0, 1)), opts);
}

function slogdetOf(x: MxArray, opts?: StreamOpt): [MxArray, MxArray] {
  const n = x.shape[x.ndim - 1];
  if (n <= 3) {
    const d = smallDet(x, opts);
    return [mx.sign(d, opts), mx.log(mx.abs(d, opts), opts)];
  }
  const [lu, piv] = luFactor(x, opts);
  const diag = mx.sum(mx.multiply(lu, mx.eye(n, n, 0, x.dtype, opts), opts), -1, false, opts);
  const swaps = mx.sum(mx.notEqual(piv, mx.arange(0, n, 1, 'uint32', opts), opts), -1, false, opts);
  const negs = mx.sum(mx.less(diag, 0, opts), -1, false, opts);
  const odd = mx.equal(mx.remainder(mx.add(mx.astype(swaps, mx.int32, opts), mx.astype(negs, mx.int32, opts), opts), 2, opts), 1, opts);
  const zero = mx.any(mx.equal(diag, 0, opts), -1, false, opts);
  const sign = mx.where(zero, 0, mx.where(odd, -1, 1, opts), opts).astype(x.dtype);
  const logabs = mx.where(zero, -Infinity, mx.sum(mx.log(mx.abs(diag, opts), opts), -1, false, opts), opts);
  return [sign, mx.astype(logabs, x.dtype, opts)];
}

/**
 * Determinant of square matrices (integer inputs give float32).
 * @example
 * mx.linalg.det(mx.array([[1, 2], [3, 4]])) // -2
 */
export function det(a: ArrayInput, opts?: StreamOpt): MxArray {
  const x = detInput('det', a, opts);
  if (x.shape[x.ndim - 1] <= 3) return smallDet(x, opts);
  const [s, l] = slogdetOf(x, opts);
  return mx.multiply(s, mx.exp(l, opts), opts);
}

/**
 * Sign and natural log of the absolute determinant: [sign, logabsdet]; a singular
 * matrix gives [0, -Infinity].
 * @example
 * const [sign, logabs] = mx.linalg.slogdet(a);
 */
export function slogdet(a: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  return slogdetOf(detInput('slogdet', a, opts), opts);
}

/**
 * Cross product along `axis` (size 2 or 3; a size-2 vector has a zero third component).
 * @example
 * mx.linalg.cross(mx.array([1, 0, 0]), mx.array([0, 1, 0])) // [0, 0, 1]
 */
export function cross(a: ArrayInput, b: ArrayInput, axis = -1, opts?: StreamOpt): MxArray {
  const [x, y] = operands('linalg.cross', [a, b], resolveDevice(opts));
  for (const v of [x, y]) {
    if (axis < -v.ndim || axis >= v.ndim) throw new Error(`[linalg.cross] axis ${axis} is out of bounds for array of dimension ${v.ndim}.`);
    const d = v.shape[axis < 0 ? axis + v.ndim : axis];
    if (d < 2 || d > 3) throw new Error(`[linalg.cross] The specified axis must have size 2 or 3; got shapes (${x.shape.join(',')}) and (${y.shape.join(',')}).`);
  }
  const dt = mx.resultType(x, y);
  const full = (v: MxArray) => {
    const s = [...v.shape];
    s[axis < 0 ? axis + v.ndim : axis] = 3;
    return s;
  };
  // broadcast both to a common shape (the axis as 3), keeping each one's own axis size
  const sa = full(x), sb = full(y);
  const nd = Math.max(sa.length, sb.length);
  const out = [...Array(nd).keys()].map((i) => {
    const p = sa[sa.length - nd + i] ?? 1, q = sb[sb.length - nd + i] ?? 1;
    if (p !== q && p !== 1 && q !== 1) throw new Error(`[linalg.cross] Shapes (${x.shape.join(',')}) and (${y.shape.join(',')}) cannot be broadcast.`);
    return Math.max(p, q);
  });
  const ax = axis < 0 ? axis + nd : axis;
  const parts = (v: MxArray) => {
    const k = v.shape[axis < 0 ? axis + v.ndim : axis];
    const s = [...out];
    s[ax] = k;
    return mx.split(mx.broadcastTo(mx.astype(v, dt, opts), s, opts), k, ax, opts);
  };
  const A = parts(x), B = parts(y);
  const mul = (p: MxArray, q: MxArray) => mx.multiply(p, q, opts);
  const sub = (p: MxArray, q: MxArray) => mx.subtract(p, q, opts);
  let c0: MxArray, c1: MxArray;
  if (A.length === 2 && B.length === 2) c0 = c1 = mx.zerosLike(A[0], opts);
  else if (B.length === 2) (c0 = mx.negative(mul(A[2], B[1]), opts)), (c1 = mul(A[2], B[0]));
  else if (A.length === 2) (c0 = mul(A[1], B[2])), (c1 = mx.negative(mul(A[0], B[2]), opts));
  else (c0 = sub(mul(A[1], B[2]), mul(A[2], B[1]))), (c1 = sub(mul(A[2], B[0]), mul(A[0], B[2])));
  return mx.concatenate([c0, c1, sub(mul(A[0], B[1]), mul(A[1], B[0]))], ax, opts);
}
