// Small MLX/NumPy ops built as composites of existing ops (so they fuse, run on both
// devices and differentiate): diagonals, differences, strided views, shape helpers,
// window functions, 1-D convolution and the Walsh-Hadamard transform.
import { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { type Dtype, type DtypeLike, bool, float32, int32, isFloating, promoteTypes, toDtype } from '../core/dtype.ts';
import { broadcastShapes, fmtShape, normAxis, sizeOf } from '../core/shape.ts';
import { array, operands, type ArrayInput } from './core.ts';
import {
  add, astype, broadcastTo, floorDivide, multiply, notEqual, remainder, subtract, where,
} from './elementwise.ts';
import { arange, eye } from './creation.ts';
import { sum } from './reduce.ts';
import { concatenate, flip, pad, reshape, sliceAxes, stack, transpose } from './shape.ts';
import { take } from './indexing.ts';
import { conv1d } from './conv.ts';

const one = (op: string, a: ArrayInput, opts?: StreamOpt): MxArray => operands(op, [a], resolveDevice(opts))[0];

/**
 * The diagonal at `offset` of the 2-D slices spanned by axis1 and axis2; those axes are
 * removed and the diagonal becomes the last axis (NumPy's layout).
 * @example
 * mx.diagonal(mx.arange(9).reshape(3, 3)) // [0, 4, 8]
 */
export function diagonal(a: ArrayInput, offset = 0, axis1 = 0, axis2 = 1, opts?: StreamOpt): MxArray {
  const x = one('diagonal', a, opts);
  if (x.ndim < 2) throw new Error(`[diagonal] Array must have at least 2 dimensions, got shape ${fmtShape(x.shape)}.`);
  const i = normAxis('diagonal', axis1, x.ndim), j = normAxis('diagonal', axis2, x.ndim);
  if (i === j) throw new Error(`[diagonal] axis1 and axis2 cannot be the same axis (${axis1}, ${axis2}) for shape ${fmtShape(x.shape)}.`);
  const rest = [...Array(x.ndim).keys()].filter((d) => d !== i && d !== j);
  const n = x.shape[i], m = x.shape[j];
  const len = Math.max(0, offset >= 0 ? Math.min(n, m - offset) : Math.min(n + offset, m));
  // the (n, m) plane flattened: the diagonal is a strided slice of step m + 1
  const flat = reshape(transpose(x, [...rest, i, j], opts), [...rest.map((d) => x.shape[d]), n * m], opts);
  const start = len === 0 ? 0 : offset >= 0 ? offset : -offset * m;
  return sliceAxes(flat, [-1], [start], [len === 0 ? 0 : start + (len - 1) * (m + 1) + 1], [m + 1], opts);
}

/**
 * A 1-D array placed on diagonal k of a square matrix, or the k-th diagonal of a 2-D array.
 * @example
 * mx.diag(mx.array([1, 2]), 1) // [[0, 1, 0], [0, 0, 2], [0, 0, 0]]
 */
export function diag(a: ArrayInput, k = 0, opts?: StreamOpt): MxArray {
  const x = one('diag', a, opts);
  if (x.ndim === 2) return diagonal(x, k, 0, 1, opts);
  if (x.ndim !== 1) throw new Error(`[diag] Input must be 1-D or 2-D, got shape ${fmtShape(x.shape)}.`);
  const n = x.shape[0] + Math.abs(k);
  const mask = eye(n, n, k, bool, opts);
  // row i holds x[i] (k >= 0) or column j holds x[j] (k < 0)
  const v = pad(x, [[0, Math.abs(k)]], 'constant', 0, opts);
  const b = k >= 0 ? reshape(v, [n, 1], opts) : reshape(v, [1, n], opts);
  return where(mask, b, 0, opts);
}

/**
 * Sum of the diagonal at `offset` of the axis1/axis2 planes. The result keeps the input
 * dtype unless `dtype` is given (MLX's rule).
 * @example
 * mx.trace(mx.eye(3)) // 3
 */
export function trace(a: ArrayInput, offset = 0, axis1 = 0, axis2 = 1, dtype?: DtypeLike, opts?: StreamOpt): MxArray {
  const x = one('trace', a, opts);
  return astype(sum(diagonal(x, offset, axis1, axis2, opts), -1, false, opts), dtype ? toDtype(dtype) : x.dtype, opts);
}

/**
 * The n-th discrete difference along an axis (NumPy's diff; bools use notEqual), after
 * joining `prepend`/`append` (scalars broadcast to one slice) along that axis.
 * @example
 * mx.diff(mx.array([1, 4, 9, 16])) // [3, 5, 7]
 */
export function diff(a: ArrayInput, n = 1, axis = -1, prepend?: ArrayInput | null, append?: ArrayInput | null, opts?: StreamOpt): MxArray {
  let x = one('diff', a, opts);
  if (!Number.isInteger(n) || n < 0) throw new Error(`[diff] Order n must be a non-negative integer, got ${n}.`);
  if (x.ndim === 0) throw new Error('[diff] Input must be at least 1-D, got a 0-d array.');
  const ax = normAxis('diff', axis, x.ndim);
  if ((prepend ?? null) !== null || (append ?? null) !== null) {
    const slab = (v: ArrayInput) => {
      const e = one('diff', v, opts);
      return e.ndim === 0 ? broadcastTo(e, x.shape.map((d, i) => (i === ax ? 1 : d)), opts) : e;
    };
    const parts = [...(prepend != null ? [slab(prepend)] : []), x, ...(append != null ? [slab(append)] : [])];
    x = concatenate(parts, ax, opts);
  }
  for (let k = 0; k < n && x.shape[ax] > 0; k++) {
    const hi = sliceAxes(x, [ax], [1], [null], undefined, opts), lo = sliceAxes(x, [ax], [0], [-1], undefined, opts);
    x = x.dtype === bool ? notEqual(hi, lo, opts) : subtract(hi, lo, opts);
  }
  if (n > 0 && x.shape[ax] === 0) x = sliceAxes(x, [ax], [0], [0], undefined, opts);
  return x;
}

/**
 * A strided view of the row-major elements of `a`: element idx of the result is
 * flat[offset + sum(idx[d] * strides[d])] (strides in elements). Built as a gather.
 * @example
 * mx.asStrided(mx.arange(6), [2, 3], [1, 1]) // sliding windows [[0,1,2],[1,2,3]]
 */
export function asStrided(a: ArrayInput, shape?: number[], strides?: number[], offset = 0, opts?: StreamOpt): MxArray {
  const x = one('asStrided', a, opts);
  const shp = shape ?? [...x.shape];
  const st = strides ?? shp.map((_, d) => sizeOf(shp.slice(d + 1)));
  if (st.length !== shp.length) throw new Error(`[asStrided] Shape ${fmtShape(shp)} and strides (${st.join(',')}) must have the same length.`);
  let lo = offset, hi = offset;
  shp.forEach((d, k) => {
    if (!Number.isInteger(d) || d < 0) throw new Error(`[asStrided] Invalid shape ${fmtShape(shp)}.`);
    if (d > 0) (st[k] > 0 ? (hi += (d - 1) * st[k]) : (lo += (d - 1) * st[k]));
  });
  if (sizeOf(shp) > 0 && (lo < 0 || hi >= x.size)) {
    throw new Error(`[asStrided] Shape ${fmtShape(shp)}, strides (${st.join(',')}) and offset ${offset} reach element ${lo < 0 ? lo : hi} of an array of size ${x.size} (shape ${fmtShape(x.shape)}).`);
  }
  let idx = array(offset, int32, { stream: resolveDevice(opts) });
  shp.forEach((d, k) => {
    const s = shp.map((_, j) => (j === k ? d : 1));
    idx = add(idx, reshape(multiply(arange(0, d, 1, int32, opts), st[k], opts), s, opts), opts);
  });
  return take(reshape(x, [x.size], opts), broadcastTo(idx, shp, opts), 0, opts);
}

function atleast(op: string, nd: number, arrays: ArrayInput[], opts?: StreamOpt): MxArray | MxArray[] {
  const out = arrays.map((a) => {
    const x = one(op, a, opts);
    if (x.ndim >= nd) return x;
    // NumPy's placement: 0-d -> ones; 1-d -> [1, n] or [1, n, 1]; 2-d -> [m, n, 1]
    const s = x.shape;
    const shape = x.ndim === 0 ? new Array<number>(nd).fill(1) : x.ndim === 1 ? (nd === 2 ? [1, s[0]] : [1, s[0], 1]) : [...s, 1];
    return reshape(x, shape, opts);
  });
  return out.length === 1 ? out[0] : out;
}

/**
 * Arrays with at least 1 dimension (one array in, one out; several in, a list out).
 * @example
 * mx.atleast1d(mx.array(3)).shape // [1]
 */
export function atleast1d(a: ArrayInput): MxArray;
export function atleast1d(...arrays: ArrayInput[]): MxArray[];
export function atleast1d(...arrays: ArrayInput[]): MxArray | MxArray[] {
  return atleast('atleast1d', 1, arrays);
}

/**
 * Arrays with at least 2 dimensions (NumPy's placement: a 1-D array becomes [1, n]).
 * @example
 * mx.atleast2d(mx.arange(3)).shape // [1, 3]
 */
export function atleast2d(a: ArrayInput): MxArray;
export function atleast2d(...arrays: ArrayInput[]): MxArray[];
export function atleast2d(...arrays: ArrayInput[]): MxArray | MxArray[] {
  return atleast('atleast2d', 2, arrays);
}

/**
 * Arrays with at least 3 dimensions ([n] -> [1, n, 1], [m, n] -> [m, n, 1]).
 * @example
 * mx.atleast3d(mx.zeros([2, 3])).shape // [2, 3, 1]
 */
export function atleast3d(a: ArrayInput): MxArray;
export function atleast3d(...arrays: ArrayInput[]): MxArray[];
export function atleast3d(...arrays: ArrayInput[]): MxArray | MxArray[] {
  return atleast('atleast3d', 3, arrays);
}

/**
 * Splits one axis into several (one entry of `shape` may be -1).
 * @example
 * mx.unflatten(mx.zeros([2, 12]), 1, [3, -1]).shape // [2, 3, 4]
 */
export function unflatten(a: ArrayInput, axis: number, shape: number[], opts?: StreamOpt): MxArray {
  const x = one('unflatten', a, opts);
  if (shape.length === 0) throw new Error('[unflatten] Shape must not be empty.');
  const ax = normAxis('unflatten', axis, x.ndim);
  const target = [...shape];
  const neg = target.filter((d) => d === -1).length;
  const known = sizeOf(target.filter((d) => d !== -1));
  if (neg > 1 || (neg === 1 ? known === 0 || x.shape[ax] % known !== 0 : known !== x.shape[ax])) {
    throw new Error(`[unflatten] Cannot unflatten axis ${axis} of size ${x.shape[ax]} (shape ${fmtShape(x.shape)}) into ${fmtShape(shape)}.`);
  }
  if (neg === 1) target[target.indexOf(-1)] = x.shape[ax] / known;
  return reshape(x, [...x.shape.slice(0, ax), ...target, ...x.shape.slice(ax + 1)], opts);
}

/**
 * The arrays broadcast against each other to one shape.
 * @example
 * const [p, q] = mx.broadcastArrays(mx.zeros([3, 1]), mx.zeros([4])); // both [3, 4]
 */
export function broadcastArrays(...arrays: ArrayInput[]): MxArray[] {
  const xs = operands('broadcastArrays', arrays, resolveDevice());
  const shape = broadcastShapes('broadcastArrays', ...xs.map((x) => x.shape));
  return xs.map((x) => broadcastTo(x, shape));
}

/**
 * Number of non-zero elements over axes (all by default), as int32.
 * @example
 * mx.countNonzero(mx.array([[0, 1], [2, 0]]), 0) // [1, 1]
 */
export function countNonzero(a: ArrayInput, axis?: number | number[] | null, keepdims = false, opts?: StreamOpt): MxArray {
  const x = one('countNonzero', a, opts);
  return sum(x.dtype === bool ? x : notEqual(x, 0, opts), axis, keepdims, opts);
}

/**
 * `[floorDivide(a, b), remainder(a, b)]`.
 * @example
 * const [q, r] = mx.divmod(mx.array([7, -7]), 3); // [2, -3], [1, 2]
 */
export function divmod(a: ArrayInput, b: ArrayInput, opts?: StreamOpt): [MxArray, MxArray] {
  return [floorDivide(a, b, opts), remainder(a, b, opts)];
}

/** A window of M float32 values from w(n, M - 1) computed in float64 on the host. */
function window(op: string, M: number, w: (n: number, d: number) => number, opts?: StreamOpt): MxArray {
  if (!Number.isInteger(M)) throw new Error(`[${op}] M must be an integer, got ${M}.`);
  const n = Math.max(0, M);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = n === 1 ? 1 : w(i, n - 1);
  return array(v, float32, opts);
}

/**
 * The Hamming window of M points (NumPy's definition), float32.
 * @example
 * mx.hamming(5) // [0.08, 0.54, 1, 0.54, 0.08]
 */
export const hamming = (M: number, opts?: StreamOpt): MxArray => window('hamming', M, (n, d) => 0.54 - 0.46 * Math.cos((2 * Math.PI * n) / d), opts);
/**
 * The Hann window of M points (NumPy's hanning), float32.
 * @example
 * mx.hanning(5) // [0, 0.5, 1, 0.5, 0]
 */
export const hanning = (M: number, opts?: StreamOpt): MxArray => window('hanning', M, (n, d) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / d), opts);
/**
 * The triangular Bartlett window of M points (NumPy's definition), float32.
 * @example
 * mx.bartlett(5) // [0, 0.5, 1, 0.5, 0]
 */
