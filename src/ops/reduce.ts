// Reductions and scans, and the composites built on them (mean, var, logsumexp, softmax).
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { bool, int8, int16, int32, uint8, uint16, uint32, float32, isComplex, isFloating, isInexact, type Dtype } from '../core/dtype.ts';
import { normAxes, normAxis, sizeOf } from '../core/shape.ts';
import type { ReducePrim, ScanPrim } from '../ir/primitive.ts';
import { bind, operands, type ArrayInput } from './core.ts';
import {
  astype, subtract, multiply, divide, exp, log, square, sqrt, where, isinf, logicalAnd, logicalNot,
  isclose, abs, equal, isnan, logicalOr, add, stopGradient,
} from './elementwise.ts';
import { reshape, flatten, moveaxis } from './shape.ts';
import { callExtern } from './extern.ts';
import { SOFTMAX } from './softmax.ts';

export type Axis = number | number[] | null | undefined;

/** MLX accumulates small integers in 32 bits. */
function accumType(d: Dtype): Dtype {
  if (d === bool || d === int8 || d === int16) return int32;
  if (d === uint8 || d === uint16) return uint32;
  return d;
}

function reduce(prim: ReducePrim, a: ArrayInput, axis: Axis, keepdims: boolean, opts?: StreamOpt, allowEmpty = false): MxArray {
  const dev = resolveDevice(opts);
  let [x] = operands(prim, [a], dev);
  const axes = normAxes(prim, axis, x.ndim);
  if (prim === 'sum' || prim === 'prod') x = astype(x, accumType(x.dtype), opts);
  if (!allowEmpty && (prim === 'max' || prim === 'min') && x.size === 0 && axes.some((ax) => x.shape[ax] === 0)) {
    throw new Error(`[${prim}] Cannot ${prim}-reduce an empty axis of an array with shape (${x.shape.join(',')}).`);
  }
  const kept = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const dt = prim === 'argmax' || prim === 'argmin' ? uint32 : x.dtype;
  const r = axes.length === 0 ? x : bind(prim, [x], { axes }, kept, dt, dev);
  return keepdims ? r : reshape(r, x.shape.filter((_, i) => !axes.includes(i)), opts);
}

/** Sum over axes (all by default). Bools sum as int32. @example mx.sum(x, 0) */
export const sum = (a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt) => reduce('sum', a, axis, keepdims, opts);
/** Product over axes. @example mx.prod(x, -1) */
export const prod = (a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt) => reduce('prod', a, axis, keepdims, opts);
/** Maximum over axes; NaN propagates. @example mx.max(x, 1, true) */
export const max = (a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt) => reduce('max', a, axis, keepdims, opts);
/** Minimum over axes; NaN propagates. @example mx.min(x) */
export const min = (a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt) => reduce('min', a, axis, keepdims, opts);

/** Whether all elements are true. @example mx.all(mx.greater(x, 0)) */
export function all(a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt): MxArray {
  const [x] = operands('all', [a], resolveDevice(opts));
  return reduce('min', astype(x, bool, opts), axis, keepdims, opts, true);
}
/** Whether any element is true. @example mx.any(mx.isnan(x)) */
export function any(a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt): MxArray {
  const [x] = operands('any', [a], resolveDevice(opts));
  return reduce('max', astype(x, bool, opts), axis, keepdims, opts, true);
}

function argReduce(prim: 'argmax' | 'argmin', a: ArrayInput, axis: number | undefined | null, keepdims: boolean, opts?: StreamOpt): MxArray {
  let [x] = operands(prim, [a], resolveDevice(opts));
  if (axis === undefined || axis === null) {
    if (x.size === 0) throw new Error(`[${prim}] Cannot ${prim} an empty array.`);
    const r = reduce(prim, flatten(x, 0, -1, opts), 0, false, opts);
    return keepdims ? reshape(r, x.shape.map(() => 1), opts) : r;
  }
  const ax = normAxis(prim, axis, x.ndim);
  if (x.shape[ax] === 0) throw new Error(`[${prim}] Cannot reduce an empty axis (shape (${x.shape.join(',')})).`);
  if (x.dtype === bool) x = astype(x, int32, opts);
  return reduce(prim, x, ax, keepdims, opts);
}
/** Index of the maximum (flattened when axis is omitted), as uint32. @example mx.argmax(x, -1) */
export const argmax = (a: ArrayInput, axis?: number | null, keepdims = false, opts?: StreamOpt) => argReduce('argmax', a, axis, keepdims, opts);
/** Index of the minimum, as uint32. @example mx.argmin(x, 0) */
export const argmin = (a: ArrayInput, axis?: number | null, keepdims = false, opts?: StreamOpt) => argReduce('argmin', a, axis, keepdims, opts);

function countOf(x: MxArray, axis: Axis): number {
  return sizeOf(normAxes('mean', axis, x.ndim).map((i) => x.shape[i]));
}

/** Mean over axes; integers give float32. @example mx.mean(x, -1, true) */
export function mean(a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt): MxArray {
  const [x0] = operands('mean', [a], resolveDevice(opts));
  const x = isInexact(x0.dtype) ? x0 : astype(x0, float32, opts);
  return divide(sum(x, axis, keepdims, opts), countOf(x, axis), opts);
}

