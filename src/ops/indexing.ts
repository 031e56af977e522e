// NumPy-style indexing (basic and advanced), gathers and scatters.
import { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { int32, isInteger } from '../core/dtype.ts';
import { broadcastShapes, contiguousStrides, fmtShape, normAxis } from '../core/shape.ts';
import type { ScatterMode } from '../ir/primitive.ts';
import { bind, operands, array, type ArrayInput, type NestedData } from './core.ts';
import { astype, broadcastTo, add, multiply, where, less, negative, reciprocal } from './elementwise.ts';
import { reshape, flatten, transpose, sliceRaw, normSlice } from './shape.ts';
import { arange } from './creation.ts';

/** A slice written as an object (or as a string like '1:5:2'). */
export interface Slice {
  start?: number | null;
  stop?: number | null;
  step?: number | null;
}
/** `mx.newaxis` inserts a size-1 axis. @example x.index(mx.newaxis, '...') */
export const newaxis = null;
/** One indexing key. */
export type IndexKey = number | string | null | Slice | MxArray | NestedData[];

/**
 * A slice object, as Python's `slice(start, stop, step)`.
 * @example
 * x.index(mx.slice(1, null, 2)) // x[1::2]
 */
export function slice(start?: number | null, stop?: number | null, step?: number | null): Slice {
  return { start, stop, step };
}

function parseSliceString(s: string): Slice {
  const parts = s.split(':').map((p) => p.trim());
  if (parts.length < 2 || parts.length > 3) throw new Error(`[index] Invalid slice '${s}'.`);
  const num = (p: string | undefined) => {
    if (p === undefined || p === '') return null;
    const v = Number(p);
    if (!Number.isInteger(v)) throw new Error(`[index] Invalid slice bound '${p}' in '${s}'.`);
    return v;
  };
  return { start: num(parts[0]), stop: num(parts[1]), step: num(parts[2]) };
}

type Key =
  | { k: 'int'; v: number }
  | { k: 'slice'; s: Slice }
  | { k: 'new' }
  | { k: 'ellipsis' }
  | { k: 'array'; a: MxArray };

function classify(key: IndexKey, dev: StreamOpt): Key {
  if (key === null) return { k: 'new' };
  if (typeof key === 'number') {
    if (!Number.isInteger(key)) throw new Error(`[index] Index ${key} is not an integer.`);
    return { k: 'int', v: key };
  }
  if (typeof key === 'string') {
    if (key.trim() === '...') return { k: 'ellipsis' };
    if (/^\s*-?\d+\s*$/.test(key)) return { k: 'int', v: Number(key) };
    return { k: 'slice', s: parseSliceString(key) };
  }
  if (key instanceof MxArray) return { k: 'array', a: key };
  if (Array.isArray(key)) return { k: 'array', a: array(key as NestedData, undefined, dev) };
  if (typeof key === 'object') return { k: 'slice', s: key as Slice };
  throw new Error(`[index] Unsupported index ${String(key)}.`);
}

/**
 * Indexes an array like NumPy: integers, slices ('1:5:2', mx.slice(...)), mx.newaxis,
 * '...', and integer arrays (gathers, broadcast together).
 * @example
 * x.index(0, '::2', mx.newaxis)
 * x.index('...', mx.array([2, 0]))
 */
export function index(a: MxArray, keys: IndexKey[], opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const o = { stream: dev };
  let ks = keys.map((k) => classify(k, o));
  const ell = ks.filter((k) => k.k === 'ellipsis').length;
  if (ell > 1) throw new Error('[index] An index can only have a single ellipsis.');
  const consuming = ks.filter((k) => k.k !== 'new' && k.k !== 'ellipsis').length;
  if (consuming > a.ndim) throw new Error(`[index] Too many indices (${consuming}) for array with ${a.ndim} dimensions (shape ${fmtShape(a.shape)}).`);
  const fill: Key[] = Array.from({ length: a.ndim - consuming }, () => ({ k: 'slice', s: {} }));
  const ei = ks.findIndex((k) => k.k === 'ellipsis');
  ks = ei >= 0 ? [...ks.slice(0, ei), ...fill, ...ks.slice(ei + 1)] : [...ks, ...fill];

  const advanced = ks.some((k) => k.k === 'array');
  // pass 1: slices and (without advanced indices) integers, as one strided view
  const start: number[] = [], step: number[] = [], count: number[] = [];
  const outShape: number[] = [];
  const advAt: { dim: number; idx: MxArray }[] = [];
  let dim = 0;
  for (const k of ks) {
    if (k.k === 'new') { outShape.push(1); continue; }
    const n = a.shape[dim];
    if (k.k === 'slice') {
      const [b, st, c] = normSlice(n, k.s.start, k.s.stop, k.s.step);
      start.push(b); step.push(st); count.push(c); outShape.push(c);
    } else if (k.k === 'int') {
      if (k.v < -n || k.v >= n) throw new Error(`[index] Index ${k.v} is out of bounds for axis ${dim} with size ${n}.`);
      const v = k.v < 0 ? k.v + n : k.v;
      if (advanced) {
        start.push(0); step.push(1); count.push(n);
        advAt.push({ dim: outShape.length, idx: array(v, int32, o) });
        outShape.push(n);
      } else { start.push(v); step.push(1); count.push(1); }
    } else if (k.k === 'array') {
      if (!isInteger(k.a.dtype)) throw new Error(`[index] Array indices must be integers, got ${k.a.dtype.name}.`);
      start.push(0); step.push(1); count.push(n);
      advAt.push({ dim: outShape.length, idx: k.a });
      outShape.push(n);
    }
    dim++;
  }
  let y = reshape(sliceRaw(a, start, step, count, o), outShape, o);
  if (!advanced) return y;

  // pass 2: gather over the advanced dims, flattened into one linear index
  const dims = advAt.map((x) => x.dim);
  const ishape = broadcastShapes('index', ...advAt.map((x) => x.idx.shape));
  let lin: MxArray | null = null;
  let stride = 1;
  for (let i = advAt.length - 1; i >= 0; i--) {
    const n = y.shape[dims[i]];
    let ix = astype(advAt[i].idx, int32, o);
    ix = where(less(ix, 0, o), add(ix, n, o), ix, o);
    const term = multiply(ix, stride, o);
    lin = lin ? add(lin, term, o) : term;
    stride *= n;
  }
  lin = broadcastTo(lin!, ishape, o);
  const rest = [...Array(y.ndim).keys()].filter((d) => !dims.includes(d));
  y = transpose(y, [...dims, ...rest], o);
  y = reshape(y, [stride, ...rest.map((d) => y.shape[dims.length + rest.indexOf(d)])], o);
  let g = take(y, lin, 0, o);
  // adjacent advanced indices keep their place; separated ones go first (NumPy)
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1] + 1);
  if (adjacent && dims[0] > 0) {
    const nI = ishape.length;
    const perm = [...Array(g.ndim).keys()];
    const idxDims = perm.slice(0, nI), others = perm.slice(nI);
    g = transpose(g, [...others.slice(0, dims[0]), ...idxDims, ...others.slice(dims[0])], o);
  }
  return g;
}

