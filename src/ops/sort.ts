// Sorting and selection: sort, argsort, partition, argpartition, topk, searchsorted and
// median. Three extern ops do the work along the last axis (the public functions move the
// axis there, a free view): SORT (values and stable uint32 indices), TOPK and SEARCH. The
// order is NumPy's: NaN after everything, -0 equal to 0, ties in input order.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { type Dtype, float32, float64, isFloating, promoteTypes, uint32 } from '../core/dtype.ts';
import { fmtShape, normAxes, normAxis, sizeOf } from '../core/shape.ts';
import type { ExternOp, HostArray, Spec } from '../ir/extern.ts';
import { operands, type ArrayInput } from './core.ts';
import { callExtern } from './extern.ts';
import { add, astype, isnan, multiply, where } from './elementwise.ts';
import { full, zerosLike } from './creation.ts';
import { flatten, moveaxis, reshape, sliceAxes, transpose } from './shape.ts';
import { putAlongAxis, takeAlongAxis } from './indexing.ts';
import { searchGpu, sortGpu, topkGpu } from './sort-gpu.ts';

// ------------------------------------------------------------------ CPU references

/** NumPy's sort order of values of dtype d: NaN last. */
function orderOf(d: Dtype): (a: number, b: number) => number {
  if (!isFloating(d)) return (a, b) => (a < b ? -1 : a > b ? 1 : 0);
  return (a, b) => {
    const na = Number.isNaN(a), nb = Number.isNaN(b);
    if (na || nb) return +na - +nb;
    return a < b ? -1 : a > b ? 1 : 0;
  };
}

/** Per row of `n`: the kept positions of a sort by (value, index); `desc` ties prefer low indices last. */
function sortRows(x: HostArray, keep: number, tiesDesc: boolean): Float64Array[] {
  const n = x.shape[x.shape.length - 1];
  const rows = n ? x.data.length / n : 0;
  const cmp = orderOf(x.dtype);
  const vals = new Float64Array(rows * keep), idx = new Float64Array(rows * keep);
  const ord = new Array<number>(n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let j = 0; j < n; j++) ord[j] = j;
    ord.sort((i, j) => cmp(x.data[base + i], x.data[base + j]) || (tiesDesc ? j - i : i - j));
    for (let j = 0; j < keep; j++) {
      const s = ord[n - keep + j];
      vals[r * keep + j] = x.data[base + s];
      idx[r * keep + j] = s;
    }
  }
  return [vals, idx];
}

// ------------------------------------------------------------------ extern ops

const lastDim = (s: Spec) => s.shape[s.shape.length - 1];

/** Routes a values cotangent back to the source positions (a permutation or a subset). */
function spreadBack(x: MxArray, idx: MxArray, g: MxArray): (MxArray | null)[] {
  return isFloating(x.dtype) ? [putAlongAxis(zerosLike(x), idx, g, -1)] : [null];
}

const SORT: ExternOp<null> = {
  name: 'sort',
  outputs: ([x]) => [
    { shape: x.shape, dtype: x.dtype },
    { shape: x.shape, dtype: uint32 },
  ],
  cpu: ([x]) => sortRows(x, lastDim(x), false),
  gpu: (cx, [x], outs) => sortGpu(cx, x, outs),
  vjp: ([x], outs, g, index) => (index === 0 ? spreadBack(x, outs[1], g) : [null]),
  jvp: (_ins, outs, [t], index) => (index === 0 && t ? takeAlongAxis(t, outs[1], -1) : null),
  vmap: ([x], [ax]) => callExtern(SORT, [ax ? moveaxis(x, ax, 0) : x], null, x.device),
};

const TOPK: ExternOp<{ k: number }> = {
  name: 'topk',
  outputs: ([x], { k }) => {
    const shape = [...x.shape.slice(0, -1), k];
    return [{ shape, dtype: x.dtype }, { shape, dtype: uint32 }];
  },
  cpu: ([x], { k }) => sortRows(x, k, true),
  gpu: (cx, [x], outs, { k }) => topkGpu(cx, x, k, outs),
  vjp: ([x], outs, g, index) => (index === 0 ? spreadBack(x, outs[1], g) : [null]),
  jvp: (_ins, outs, [t], index) => (index === 0 && t ? takeAlongAxis(t, outs[1], -1) : null),
  vmap: ([x], [ax], attrs) => callExtern(TOPK, [ax ? moveaxis(x, ax, 0) : x], attrs, x.device),
};

