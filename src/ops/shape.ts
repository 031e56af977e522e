// Shape ops: views (reshape, transpose, slice, broadcast) and the copies built on them.
import { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { promoteTypes } from '../core/dtype.ts';
import { type Shape, sizeOf, fmtShape, normAxis, normAxes, shapesEqual } from '../core/shape.ts';
import { bind, operands, type ArrayInput } from './core.ts';
import { astype, broadcastTo } from './elementwise.ts';
import { callExtern } from './extern.ts';
import type { ExternParams } from '../ir/extern.ts';

const arr = (op: string, a: ArrayInput, opts?: StreamOpt) => operands(op, [a], resolveDevice(opts))[0];

/**
 * Gives an array a new shape with the same size; one dimension may be -1.
 * @example
 * mx.reshape(mx.arange(6), [2, -1]) // shape [2, 3]
 */
export function reshape(a: ArrayInput, shape: readonly number[], opts?: StreamOpt): MxArray {
  const x = arr('reshape', a, opts);
  const target = [...shape];
  const neg = target.filter((d) => d === -1).length;
  if (neg > 1) throw new Error(`[reshape] Can only infer one dimension, got shape ${fmtShape(shape)}.`);
  for (const d of target) if (!Number.isInteger(d) || d < -1) throw new Error(`[reshape] Invalid dimension ${d} in ${fmtShape(shape)}.`);
  if (neg === 1) {
    const known = sizeOf(target.filter((d) => d !== -1));
    const i = target.indexOf(-1);
    if (known === 0 || x.size % known !== 0) {
      throw new Error(`[reshape] Cannot reshape array of size ${x.size} into shape ${fmtShape(shape)}.`);
    }
    target[i] = x.size / known;
  }
  if (sizeOf(target) !== x.size) throw new Error(`[reshape] Cannot reshape array of size ${x.size} into shape ${fmtShape(shape)}.`);
  if (shapesEqual(target, x.shape)) return x;
  return bind('reshape', [x], { shape: target }, target, x.dtype, resolveDevice(opts));
}

/**
 * Flattens the axes from startAxis to endAxis into one.
 * @example
 * mx.flatten(mx.zeros([2, 3, 4]), 1) // shape [2, 12]
 */
export function flatten(a: ArrayInput, startAxis = 0, endAxis = -1, opts?: StreamOpt): MxArray {
  const x = arr('flatten', a, opts);
  if (x.ndim === 0) return reshape(x, [1], opts);
  const s = normAxis('flatten', startAxis, x.ndim), e = normAxis('flatten', endAxis, x.ndim);
  if (s > e) throw new Error(`[flatten] startAxis ${startAxis} must come before endAxis ${endAxis}.`);
  const shape = [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)];
  return reshape(x, shape, opts);
}

/**
 * Removes size-1 axes (all of them, or the given ones).
 * @example
 * mx.squeeze(mx.zeros([1, 3, 1])) // shape [3]
 */
export function squeeze(a: ArrayInput, axis?: number | number[], opts?: StreamOpt): MxArray {
  const x = arr('squeeze', a, opts);
  const axes = axis === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normAxes('squeeze', axis, x.ndim);
  for (const ax of axes) if (x.shape[ax] !== 1) throw new Error(`[squeeze] Cannot squeeze axis ${ax} with size ${x.shape[ax]} (shape ${fmtShape(x.shape)}).`);
  return reshape(x, x.shape.filter((_, i) => !axes.includes(i)), opts);
}

/**
 * Inserts size-1 axes at the given positions of the result.
 * @example
 * mx.expandDims(mx.zeros([3]), 0) // shape [1, 3]
 */
export function expandDims(a: ArrayInput, axis: number | number[], opts?: StreamOpt): MxArray {
  const x = arr('expandDims', a, opts);
  const list = typeof axis === 'number' ? [axis] : axis;
  const nd = x.ndim + list.length;
  const axes = normAxes('expandDims', list, nd);
  const shape: number[] = [];
  let j = 0;
  for (let i = 0; i < nd; i++) shape.push(axes.includes(i) ? 1 : x.shape[j++]);
  return reshape(x, shape, opts);
}