/**
 * Takes elements along an axis (of the flattened array when axis is omitted).
 * Negative indices count from the end; out-of-range ones are clamped.
 * @example
 * mx.take(x, mx.array([0, 2]), 1)
 */
export function take(a: ArrayInput, indices: ArrayInput, axis?: number, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  let [x] = operands('take', [a], dev);
  const [idx] = indices instanceof MxArray ? [indices] : [array(indices as NestedData, int32, { stream: dev })];
  if (!isInteger(idx.dtype)) throw new TypeError(`[take] Indices must be integers, got ${idx.dtype.name}.`);
  if (axis === undefined) {
    x = flatten(x, 0, -1, opts);
    axis = 0;
  }
  const ax = normAxis('take', axis, x.ndim);
  if (x.shape[ax] === 0 && idx.size > 0) throw new Error(`[take] Cannot take from an empty axis (shape ${fmtShape(x.shape)}).`);
  const shape = [...x.shape.slice(0, ax), ...idx.shape, ...x.shape.slice(ax + 1)];
  return bind('gather', [x, astype(idx, int32, opts)], { axis: ax }, shape, x.dtype, dev);
}

/** Linear indices into flattened `a` for take/putAlongAxis. */
function alongAxisIndex(op: string, a: MxArray, idx: MxArray, axis: number, opts?: StreamOpt): MxArray {
  if (!isInteger(idx.dtype)) throw new TypeError(`[${op}] Indices must be integers, got ${idx.dtype.name}.`);
  if (idx.ndim !== a.ndim) throw new Error(`[${op}] Indices of shape ${fmtShape(idx.shape)} must have the same number of dimensions as the array of shape ${fmtShape(a.shape)}.`);
  const bshape = broadcastShapes(op, a.shape.map((d, i) => (i === axis ? 1 : d)), idx.shape.map((d, i) => (i === axis ? 1 : d)));
  bshape[axis] = idx.shape[axis];
  const strides = contiguousStrides(a.shape);
  const n = a.shape[axis];
  let ix = astype(broadcastTo(idx, bshape, opts), int32, opts);
  ix = where(less(ix, 0, opts), add(ix, n, opts), ix, opts);
  let lin = multiply(ix, strides[axis], opts);
  for (let d = 0; d < a.ndim; d++) {
    if (d === axis) continue;
    const s = new Array<number>(a.ndim).fill(1);
    s[d] = bshape[d];
    lin = add(lin, reshape(arange(0, bshape[d] * strides[d], strides[d] || 1, int32, opts), s, opts), opts);
  }
  return lin;
}