const SEARCH: ExternOp<{ right: boolean }> = {
  name: 'searchsorted',
  outputs: ([, v]) => [{ shape: v.shape, dtype: uint32 }],
  cpu([a, v], { right }) {
    const cmp = orderOf(a.dtype);
    const out = new Float64Array(v.data.length);
    v.data.forEach((x, i) => {
      let lo = 0, hi = a.data.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const c = cmp(a.data[mid], x);
        if (c < 0 || (right && c === 0)) lo = mid + 1;
        else hi = mid;
      }
      out[i] = lo;
    });
    return [out];
  },
  gpu: (cx, [a, v], [out], { right }) => searchGpu(cx, a, v, right, out),
};

// ------------------------------------------------------------------ public API

/** The input with `axis` moved last (flattened for null), and how to put results back. */
function alongLast(op: string, a: ArrayInput, axis: number | null, opts?: StreamOpt) {
  const dev = resolveDevice(opts);
  const [x0] = operands(op, [a], dev);
  const x = axis === null ? flatten(x0, 0, -1, opts) : x0;
  if (x.ndim === 0) throw new Error(`[${op}] Cannot ${op} a 0-d array (shape ()); give it at least one dimension.`);
  const ax = normAxis(op, axis ?? 0, x.ndim);
  return {
    x: moveaxis(x, ax, -1, opts),
    n: x.shape[ax],
    dev,
    back: (r: MxArray) => moveaxis(r, -1, ax, opts),
  };
}

function sortCall(op: string, a: ArrayInput, axis: number | null, opts?: StreamOpt): MxArray[] {
  const r = alongLast(op, a, axis, opts);
  return callExtern(SORT, [r.x], null, r.dev).map(r.back);
}

/**
 * Sorted copy along an axis (flattened for null), ascending; NaNs last.
 * @example
 * mx.sort(mx.array([3, 1, 2])) // [1, 2, 3]
 */
export function sort(a: ArrayInput, axis: number | null = -1, opts?: StreamOpt): MxArray {
  return sortCall('sort', a, axis, opts)[0];
}

/**
 * Indices (uint32) that sort `a` along an axis; stable, so equal values keep their order.
 * @example
 * mx.argsort(mx.array([3, 1, 2])) // [1, 2, 0]
 */
export function argsort(a: ArrayInput, axis: number | null = -1, opts?: StreamOpt): MxArray {
  return sortCall('argsort', a, axis, opts)[1];
}

function checkKth(op: string, kth: number, n: number): void {
  if (!Number.isInteger(kth) || kth < -n || kth >= n) {
    throw new Error(`[${op}] kth ${kth} is out of range for an axis of size ${n} (valid: ${-n} to ${n - 1}).`);
  }
}

/**
 * Partitions along an axis: element `kth` lands in its sorted position, smaller ones
 * before, larger after. webmlx returns the fully sorted row (a valid partition).
 * @example
 * mx.partition(mx.array([5, 1, 4, 2]), 1) // [1, 2, 4, 5]
 */
export function partition(a: ArrayInput, kth: number, axis: number | null = -1, opts?: StreamOpt): MxArray {
  const r = alongLast('partition', a, axis, opts);
  checkKth('partition', kth, r.n);
  return r.back(callExtern(SORT, [r.x], null, r.dev)[0]);
}

/**
 * Indices (uint32) that partition `a` around `kth` (the stable argsort, a valid answer).
 * @example
 * mx.argpartition(mx.array([5, 1, 4, 2]), 1) // [1, 3, 2, 0]
 */
export function argpartition(a: ArrayInput, kth: number, axis: number | null = -1, opts?: StreamOpt): MxArray {
  const r = alongLast('argpartition', a, axis, opts);
  checkKth('argpartition', kth, r.n);
  return r.back(callExtern(SORT, [r.x], null, r.dev)[1]);
}

