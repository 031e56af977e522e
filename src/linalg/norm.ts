// linalg.norm: vector and matrix norms as compositions of reductions (and the SVD for
// ord 2, -2 and 'nuc'), following MLX's table of orders.
import * as mx from '../index.ts';
import type { MxArray } from '../core/array.ts';
import type { ArrayInput } from '../ops/core.ts';
import { operands } from '../ops/core.ts';
import { resolveDevice, type StreamOpt } from '../core/device.ts';
import { svd } from './index.ts';

/** MLX's at_least_float: integer and bool inputs give float32 norms. */
const floatOf = (x: MxArray) => (x.dtype.kind === 'f' || x.dtype.kind === 'V' ? x.dtype : mx.float32);

function l2(x: MxArray, axis: number[], keepdims: boolean, opts?: StreamOpt): MxArray {
  return mx.sqrt(mx.sum(mx.square(x, opts), axis, keepdims, opts), opts);
}

function vectorNorm(x: MxArray, ord: number, axis: number[], keepdims: boolean, opts?: StreamOpt): MxArray {
  const dt = floatOf(x);
  if (ord === 0) return mx.astype(mx.sum(mx.notEqual(x, 0, opts), axis, keepdims, opts), dt, opts);
  if (ord === 1) return mx.astype(mx.sum(mx.abs(x, opts), axis, keepdims, opts), dt, opts);
  if (ord === 2) return l2(x, axis, keepdims, opts);
  if (ord === Infinity) return mx.astype(mx.max(mx.abs(x, opts), axis, keepdims, opts), dt, opts);
  if (ord === -Infinity) return mx.astype(mx.min(mx.abs(x, opts), axis, keepdims, opts), dt, opts);
  const p = mx.power(mx.abs(x, opts), mx.array(ord, dt, opts), opts);
  return mx.power(mx.sum(p, axis, keepdims, opts), mx.array(1 / ord, dt, opts), opts);
}

/** Singular values of the matrices held in axes (r, c), reduced by `f`. */
function singularNorm(x: MxArray, r: number, c: number, keepdims: boolean, f: (s: MxArray) => MxArray, opts?: StreamOpt): MxArray {
  const m = r > c ? mx.moveaxis(mx.moveaxis(x, r, -1, opts), c, -1, opts) : mx.moveaxis(mx.moveaxis(x, c, -1, opts), r, -2, opts);
  let out = f(svd(m, false, opts));
  if (keepdims) out = mx.expandDims(out, [Math.min(r, c), Math.max(r, c)], opts);
  return out;
}

function matrixNorm(x: MxArray, ord: number | string, axis: number[], keepdims: boolean, opts?: StreamOpt): MxArray {
  const dt = floatOf(x);
  const norm = (a: number) => (a < 0 ? a + x.ndim : a);
  let r = norm(axis[0]), c = norm(axis[1]);
  if (r < 0 || r >= x.ndim || c < 0 || c >= x.ndim || r === c)
    throw new Error(`[linalg.norm] Invalid axes (${axis.join(',')}) for an array with ${x.ndim} dimensions.`);
  if (ord === 'f' || ord === 'fro') return l2(x, [r, c], keepdims, opts);
  if (ord === 'nuc') return singularNorm(x, r, c, keepdims, (s) => mx.sum(s, -1, false, opts), opts);
  if (typeof ord === 'string') throw new Error(`[linalg.norm] Invalid ord value '${ord}' for matrix norm.`);
  const a = mx.abs(x, opts);
  if (ord === 1 || ord === -1) {
    c -= !keepdims && c > r && c > 0 ? 1 : 0;
    const s = mx.sum(a, r, keepdims, opts);
    return mx.astype(ord === 1 ? mx.max(s, c, keepdims, opts) : mx.min(s, c, keepdims, opts), dt, opts);
  }
  if (ord === Infinity || ord === -Infinity) {
    r -= !keepdims && r > c && r > 0 ? 1 : 0;
    const s = mx.sum(a, c, keepdims, opts);
    return mx.astype(ord > 0 ? mx.max(s, r, keepdims, opts) : mx.min(s, r, keepdims, opts), dt, opts);
  }
  if (ord === 2 || ord === -2)
    return mx.astype(singularNorm(x, r, c, keepdims, (s) => (ord === 2 ? mx.max(s, -1, false, opts) : mx.min(s, -1, false, opts)), opts), dt, opts);
  throw new Error(`[linalg.norm] Invalid ord ${ord} for matrix norm.`);
}

/**
 * Vector or matrix norm, as MLX: `ord` null (2-norm / Frobenius), a number (0, ±1, ±2,
 * ±Infinity, any p for vectors) or 'fro' / 'nuc'; `axis` one axis (vector norm), two
 * (matrix norm), or null (all axes; with ord null the input is flattened).
 * @example
 * mx.linalg.norm(mx.array([3, 4])) // 5
 * mx.linalg.norm(m, 'fro', [-2, -1])
 * mx.linalg.norm(m, Infinity)
 */
export function norm(a: ArrayInput, ord?: number | string | null, axis?: number | number[] | null, keepdims = false, opts?: StreamOpt): MxArray {
  const [x] = operands('linalg.norm', [a], resolveDevice(opts));
  const ax = axis === null || axis === undefined ? null : typeof axis === 'number' ? [axis] : axis;
  if (ord === null || ord === undefined) {
    if (!ax) {
      const out = l2(mx.flatten(x, 0, -1, opts), [0], keepdims, opts);
      return keepdims ? mx.reshape(out, x.shape.map(() => 1), opts) : out;
    }
    if (ax.length > 2) throw new Error('[linalg.norm] Received too many axes for norm.');
    return l2(x, ax, keepdims, opts);
  }
  const all = ax ?? [...x.shape.keys()];
  if (typeof ord === 'string') {
    if (all.length !== 2) throw new Error(`[linalg.norm] Norm '${ord}' only supported for matrices, but received ${all.length} axis/axes.`);
    return matrixNorm(x, ord, all, keepdims, opts);
  }
  if (all.length === 1) return vectorNorm(x, ord, all, keepdims, opts);
  if (all.length === 2) return matrixNorm(x, ord, all, keepdims, opts);
  throw new Error('[linalg.norm] Received too many axes for norm.');
}