/**
 * Takes values at indices along an axis, as NumPy's take_along_axis.
 * @example
 * mx.takeAlongAxis(x, mx.argmax(x, 1, true), 1)
 */
export function takeAlongAxis(a: ArrayInput, indices: MxArray, axis: number, opts?: StreamOpt): MxArray {
  const [x] = operands('takeAlongAxis', [a], resolveDevice(opts));
  const ax = normAxis('takeAlongAxis', axis, x.ndim);
  const lin = alongAxisIndex('takeAlongAxis', x, indices, ax, opts);
  return take(flatten(x, 0, -1, opts), lin, 0, opts);
}

function scatterFlat(op: string, x: MxArray, lin: MxArray, values: ArrayInput, mode: ScatterMode, opts?: StreamOpt, donate = false): MxArray {
  const dev = resolveDevice(opts);
  const [v0] = operands(op, [values], dev);
  const v = broadcastTo(astype(v0, x.dtype, opts), lin.shape, opts);
  const flat = flatten(x, 0, -1, opts);
  const out = bind('scatter', [flat, flatten(lin, 0, -1, opts), flatten(v, 0, -1, opts)], { axis: 0, mode, ...(donate ? { donate } : {}) }, flat.shape, x.dtype, dev);
  return reshape(out, x.shape, opts);
}

/**
 * Writes values at indices along an axis, as NumPy's put_along_axis (returns a new array).
 * @example
 * mx.putAlongAxis(x, idx, 0, 1)
 */
export function putAlongAxis(a: ArrayInput, indices: MxArray, values: ArrayInput, axis: number, opts?: StreamOpt): MxArray {
  const [x] = operands('putAlongAxis', [a], resolveDevice(opts));
  const ax = normAxis('putAlongAxis', axis, x.ndim);
  return scatterFlat('putAlongAxis', x, alongAxisIndex('putAlongAxis', x, indices, ax, opts), values, 'set', opts);
}

/** Scatters values at indices along an axis with a combine mode (used by gradients). */
export function scatterAlongAxis(a: MxArray, indices: MxArray, values: ArrayInput, axis: number, mode: ScatterMode, opts?: StreamOpt): MxArray {
  const ax = normAxis('scatterAlongAxis', axis, a.ndim);
  return scatterFlat('scatterAlongAxis', a, alongAxisIndex('scatterAlongAxis', a, indices, ax, opts), values, mode, opts);
}

/** Linear indices of the elements `index(a, keys)` selects. */
function selectedIndices(a: MxArray, keys: IndexKey[], opts?: StreamOpt): MxArray {
  const ids = reshape(arange(0, Math.max(a.size, 1), 1, int32, opts), a.size === 0 ? [0] : [a.size], opts);
  return index(reshape(a.size === 0 ? ids : ids, a.shape, opts), keys, opts);
}

/**
 * Returns `a` with `update` written at `start` along `axes` (MLX's slice_update).
 * @example
 * mx.sliceUpdate(x, mx.ones([2, 2]), [1, 1], [0, 1])
 */
export function sliceUpdate(a: ArrayInput, update: ArrayInput, start: number[], axes?: number[], opts?: StreamOpt): MxArray {
  return sliceUpdateImpl(a, update, start, axes, opts, false);
}

/**
 * @internal sliceUpdate that may write into a's buffer: the caller must not read `a`
 * afterwards (a KV cache replacing its arrays). Saves a copy of the whole array per update.
 */