export const bartlett = (M: number, opts?: StreamOpt): MxArray => window('bartlett', M, (n, d) => 1 - Math.abs((2 * n - d) / d), opts);
/**
 * The Blackman window of M points (NumPy's definition), float32.
 * @example
 * mx.blackman(3) // [0, 1, 0] (up to rounding)
 */
export const blackman = (M: number, opts?: StreamOpt): MxArray =>
  window('blackman', M, (n, d) => 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / d) + 0.08 * Math.cos((4 * Math.PI * n) / d), opts);

/**
 * Discrete linear convolution of two 1-D arrays (the shorter one is the filter, flipped).
 * mode: 'full' (n + m - 1), 'same' (max(n, m)) or 'valid' (max - min + 1), as NumPy.
 * @example
 * mx.convolve(mx.array([1, 2, 3]), mx.array([0, 1, 0.5])) // [0, 1, 2.5, 4, 1.5]
 */
export function convolve(a: ArrayInput, v: ArrayInput, mode: 'full' | 'same' | 'valid' = 'full', opts?: StreamOpt): MxArray {
  let [x, w] = operands('convolve', [a, v], resolveDevice(opts));
  if (x.ndim !== 1 || w.ndim !== 1) throw new Error(`[convolve] Inputs must be 1-D, got shapes ${fmtShape(x.shape)} and ${fmtShape(w.shape)}.`);
  if (x.size === 0 || w.size === 0) throw new Error(`[convolve] Inputs must not be empty, got shapes ${fmtShape(x.shape)} and ${fmtShape(w.shape)}.`);
  if (!['full', 'same', 'valid'].includes(mode)) throw new Error(`[convolve] mode must be 'full', 'same' or 'valid', got '${mode}'.`);
  if (w.size > x.size) [x, w] = [w, x];
  const dt = promoteTypes(x.dtype, w.dtype);
  const ct: Dtype = isFloating(dt) ? dt : float32;
  const n = x.size, m = w.size;
  const full = conv1d(reshape(astype(x, ct, opts), [1, n, 1], opts), reshape(flip(astype(w, ct, opts), 0, opts), [1, m, 1], opts), 1, m - 1, 1, 1, opts);
  let y = reshape(full, [n + m - 1], opts);
  if (mode === 'same') y = sliceAxes(y, [0], [(m - 1) >> 1], [((m - 1) >> 1) + n], undefined, opts);
  if (mode === 'valid') y = sliceAxes(y, [0], [m - 1], [n], undefined, opts);
  return ct === dt ? y : astype(y, dt, opts);
}