/**
 * Permutes axes (reverses them by default). A view.
 * @example
 * mx.transpose(mx.zeros([2, 3, 4]), [2, 0, 1]) // shape [4, 2, 3]
 */
export function transpose(a: ArrayInput, axes?: number[], opts?: StreamOpt): MxArray {
  const x = arr('transpose', a, opts);
  if (axes !== undefined && !Array.isArray(axes)) throw new Error(`[transpose] axes must be an array of integers (or left out); got ${typeof axes === 'object' ? JSON.stringify(axes) : String(axes)}.`);
  const perm = axes === undefined ? [...Array(x.ndim).keys()].reverse() : axes.map((ax) => normAxis('transpose', ax, x.ndim));
  if (perm.length !== x.ndim || new Set(perm).size !== perm.length) {
    throw new Error(`[transpose] Axes [${axes?.join(', ')}] are not a permutation of an array with ${x.ndim} dimensions.`);
  }
  if (perm.every((p, i) => p === i)) return x;
  return bind('transpose', [x], { perm }, perm.map((p) => x.shape[p]), x.dtype, resolveDevice(opts));
}

/** Swaps two axes. @example mx.swapaxes(x, 0, 1) */
export function swapaxes(a: ArrayInput, axis1: number, axis2: number, opts?: StreamOpt): MxArray {
  const x = arr('swapaxes', a, opts);
  const i = normAxis('swapaxes', axis1, x.ndim), j = normAxis('swapaxes', axis2, x.ndim);
  const perm = [...Array(x.ndim).keys()];
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return transpose(x, perm, opts);
}

/** Moves one axis to a new position. @example mx.moveaxis(x, 0, -1) */
export function moveaxis(a: ArrayInput, source: number, destination: number, opts?: StreamOpt): MxArray {
  const x = arr('moveaxis', a, opts);
  const s = normAxis('moveaxis', source, x.ndim), d = normAxis('moveaxis', destination, x.ndim);
  const perm = [...Array(x.ndim).keys()].filter((i) => i !== s);
  perm.splice(d, 0, s);
  return transpose(x, perm, opts);
}

/**
 * Strided slice: per axis start, stop (exclusive) and step, already normalised so that
 * count = output size. Internal building block of indexing.
 */
export function sliceRaw(x: MxArray, start: number[], step: number[], counts: number[], opts?: StreamOpt): MxArray {
  if (counts.every((c, i) => c === x.shape[i]) && start.every((s) => s === 0) && step.every((s) => s === 1)) return x;
  const dev = resolveDevice(opts);
  const r = x.ndim - 2;
  if (dev === x.device && r >= 0 && counts.every((c, i) => i === r || (c === x.shape[i] && start[i] === 0 && step[i] === 1))) {
    const y = rowsOf(x, start[r], step[r], counts[r], opts);
    if (y) return y;
  }
  return bind('slice', [x], { start, step }, counts, x.dtype, dev);
}

/**
 * Rows (axis -2) of a pending matrix product as the product of those rows, or null: a
 * prompt's last-token logits then take one row of the LM head's product, not all of them.
 * Also through a quantized product's reshape that keeps the last two axes.
 */
function rowsOf(x: MxArray, start: number, step: number, count: number, opts?: StreamOpt): MxArray | null {
  const n = x._node;
  if (!n) return null;
  const sub = (a: MxArray) => {
    const q = a.ndim - 2;
    return sliceRaw(a, a.shape.map((_, i) => (i === q ? start : 0)), a.shape.map((_, i) => (i === q ? step : 1)), a.shape.map((d, i) => (i === q ? count : d)), opts);
  };
  const shape = x.shape.map((d, i) => (i === x.ndim - 2 ? count : d));
  if (n.prim === 'matmul') return bind('matmul', [sub(n.inputs[0]), n.inputs[1]], {}, shape, x.dtype, x.device);
  const e = n.prim === 'reshape' ? n.inputs[0] : x;
  const en = e._node;
  const p = en?.prim === 'extern' ? (en.params as ExternParams) : null;
  if (!en || !p?.op.rowwise?.(p.attrs) || p.call.outs.length !== 1 || e.ndim < 2 || en.inputs[0].ndim !== e.ndim) return null;
  if (e.shape[e.ndim - 1] !== x.shape[x.ndim - 1] || e.shape[e.ndim - 2] !== x.shape[x.ndim - 2]) return null;
  return reshape(callExtern(p.op, [sub(en.inputs[0]), ...en.inputs.slice(1)], p.attrs, e.device)[0], shape, opts);
}