/** Variance with `ddof` delta degrees of freedom. @example mx.var(x, 0, false, 1) */
export function variance(a: ArrayInput, axis?: Axis, keepdims = false, ddof = 0, opts?: StreamOpt): MxArray {
  const [x0] = operands('var', [a], resolveDevice(opts));
  const x = isInexact(x0.dtype) ? x0 : astype(x0, float32, opts);
  const mu = mean(x, axis, true, opts);
  const n = countOf(x, axis);
  // complex: the mean of |x - mu|^2 (real), as NumPy
  const d = subtract(x, mu, opts);
  const ss = sum(square(isComplex(x.dtype) ? abs(d, opts) : d, opts), axis, keepdims, opts);
  return divide(ss, Math.max(n - ddof, 0), opts);
}

/** Standard deviation. @example mx.std(x, -1) */
export function std(a: ArrayInput, axis?: Axis, keepdims = false, ddof = 0, opts?: StreamOpt): MxArray {
  return sqrt(variance(a, axis, keepdims, ddof, opts), opts);
}

/**
 * log(sum(exp(x))) computed stably.
 * @example
 * mx.logsumexp(logits, -1)
 */
export function logsumexp(a: ArrayInput, axis?: Axis, keepdims = false, opts?: StreamOpt): MxArray {
  const [x0] = operands('logsumexp', [a], resolveDevice(opts));
  const x = isFloating(x0.dtype) ? x0 : astype(x0, float32, opts);
  const m = stopGradient(max(x, axis, true, opts), opts);
  // an all -inf (or inf) row keeps its max instead of producing NaN
  const safe = where(isinf(m, opts), 0, m, opts);
  const s = add(log(sum(exp(subtract(x, safe, opts), opts), axis, true, opts), opts), safe, opts);
  return keepdims ? s : reshape(s, s.shape.filter((_, i) => !normAxes('logsumexp', axis, x.ndim).includes(i)), opts);
}

/**
 * Softmax over axes (all by default), with the max subtracted for stability.
 * @example
 * mx.softmax(logits, -1)
 */
export function softmax(a: ArrayInput, axis?: Axis, precise = false, opts?: StreamOpt): MxArray {
  const [x0] = operands('softmax', [a], resolveDevice(opts));
  const x = isFloating(x0.dtype) ? x0 : astype(x0, float32, opts);
  void precise; // float16/bfloat16 already accumulate in float32 here
  if (x.size === 0) return x;
  // one axis (the common case): the single-kernel op, with that axis moved last as a view
  const axes = axis === undefined || axis === null ? null : typeof axis === 'number' ? [axis] : axis;
  if (axes?.length === 1 || (axes === null && x.ndim === 1)) {
    const ax = axes ? normAxis('softmax', axes[0], x.ndim) : 0;
    const xt = ax === x.ndim - 1 ? x : moveaxis(x, ax, -1, opts);
    const y = callExtern(SOFTMAX, [xt], null, resolveDevice(opts))[0];
    return ax === x.ndim - 1 ? y : moveaxis(y, -1, ax, opts);
  }
  const m = stopGradient(max(x, axis, true, opts), opts);
  const e = exp(subtract(x, m, opts), opts);
  return divide(e, sum(e, axis, true, opts), opts);
}

function scan(prim: ScanPrim, a: ArrayInput, axis: number | undefined | null, reverse: boolean, inclusive: boolean, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  let [x] = operands(prim, [a], dev);
  if (axis === undefined || axis === null) {
    x = flatten(x, 0, -1, opts);
    axis = 0;
  }
  const ax = normAxis(prim, axis, x.ndim);
  if (x.dtype === bool && (prim === 'cumsum' || prim === 'cumprod')) x = astype(x, int32, opts);
  return bind(prim, [x], { axis: ax, reverse, inclusive }, x.shape, x.dtype, dev);
}
/** Cumulative sum. @example mx.cumsum(x, 0) */
export const cumsum = (a: ArrayInput, axis?: number | null, reverse = false, inclusive = true, opts?: StreamOpt) => scan('cumsum', a, axis, reverse, inclusive, opts);
/** Cumulative product. @example mx.cumprod(x, -1) */
export const cumprod = (a: ArrayInput, axis?: number | null, reverse = false, inclusive = true, opts?: StreamOpt) => scan('cumprod', a, axis, reverse, inclusive, opts);
/** Cumulative maximum. @example mx.cummax(x, 0) */
export const cummax = (a: ArrayInput, axis?: number | null, reverse = false, inclusive = true, opts?: StreamOpt) => scan('cummax', a, axis, reverse, inclusive, opts);
/** Cumulative minimum. @example mx.cummin(x, 0) */
export const cummin = (a: ArrayInput, axis?: number | null, reverse = false, inclusive = true, opts?: StreamOpt) => scan('cummin', a, axis, reverse, inclusive, opts);

/**
 * Whether all elements are close (see `isclose`).
 * @example
 * await mx.allclose(a, b).item()
 */
export function allclose(a: ArrayInput, b: ArrayInput, rtol = 1e-5, atol = 1e-8, equalNan = false, opts?: StreamOpt): MxArray {
  return all(isclose(a, b, rtol, atol, equalNan, opts), undefined, false, opts);
}

/**
 * Whether two arrays have the same shape and values.
 * @example
 * await mx.arrayEqual(a, b).item()
 */
export function arrayEqual(a: ArrayInput, b: ArrayInput, equalNan = false, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x, y] = operands('arrayEqual', [a, b], dev);
  if (x.shape.length !== y.shape.length || x.shape.some((d, i) => d !== y.shape[i])) {
    return bind('full', [], { value: 0 }, [], bool, dev);
  }
  let eq = equal(x, y, opts);
  if (equalNan) eq = logicalOr(eq, logicalAnd(isnan(x, opts), isnan(y, opts), opts), opts);
  return all(eq, undefined, false, opts);
}
