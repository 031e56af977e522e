// Contractions built on matmul: tensordot/inner/outer/kron/vecdot/addmm and MLX's
// masked, gathered and segmented matmuls, all as composites (gradients come for free).
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { bool, int32, isInteger, promoteTypes } from '../core/dtype.ts';
import { broadcastShapes, fmtShape, normAxis, sizeOf } from '../core/shape.ts';
import { operands, type ArrayInput } from './core.ts';
import { add, astype, greaterEqual, less, logicalAnd, multiply } from './elementwise.ts';
import { arange } from './creation.ts';
import { sum } from './reduce.ts';
import { expandDims, repeat, reshape, sliceAxes, transpose } from './shape.ts';
import { take } from './indexing.ts';
import { matmul } from './matmul.ts';

const dev = (opts?: StreamOpt) => resolveDevice(opts);

/**
 * Sum of products over the last `axes` axes of a and the first of b, or over the listed
 * axes pairs `[axesA, axesB]` (NumPy's tensordot): a transpose, reshape and one matmul.
 * @example
 * mx.tensordot(mx.ones([3, 4, 5]), mx.ones([4, 5, 2]), 2).shape // [3, 2]
 */
export function tensordot(a: ArrayInput, b: ArrayInput, axes: number | [number | number[], number | number[]] = 2, opts?: StreamOpt): MxArray {
  const [x, y] = operands('tensordot', [a, b], dev(opts));
  let ax: number[], bx: number[];
  if (typeof axes === 'number') {
    if (!Number.isInteger(axes) || axes < 0 || axes > x.ndim || axes > y.ndim) {
      throw new Error(`[tensordot] axes=${axes} must be a non-negative integer no larger than the ranks of shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
    }
    ax = [...Array(axes).keys()].map((i) => x.ndim - axes + i);
    bx = [...Array(axes).keys()];
  } else {
    const [p, q] = axes.map((v) => (typeof v === 'number' ? [v] : v));
    if (p.length !== q.length) throw new Error(`[tensordot] Got ${p.length} axes for a and ${q.length} for b; they must pair up.`);
    ax = p.map((d) => normAxis('tensordot', d, x.ndim));
    bx = q.map((d) => normAxis('tensordot', d, y.ndim));
  }
  ax.forEach((d, i) => {
    if (x.shape[d] !== y.shape[bx[i]]) {
      throw new Error(`[tensordot] Axis ${d} of a with shape ${fmtShape(x.shape)} has size ${x.shape[d]} but axis ${bx[i]} of b with shape ${fmtShape(y.shape)} has size ${y.shape[bx[i]]}.`);
    }
  });
  const fa = [...Array(x.ndim).keys()].filter((d) => !ax.includes(d));
  const fb = [...Array(y.ndim).keys()].filter((d) => !bx.includes(d));
  const K = sizeOf(ax.map((d) => x.shape[d]));
  const outShape = [...fa.map((d) => x.shape[d]), ...fb.map((d) => y.shape[d])];
  const xm = reshape(transpose(x, [...fa, ...ax], opts), [sizeOf(fa.map((d) => x.shape[d])), K], opts);
  const ym = reshape(transpose(y, [...bx, ...fb], opts), [K, sizeOf(fb.map((d) => y.shape[d]))], opts);
  return reshape(matmul(xm, ym, opts), outShape, opts);
}

/**
 * Inner product over the last axes (a scalar operand multiplies).
 * @example
 * mx.inner(mx.array([1, 2, 3]), mx.array([0, 1, 0])) // 2
 */
export function inner(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y] = operands('inner', [a, b], dev(opts));
  if (x.ndim === 0 || y.ndim === 0) return multiply(x, y, opts);
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim - 1]) {
    throw new Error(`[inner] Last dimensions of shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)} must match.`);
  }
  return tensordot(x, y, [[-1], [-1]], opts);
}

/**
 * Outer product of the flattened inputs.
 * @example
 * mx.outer(mx.array([1, 2]), mx.array([1, 10, 100])).shape // [2, 3]
 */
export function outer(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y] = operands('outer', [a, b], dev(opts));
  return multiply(reshape(x, [x.size, 1], opts), reshape(y, [1, y.size], opts), opts);
}

/**
 * Kronecker product: blocks a[i] * b, shapes padded with leading ones to equal ranks.
 * @example
 * mx.kron(mx.eye(2), mx.ones([2, 2])).shape // [4, 4]
 */
export function kron(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y] = operands('kron', [a, b], dev(opts));
  const nd = Math.max(x.ndim, y.ndim);
  const sa = [...new Array<number>(nd - x.ndim).fill(1), ...x.shape];
  const sb = [...new Array<number>(nd - y.ndim).fill(1), ...y.shape];
  const xa = reshape(x, sa.flatMap((d) => [d, 1]), opts);
  const yb = reshape(y, sb.flatMap((d) => [1, d]), opts);
  return reshape(multiply(xa, yb, opts), sa.map((d, i) => d * sb[i]), opts);
}

/**
 * Dot products of vectors along `axis` with broadcasting (NumPy's vecdot, real inputs).
 * @example
 * mx.vecdot(mx.ones([3, 4]), mx.ones([4])) // [4, 4, 4]
 */
export function vecdot(a: ArrayInput, b: ArrayInput, axis = -1, opts?: StreamOpt): MxArray {
  const [x, y] = operands('vecdot', [a, b], dev(opts));
  if (x.ndim === 0 || y.ndim === 0) throw new Error(`[vecdot] Inputs must be at least 1-D, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
  const shape = broadcastShapes('vecdot', x.shape, y.shape);
  normAxis('vecdot', axis, shape.length);
  return sum(multiply(x, y, opts), axis, false, opts);
}

/**
 * `alpha * (a @ b) + beta * c`.
 * @example
 * mx.addmm(mx.ones([2, 2]), mx.eye(2), mx.eye(2), 2, 0.5) // 2*I + 0.5
 */
export function addmm(c: ArrayInput, a: ArrayInput, b: ArrayInput, alpha = 1, beta = 1, opts?: StreamOpt): MxArray {
  const [z, x, y] = operands('addmm', [c, a, b], dev(opts));
  const p = matmul(x, y, opts);
  broadcastShapes('addmm', z.shape, p.shape);
  const dt = promoteTypes(p.dtype, z.dtype);
  const ab = alpha === 1 ? p : multiply(p, alpha, opts);
  const bc = beta === 1 ? z : multiply(z, beta, opts);
  return astype(add(ab, bc, opts), dt, opts);
}

/** Expands a block mask [..., ceil(R/bs), ceil(C/bs)] to [..., R, C] in dtype dt. */
function expandMask(name: string, m: MxArray, R: number, C: number, bs: number, batch: readonly number[], dt: MxArray['dtype'], opts?: StreamOpt): MxArray {
  const br = Math.ceil(R / bs), bc = Math.ceil(C / bs);
  if (m.ndim < 2 || m.shape[m.ndim - 2] !== br || m.shape[m.ndim - 1] !== bc) {
    throw new Error(`[blockMaskedMm] ${name} must have shape (..., ${br}, ${bc}) for block size ${bs}, got ${fmtShape(m.shape)}.`);
  }
  broadcastShapes('blockMaskedMm', m.shape.slice(0, -2), batch);
  let e = repeat(repeat(astype(m, m.dtype === bool ? dt : promoteTypes(m.dtype, dt), opts), bs, -2, opts), bs, -1, opts);
  e = sliceAxes(e, [-2, -1], [0, 0], [R, C], undefined, opts);
  return e;
}

/**
 * Matmul with block masks: a's blocks times mask_lhs, b's times mask_rhs and the output's
 * times mask_out (bool masks zero blocks, float masks scale them). Block size 32 or 64.
 * @example
 * mx.blockMaskedMm(a, b, 32, outMask) // a @ b with masked 32x32 output blocks zeroed
 */
export function blockMaskedMm(
  a: ArrayInput, b: ArrayInput, blockSize = 64, maskOut?: MxArray | null, maskLhs?: MxArray | null, maskRhs?: MxArray | null, opts?: StreamOpt,
): MxArray {
  let [x, y] = operands('blockMaskedMm', [a, b], dev(opts));
  if (blockSize !== 32 && blockSize !== 64) throw new Error(`[blockMaskedMm] Only block sizes 32 and 64 are supported, got ${blockSize}.`);
  if (x.ndim < 2 || y.ndim < 2) throw new Error(`[blockMaskedMm] Inputs must be at least 2-D, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
  const [M, K] = x.shape.slice(-2), [K2, N] = y.shape.slice(-2);
  if (K !== K2) throw new Error(`[blockMaskedMm] Last dimension of a with shape ${fmtShape(x.shape)} must match second to last dimension of b with shape ${fmtShape(y.shape)}.`);
  const batch = broadcastShapes('blockMaskedMm', x.shape.slice(0, -2), y.shape.slice(0, -2));
  const dt = promoteTypes(x.dtype, y.dtype);
  if (maskLhs) x = multiply(x, expandMask('mask_lhs', maskLhs, M, K, blockSize, batch, dt, opts), opts);
  if (maskRhs) y = multiply(y, expandMask('mask_rhs', maskRhs, K, N, blockSize, batch, dt, opts), opts);
  let out = matmul(x, y, opts);
  if (maskOut) out = multiply(out, expandMask('mask_out', maskOut, M, N, blockSize, batch, dt, opts), opts);
  return astype(out, dt, opts);
}

/** Operand rows picked by flat batch indices (all batches in order when null). */
function gatherBatch(name: string, x: MxArray, idx: MxArray | null | undefined, opts?: StreamOpt): MxArray {
  const nb = sizeOf(x.shape.slice(0, -2));
  const flat = reshape(x, [nb, ...x.shape.slice(-2)], opts);
  const ix = idx ?? reshape(arange(0, nb, 1, int32, opts), x.shape.slice(0, -2), opts);
  if (!isInteger(ix.dtype)) throw new TypeError(`[gatherMm] ${name} must be integers, got ${ix.dtype.name}.`);
  return take(flat, ix, 0, opts);
}

/**
 * Matmul of batch matrices picked by flat indices into the batch dims of a and b:
 * out[i] = a_flat[lhsIndices[i]] @ b_flat[rhsIndices[i]] (index shapes broadcast).
 * @example
 * mx.gatherMm(x, experts, null, mx.array([2, 0, 2])) // x @ experts[[2, 0, 2]]
 */
export function gatherMm(
  a: ArrayInput, b: ArrayInput, lhsIndices?: MxArray | null, rhsIndices?: MxArray | null, sortedIndices = false, opts?: StreamOpt,
): MxArray {
  void sortedIndices; // a hint for MLX's kernels; the composite has no use for it
  const [x, y] = operands('gatherMm', [a, b], dev(opts));
  if (x.ndim < 2 || y.ndim < 2) throw new Error(`[gatherMm] Inputs must be at least 2-D, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
  if (x.shape[x.ndim - 1] !== y.shape[y.ndim - 2]) {
    throw new Error(`[gatherMm] Last dimension of a with shape ${fmtShape(x.shape)} must match second to last dimension of b with shape ${fmtShape(y.shape)}.`);
  }
  return matmul(gatherBatch('lhs_indices', x, lhsIndices, opts), gatherBatch('rhs_indices', y, rhsIndices, opts), opts);
}

/**
 * Matmuls over segments of the inner dimension: segments [..., S, 2] holds [start, end)
 * pairs along K and out[..., s, :, :] = a[..., :, start:end] @ b[..., start:end, :].
 * @example
 * mx.segmentedMm(a, b, mx.array([[0, 2], [2, 5]], mx.uint32)).shape // [2, M, N]
 */
export function segmentedMm(a: ArrayInput, b: ArrayInput, segments: ArrayInput, opts?: StreamOpt): MxArray {
  const [x, y, sg] = operands('segmentedMm', [a, b, segments], dev(opts));
  if (x.ndim < 2 || y.ndim < 2) throw new Error(`[segmentedMm] Inputs must be at least 2-D, got shapes ${fmtShape(x.shape)} and ${fmtShape(y.shape)}.`);
  const K = x.shape[x.ndim - 1];
  if (K !== y.shape[y.ndim - 2]) {
    throw new Error(`[segmentedMm] Last dimension of a with shape ${fmtShape(x.shape)} must match second to last dimension of b with shape ${fmtShape(y.shape)}.`);
  }
  if (sg.ndim < 1 || sg.shape[sg.ndim - 1] !== 2 || !isInteger(sg.dtype)) {
    throw new Error(`[segmentedMm] segments must be integer pairs of shape (..., 2), got ${fmtShape(sg.shape)} ${sg.dtype.name}.`);
  }
  // a mask over K per segment selects the segment's columns of a
  const k = arange(0, K, 1, int32, opts);
  const lo = astype(sliceAxes(sg, [-1], [0], [1], undefined, opts), int32, opts);
  const hi = astype(sliceAxes(sg, [-1], [1], [2], undefined, opts), int32, opts);
  const dt = promoteTypes(x.dtype, y.dtype);
  const mask = astype(logicalAnd(greaterEqual(k, lo, opts), less(k, hi, opts), opts), dt, opts); // [..., S, K]
  const xm = multiply(expandDims(x, -3, opts), expandDims(mask, -2, opts), opts); // [..., S, M, K]
  return matmul(xm, expandDims(y, -3, opts), opts);
}