/**
 * The Walsh-Hadamard transform along the last axis (Sylvester order, as
 * scipy.linalg.hadamard(n) @ x), scaled by `scale` (default 1/sqrt(n)). The size must be
 * a power of 2 (MLX also takes 12, 20 and 28 times a power of 2). Integers compute in float32.
 * @example
 * mx.hadamardTransform(mx.array([1, 0]), 1) // [1, 1]
 */
export function hadamardTransform(a: ArrayInput, scale?: number, opts?: StreamOpt): MxArray {
  const x0 = one('hadamardTransform', a, opts);
  // sums run in float32; 16-bit floats round once at the end
  const dt = isFloating(x0.dtype) ? x0.dtype : float32;
  let x = astype(x0, float32, opts);
  if (x.ndim === 0) x = reshape(x, [1], opts);
  const n = x.shape[x.ndim - 1];
  const k = Math.round(Math.log2(Math.max(1, n)));
  if (n < 1 || 2 ** k !== n) {
    throw new Error(`[hadamardTransform] The last axis of shape ${fmtShape(x.shape)} has size ${n}; only powers of 2 are supported.`);
  }
  const lead = x.shape.slice(0, -1);
  // one butterfly per bit: the bit axes are independent, so each step pairs (lo, hi) halves
  let y = reshape(x, [...lead, ...new Array<number>(k).fill(2)], opts);
  for (let b = 0; b < k; b++) {
    const ax = lead.length + b;
    const lo = sliceAxes(y, [ax], [0], [1], undefined, opts), hi = sliceAxes(y, [ax], [1], [2], undefined, opts);
    y = reshape(stack([add(lo, hi, opts), subtract(lo, hi, opts)], ax, opts), y.shape, opts);
  }
  y = multiply(reshape(y, [...lead, n], opts), scale ?? 1 / Math.sqrt(n), opts);
  return astype(y, dt, opts);
}