/**
 * The k largest elements along an axis (flattened for null). MLX leaves their order
 * unspecified; webmlx returns them ascending (the largest last), as `sort(a)[..., -k:]`.
 * @example
 * mx.topk(mx.array([5, 1, 4, 2]), 2) // [4, 5]
 */
export function topk(a: ArrayInput, k: number, axis: number | null = -1, opts?: StreamOpt): MxArray {
  const r = alongLast('topk', a, axis, opts);
  if (!Number.isInteger(k) || k < 0 || k > r.n) {
    throw new Error(`[topk] k ${k} is out of range for an axis of size ${r.n} (shape ${fmtShape(r.x.shape)}); k must be in [0, ${r.n}].`);
  }
  return r.back(callExtern(TOPK, [r.x], { k }, r.dev)[0]);
}

/** Options of searchsorted. */
export interface SearchsortedOptions extends StreamOpt {
  /** 'left': the first position where the value fits (default); 'right': the last. */
  side?: 'left' | 'right';
}

/**
 * Indices (uint32) where `values` would be inserted into 1-D ascending `sorted` to keep it
 * sorted (NumPy's searchsorted; NaN sorts last). The result has the shape of `values`.
 * @example
 * mx.searchsorted(mx.array([1, 2, 3]), mx.array([2, 5]), { side: 'right' }) // [2, 3]
 */
export function searchsorted(sorted: ArrayInput, values: ArrayInput, options: SearchsortedOptions = {}): MxArray {
  const dev = resolveDevice(options);
  const side = options.side ?? 'left';
  if (side !== 'left' && side !== 'right') throw new Error(`[searchsorted] side must be 'left' or 'right', got '${String(side)}'.`);
  const [a0, v0] = operands('searchsorted', [sorted, values], dev);
  if (a0.ndim !== 1) {
    throw new Error(`[searchsorted] The sorted array must be 1-D, got shape ${fmtShape(a0.shape)} (${a0.dtype.name}) with values of shape ${fmtShape(v0.shape)} (${v0.dtype.name}).`);
  }
  const dt = promoteTypes(a0.dtype, v0.dtype);
  const opts = { stream: dev };
  return callExtern(SEARCH, [astype(a0, dt, opts), astype(v0, dt, opts)], { right: side === 'right' }, dev)[0];
}

/**
 * Median over axes (all by default): the middle value, or the mean of the two middle
 * values for even counts; NaN propagates. Integers and bools give float32.
 * @example
 * mx.median(mx.array([[1, 3, 2, 4]]), 1) // [2.5]
 */
export function median(a: ArrayInput, axis?: number | number[] | null, keepdims = false, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x] = operands('median', [a], dev);
  const axes = normAxes('median', axis, x.ndim);
  const kept = [...x.shape.keys()].filter((d) => !axes.includes(d));
  const n = sizeOf(axes.map((d) => x.shape[d]));
  const outShape = keepdims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : kept.map((d) => x.shape[d]);
  const dt = isFloating(x.dtype) ? x.dtype : float32;
  if (n === 0) return full(outShape, NaN, dt, opts);
  // the reduced axes moved last and merged into one row per output element
  const rows = reshape(transpose(x, [...kept, ...axes], opts), [...kept.map((d) => x.shape[d]), n], opts);
  const [s] = callExtern(SORT, [rows], null, dev);
  const at = (i: number) => sliceAxes(s, [-1], [i], [i + 1], undefined, opts);
  const work = dt === float64 ? float64 : float32;
  const lo = astype(at((n - 1) >> 1), work, opts), hi = astype(at(n >> 1), work, opts);
  let m = n % 2 ? lo : multiply(add(lo, hi, opts), 0.5, opts);
  // NaNs sort last: a NaN anywhere in the row leaves one at its end
  if (isFloating(x.dtype)) m = where(isnan(at(n - 1), opts), NaN, m, opts);
  return reshape(astype(m, dt, opts), outShape, opts);
}