/** Normalises one Python-style slice bound triple for an axis of length n. */
export function normSlice(n: number, start?: number | null, stop?: number | null, step?: number | null): [number, number, number] {
  const st = step ?? 1;
  if (st === 0) throw new Error('[slice] Slice step cannot be zero.');
  let b: number, e: number;
  if (st > 0) {
    b = start == null ? 0 : start < 0 ? Math.max(0, start + n) : Math.min(start, n);
    e = stop == null ? n : stop < 0 ? Math.max(0, stop + n) : Math.min(stop, n);
    return [b, st, Math.max(0, Math.ceil((e - b) / st))];
  }
  b = start == null ? n - 1 : start < 0 ? Math.max(-1, start + n) : Math.min(start, n - 1);
  e = stop == null ? -1 : stop < 0 ? Math.max(-1, stop + n) : Math.min(stop, n - 1);
  return [b, st, Math.max(0, Math.ceil((e - b) / st))];
}

/**
 * MLX's `slice`-like op with NumPy bounds: start/stop/step per listed axis.
 * @example
 * mx.sliceAxes(x, [0], [1], [5], [2]) // x[1:5:2]
 */
export function sliceAxes(a: ArrayInput, axes: number[], start: (number | null)[], stop: (number | null)[], step?: (number | null)[], opts?: StreamOpt): MxArray {
  const x = arr('slice', a, opts);
  const s0 = x.shape.map(() => 0), st = x.shape.map(() => 1), c = [...x.shape];
  axes.forEach((ax0, k) => {
    const ax = normAxis('slice', ax0, x.ndim);
    [s0[ax], st[ax], c[ax]] = normSlice(x.shape[ax], start[k], stop[k], step?.[k]);
  });
  return sliceRaw(x, s0, st, c, opts);
}

/**
 * Joins arrays along an existing axis.
 * @example
 * mx.concatenate([a, b], 0)
 */
export function concatenate(arrays: ArrayInput[], axis = 0, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  if (arrays.length === 0) throw new Error('[concatenate] No arrays to concatenate.');
  const xs = operands('concatenate', arrays, dev);
  const nd = xs[0].ndim;
  if (nd === 0) throw new Error('[concatenate] Cannot concatenate 0-d arrays; use stack.');
  const ax = normAxis('concatenate', axis, nd);
  for (const x of xs) {
    if (x.ndim !== nd || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i])) {
      throw new Error(`[concatenate] All the input array dimensions must match exactly except for the concatenation axis; got shapes ${xs.map((y) => fmtShape(y.shape)).join(', ')}.`);
    }
  }
  const dt = xs.map((x) => x.dtype).reduce(promoteTypes);
  const cast = xs.map((x) => astype(x, dt, opts)).filter((x) => x.shape[ax] > 0);
  const shape = [...xs[0].shape];
  shape[ax] = xs.reduce((s, x) => s + x.shape[ax], 0);
  if (cast.length === 1) return cast[0];
  if (cast.length === 0) return astype(xs[0], dt, opts);
  return bind('concatenate', cast, { axis: ax }, shape, dt, dev);
}

/**
 * Joins arrays along a new axis.
 * @example
 * mx.stack([a, b], 1)
 */
export function stack(arrays: ArrayInput[], axis = 0, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  if (arrays.length === 0) throw new Error('[stack] No arrays to stack.');
  const xs = operands('stack', arrays, dev);
  for (const x of xs) if (!shapesEqual(x.shape, xs[0].shape)) throw new Error(`[stack] All arrays must have the same shape; got ${xs.map((y) => fmtShape(y.shape)).join(', ')}.`);
  const ax = normAxis('stack', axis, xs[0].ndim + 1);
  return concatenate(xs.map((x) => expandDims(x, ax, opts)), ax, opts);
}

