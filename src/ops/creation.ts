// Array creation: constants, ranges, identity-like matrices, grids.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { type DtypeLike, toDtype, float32, int32, bool, type Dtype } from '../core/dtype.ts';
import { checkShape } from '../core/shape.ts';
import { bind, operands, type ArrayInput } from './core.ts';
import { astype, broadcastTo, where, greaterEqual, lessEqual, add, subtract } from './elementwise.ts';
import { reshape } from './shape.ts';

const shapeOf = (op: string, s: number | readonly number[]) => checkShape(op, typeof s === 'number' ? [s] : s);

/**
 * An array filled with a value (broadcast if it is an array).
 * @example
 * mx.full([2, 3], 7, mx.int32)
 */
export function full(shape: number | readonly number[], value: ArrayInput, dtype?: DtypeLike, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const sh = shapeOf('full', shape);
  if (typeof value === 'number' || typeof value === 'boolean') {
    const dt = dtype ? toDtype(dtype) : typeof value === 'boolean' ? bool : Number.isInteger(value) ? int32 : float32;
    return bind('full', [], { value: Number(value) }, sh, dt, dev);
  }
  const [v] = operands('full', [value], dev);
  return broadcastTo(dtype ? astype(v, dtype, opts) : v, sh, opts);
}

/** Zeros. @example mx.zeros([2, 2]) */
export const zeros = (shape: number | readonly number[], dtype: DtypeLike = float32, opts?: StreamOpt) => full(shape, 0, dtype, opts);
/** Ones. @example mx.ones([3], mx.int32) */
export const ones = (shape: number | readonly number[], dtype: DtypeLike = float32, opts?: StreamOpt) => full(shape, 1, dtype, opts);
/** Zeros shaped like `a`. @example mx.zerosLike(x) */
export const zerosLike = (a: MxArray, opts?: StreamOpt) => full(a.shape, 0, a.dtype, opts);
/** Ones shaped like `a`. @example mx.onesLike(x) */
export const onesLike = (a: MxArray, opts?: StreamOpt) => full(a.shape, 1, a.dtype, opts);
/** A value shaped like `a` (with a's dtype unless given). @example mx.fullLike(x, 3) */
export const fullLike = (a: MxArray, value: number, dtype?: DtypeLike, opts?: StreamOpt) => full(a.shape, value, dtype ?? a.dtype, opts);

/**
 * Evenly spaced values in [start, stop): `arange(stop)`, `arange(start, stop, step)`.
 * Integer arguments give int32, otherwise float32.
 * @example
 * mx.arange(5)          // [0, 1, 2, 3, 4]
 * mx.arange(0, 1, 0.25) // [0, 0.25, 0.5, 0.75]
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DtypeLike, opts?: StreamOpt): MxArray {
  if (stop === undefined) [start, stop] = [0, start];
  if (step === 0) throw new Error('[arange] step cannot be 0.');
  for (const v of [start, stop, step]) if (!Number.isFinite(v)) throw new Error(`[arange] Arguments must be finite, got ${v}.`);
  const dt: Dtype = dtype ? toDtype(dtype) : [start, stop, step].every(Number.isInteger) ? int32 : float32;
  if (dt === bool) throw new Error('[arange] Cannot make a bool range.');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  return bind('arange', [], { start, step }, [n], dt, resolveDevice(opts));
}

/**
 * `num` evenly spaced values from start to stop inclusive.
 * @example
 * mx.linspace(0, 1, 5) // [0, 0.25, 0.5, 0.75, 1]
 */
export function linspace(start: number, stop: number, num = 50, dtype: DtypeLike = float32, opts?: StreamOpt): MxArray {
  if (!Number.isInteger(num) || num < 0) throw new Error(`[linspace] num must be a non-negative integer, got ${num}.`);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  if (num <= 1) return full([num], start, dtype, opts);
  return bind('arange', [], { start, step }, [num], toDtype(dtype), resolveDevice(opts));
}

/**
 * Ones on the k-th diagonal of an n x m matrix.
 * @example
 * mx.eye(3)
 */
export function eye(n: number, m?: number, k = 0, dtype: DtypeLike = float32, opts?: StreamOpt): MxArray {
  const cols = m ?? n;
  const i = reshape(arange(0, n, 1, int32, opts), [n, 1], opts);
  const j = reshape(arange(0, cols, 1, int32, opts), [1, cols], opts);
  const on = greaterEqual(subtract(j, i, opts), k, opts);
  const off = lessEqual(subtract(j, i, opts), k, opts);
  return astype(where(on, where(off, 1, 0, opts), 0, opts), dtype, opts);
}

/** The n x n identity. @example mx.identity(4) */
export const identity = (n: number, dtype: DtypeLike = float32, opts?: StreamOpt) => eye(n, n, 0, dtype, opts);

/**
 * Ones at and below the k-th diagonal.
 * @example
 * mx.tri(3, 3, 0)
 */
export function tri(n: number, m?: number, k = 0, dtype: DtypeLike = float32, opts?: StreamOpt): MxArray {
  const cols = m ?? n;
  const i = reshape(arange(0, n, 1, int32, opts), [n, 1], opts);
  const j = reshape(arange(0, cols, 1, int32, opts), [1, cols], opts);
  return astype(lessEqual(j, add(i, k, opts), opts), dtype, opts);
}

function triMask(op: string, a: MxArray, k: number, lower: boolean, opts?: StreamOpt): MxArray {
  if (a.ndim < 2) throw new Error(`[${op}] Input must have at least 2 dimensions, got shape (${a.shape.join(',')}).`);
  const [n, m] = a.shape.slice(-2);
  const t = lower ? tri(n, m, k, bool, opts) : tri(n, m, k - 1, bool, opts);
  const z = full(a.shape, 0, a.dtype, opts);
  return lower ? where(t, a, z, opts) : where(t, z, a, opts);
}
/** Zeroes elements above the k-th diagonal. @example mx.tril(x) */
export const tril = (a: ArrayInput, k = 0, opts?: StreamOpt) => triMask('tril', operands('tril', [a], resolveDevice(opts))[0], k, true, opts);
/** Zeroes elements below the k-th diagonal. @example mx.triu(x, 1) */
export const triu = (a: ArrayInput, k = 0, opts?: StreamOpt) => triMask('triu', operands('triu', [a], resolveDevice(opts))[0], k, false, opts);

/**
 * Coordinate grids from 1-D arrays (NumPy's meshgrid).
 * @example
 * const [X, Y] = mx.meshgrid([x, y], { indexing: 'xy' });
 */
export function meshgrid(arrays: ArrayInput[], options: { indexing?: 'xy' | 'ij'; sparse?: boolean } = {}, opts?: StreamOpt): MxArray[] {
  const dev = resolveDevice(opts);
  const xs = operands('meshgrid', arrays, dev).map((x) => reshape(x, [-1], opts));
  const indexing = options.indexing ?? 'xy';
  if (indexing !== 'xy' && indexing !== 'ij') throw new Error(`[meshgrid] indexing must be 'xy' or 'ij', got '${indexing}'.`);
  const nd = xs.length;
  const shape = xs.map((x) => x.size);
  if (indexing === 'xy' && nd >= 2) [shape[0], shape[1]] = [shape[1], shape[0]];
  return xs.map((x, i) => {
    const s = new Array<number>(nd).fill(1);
    let pos = i;
    if (indexing === 'xy' && nd >= 2 && i < 2) pos = 1 - i;
    s[pos] = x.size;
    const r = reshape(x, s, opts);
    return options.sparse ? r : broadcastTo(r, shape, opts);
  });
}