export function sliceUpdateDonated(a: MxArray, update: ArrayInput, start: number[], axes?: number[]): MxArray {
  return sliceUpdateImpl(a, update, start, axes, undefined, true);
}

/**
 * @internal Writes `update` at positions `idx` (an int32 array) along `axis` of `a`, in a's
 * buffer (a donated update, as sliceUpdateDonated). The positions being an array keeps the
 * graph's structure the same from one decode step to the next.
 */
export function scatterAxisDonated(a: MxArray, idx: MxArray, update: MxArray, axis: number): MxArray {
  const ax = normAxis('scatterAxisDonated', axis, a.ndim);
  const want = [...a.shape.slice(0, ax), ...idx.shape, ...a.shape.slice(ax + 1)];
  if (want.join() !== update.shape.join()) throw new Error(`[scatterAxisDonated] update shape ${fmtShape(update.shape)} should be ${fmtShape(want)}.`);
  return bind('scatter', [a, idx, astype(update, a.dtype)], { axis: ax, mode: 'set', donate: true }, a.shape, a.dtype, a.device);
}

function sliceUpdateImpl(a: ArrayInput, update: ArrayInput, start: number[], axes: number[] | undefined, opts: StreamOpt | undefined, donate: boolean): MxArray {
  const dev = resolveDevice(opts);
  const [x, u] = operands('sliceUpdate', [a, update], dev);
  const ax = (axes ?? start.map((_, i) => i)).map((d) => normAxis('sliceUpdate', d, x.ndim));
  if (ax.length !== start.length) throw new Error('[sliceUpdate] start and axes must have the same length.');
  const keys: IndexKey[] = x.shape.map(() => ({}) as Slice);
  ax.forEach((d, i) => {
    const s = start[i] < 0 ? start[i] + x.shape[d] : start[i];
    const len = u.ndim === x.ndim ? u.shape[d] : 1;
    if (s < 0 || s + len > x.shape[d]) throw new Error(`[sliceUpdate] Update of shape ${fmtShape(u.shape)} at ${start[i]} does not fit axis ${d} of size ${x.shape[d]}.`);
    keys[d] = { start: s, stop: s + len };
  });
  return scatterFlat('sliceUpdate', x, selectedIndices(x, keys, opts), u, 'set', opts, donate);
}

/** The object `a.at(...)` returns: scatter updates at the indexed positions. @example a.at(mx.array([0, 0])).add(1) */
export class AtIndexer {
  /** @internal */
  constructor(private readonly a: MxArray, private readonly keys: IndexKey[], private readonly opts?: StreamOpt) {}
  private apply(op: string, v: ArrayInput, mode: ScatterMode): MxArray {
    return scatterFlat(op, this.a, selectedIndices(this.a, this.keys, this.opts), v, mode, this.opts);
  }
  /** Sets the indexed elements (last write wins for duplicates). @example x.at(0).set(1) */
  set(v: ArrayInput): MxArray { return this.apply('at.set', v, 'set'); }
  /** Adds, accumulating duplicates. @example x.at(mx.array([0, 0])).add(1) */
  add(v: ArrayInput): MxArray { return this.apply('at.add', v, 'add'); }
  /** @example x.at(1).subtract(2) */
  subtract(v: ArrayInput): MxArray { return this.apply('at.subtract', negative(operands('at.subtract', [v], resolveDevice(this.opts))[0], this.opts), 'add'); }
  /** @example x.at(1).multiply(2) */
  multiply(v: ArrayInput): MxArray { return this.apply('at.multiply', v, 'prod'); }
  /** @example x.at(1).divide(2) */
  divide(v: ArrayInput): MxArray {
    const [w] = operands('at.divide', [v], resolveDevice(this.opts));
    return this.apply('at.divide', reciprocal(astype(w, this.a.dtype, this.opts), this.opts), 'prod');
  }
  /** @example x.at(1).maximum(0) */
  maximum(v: ArrayInput): MxArray { return this.apply('at.maximum', v, 'max'); }
  /** @example x.at(1).minimum(0) */
  minimum(v: ArrayInput): MxArray { return this.apply('at.minimum', v, 'min'); }
}

export function at(a: MxArray, keys: IndexKey[], opts?: StreamOpt): AtIndexer {
  return new AtIndexer(a, keys, opts);
}