/**
 * Splits into equal sections or at the given indices.
 * @example
 * const [a, b] = mx.split(x, 2, 0);
 */
export function split(a: ArrayInput, indicesOrSections: number | number[], axis = 0, opts?: StreamOpt): MxArray[] {
  const x = arr('split', a, opts);
  const ax = normAxis('split', axis, x.ndim);
  const n = x.shape[ax];
  let cuts: number[];
  if (typeof indicesOrSections === 'number') {
    const k = indicesOrSections;
    if (!Number.isInteger(k) || k <= 0 || n % k !== 0) throw new Error(`[split] Array of size ${n} along axis ${ax} cannot be split into ${k} equal parts.`);
    cuts = [...Array(k - 1).keys()].map((i) => ((i + 1) * n) / k);
  } else cuts = indicesOrSections;
  const bounds = [0, ...cuts.map((c) => (c < 0 ? c + n : c)), n];
  const out: MxArray[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    out.push(sliceAxes(x, [ax], [bounds[i]], [Math.max(bounds[i], bounds[i + 1])], [1], opts));
  }
  return out;
}

/**
 * Repeats the whole array along each axis.
 * @example
 * mx.tile(mx.array([1, 2]), [2]) // [1, 2, 1, 2]
 */
export function tile(a: ArrayInput, reps: number | number[], opts?: StreamOpt): MxArray {
  let x = arr('tile', a, opts);
  const r = typeof reps === 'number' ? [reps] : [...reps];
  const nd = Math.max(x.ndim, r.length);
  while (r.length < nd) r.unshift(1);
  if (x.ndim < nd) x = reshape(x, [...Array(nd - x.ndim).fill(1), ...x.shape], opts);
  // broadcast a new axis in front of each axis, then merge
  const expanded = x.shape.flatMap((d) => [1, d]);
  const target = x.shape.flatMap((d, i) => [r[i], d]);
  const b = broadcastTo(reshape(x, expanded, opts), target, opts);
  return reshape(b, x.shape.map((d, i) => d * r[i]), opts);
}

/**
 * Repeats each element (flattened when axis is undefined).
 * @example
 * mx.repeat(mx.array([1, 2]), 2) // [1, 1, 2, 2]
 */
export function repeat(a: ArrayInput, repeats: number, axis?: number, opts?: StreamOpt): MxArray {
  let x = arr('repeat', a, opts);
  if (!Number.isInteger(repeats) || repeats < 0) throw new Error(`[repeat] repeats must be a non-negative integer, got ${repeats}.`);
  if (axis === undefined) {
    x = flatten(x, 0, -1, opts);
    axis = 0;
  }
  const ax = normAxis('repeat', axis, x.ndim);
  const e = expandDims(x, ax + 1, opts);
  const target = [...e.shape];
  target[ax + 1] = repeats;
  const shape = [...x.shape];
  shape[ax] *= repeats;
  return reshape(broadcastTo(e, target, opts), shape, opts);
}

/** Normalises NumPy pad widths to per-axis [low, high]. */
function padWidths(op: string, pw: number | number[] | number[][], nd: number): [number, number][] {
  let r: [number, number][];
  if (typeof pw === 'number') r = Array.from({ length: nd }, () => [pw, pw]);
  else if (pw.length > 0 && typeof pw[0] === 'number') {
    const p = pw as number[];
    if (p.length === 1) r = Array.from({ length: nd }, () => [p[0], p[0]]);
    else if (p.length === 2) r = Array.from({ length: nd }, () => [p[0], p[1]]);
    else throw new Error(`[${op}] Invalid pad width [${p.join(', ')}].`);
  } else {
    const p = pw as number[][];
    if (p.length === 1) r = Array.from({ length: nd }, () => [p[0][0], p[0][1] ?? p[0][0]]);
    else if (p.length === nd) r = p.map((q) => [q[0], q[1] ?? q[0]]);
    else throw new Error(`[${op}] Pad width has ${p.length} entries for an array with ${nd} dimensions.`);
  }
  for (const [l, h] of r) if (!Number.isInteger(l) || !Number.isInteger(h) || l < 0 || h < 0) throw new Error(`[${op}] Pad widths must be non-negative integers.`);
  return r;
}

/**
 * Pads with a constant or by repeating the edge.
 * @example
 * mx.pad(x, [[1, 1], [0, 2]])
 */
export function pad(a: ArrayInput, padWidth: number | number[] | number[][], mode: 'constant' | 'edge' = 'constant', constantValues = 0, opts?: StreamOpt): MxArray {
  const x = arr('pad', a, opts);
  const w = padWidths('pad', padWidth, x.ndim);
  if (w.every(([l, h]) => l === 0 && h === 0)) return x;
  if (mode === 'constant') {
    const shape = x.shape.map((d, i) => d + w[i][0] + w[i][1]);
    return bind('pad', [x], { low: w.map((p) => p[0]), high: w.map((p) => p[1]), value: constantValues }, shape, x.dtype, resolveDevice(opts));
  }
  if (mode !== 'edge') throw new Error(`[pad] Unsupported mode '${mode}'; use 'constant' or 'edge'.`);
  let y = x;
  for (let ax = 0; ax < x.ndim; ax++) {
    const [l, h] = w[ax];
    if (l === 0 && h === 0) continue;
    if (y.shape[ax] === 0) throw new Error('[pad] Cannot edge-pad an empty axis.');
    const first = sliceAxes(y, [ax], [0], [1], [1], opts), last = sliceAxes(y, [ax], [-1], [null], [1], opts);
    const ls = [...y.shape]; ls[ax] = l;
    const hs = [...y.shape]; hs[ax] = h;
    y = concatenate([broadcastTo(first, ls, opts), y, broadcastTo(last, hs, opts)], ax, opts);
  }
  return y;
}

/**
 * Reverses the order of elements along axes (all by default). A view.
 * @example
 * mx.flip(mx.array([1, 2, 3])) // [3, 2, 1]
 */
export function flip(a: ArrayInput, axis?: number | number[], opts?: StreamOpt): MxArray {
  const x = arr('flip', a, opts);
  const axes = normAxes('flip', axis, x.ndim);
  return sliceAxes(x, axes, axes.map(() => null), axes.map(() => null), axes.map(() => -1), opts);
}

/**
 * Rolls elements along axes (flattened when axis is undefined).
 * @example
 * mx.roll(mx.array([1, 2, 3]), 1) // [3, 1, 2]
 */
export function roll(a: ArrayInput, shift: number | number[], axis?: number | number[], opts?: StreamOpt): MxArray {
  let x = arr('roll', a, opts);
  if (axis === undefined) {
    const shape = x.shape;
    const s = typeof shift === 'number' ? shift : shift.reduce((p, q) => p + q, 0);
    return reshape(roll(flatten(x, 0, -1, opts), s, 0, opts), shape, opts);
  }
  const axes = typeof axis === 'number' ? [axis] : axis;
  const shifts = typeof shift === 'number' ? axes.map(() => shift) : shift;
  if (shifts.length !== axes.length) throw new Error('[roll] shift and axis must have the same length.');
  axes.forEach((ax0, k) => {
    const ax = normAxis('roll', ax0, x.ndim);
    const n = x.shape[ax];
    if (n === 0) return;
    const s = ((shifts[k] % n) + n) % n;
    if (s === 0) return;
    const head = sliceAxes(x, [ax], [n - s], [null], [1], opts), tail = sliceAxes(x, [ax], [0], [n - s], [1], opts);
    x = concatenate([head, tail], ax, opts);
  });
  return x;
}

/** Shape-preserving checks shared by ops that need same-shaped inputs. */
export function sameShape(op: string, a: MxArray, b: MxArray): void {
  if (!shapesEqual(a.shape, b.shape)) throw new Error(`[${op}] Shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} must match.`);
}

export type { Shape };
