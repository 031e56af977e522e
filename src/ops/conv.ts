// Convolutions as composites (channels last, MLX's layouts): the input is padded and
// dilated with pad/reshape, the kernel taps are gathered with strided slices (im2col,
// one spatial axis at a time) and contracted with one (batched, for groups) matmul. Only
// existing primitives are used, so every backend runs them, the compiler can fuse them,
// and grad/jvp/vmap work through the existing rules. Transposed convolutions are the
// gradient relation: an input-dilated convolution with the flipped kernel.
import type { MxArray } from '../core/array.ts';
import type { StreamOpt } from '../core/device.ts';
import { resolveDevice } from '../core/device.ts';
import { isFloating, promoteTypes } from '../core/dtype.ts';
import { fmtShape, sizeOf } from '../core/shape.ts';
import { operands, type ArrayInput } from './core.ts';
import { add, astype } from './elementwise.ts';
import { callExtern } from './extern.ts';
import { CONV, type ConvGeom, type ConvParams } from './conv-gemm.ts';
import type { ExternOp } from '../ir/extern.ts';
import { vjp } from '../transforms/api.ts';
import { reshape, transpose, pad, sliceRaw, stack, expandDims } from './shape.ts';
import { matmul } from './matmul.ts';

/** An int for every spatial axis, or one per axis. */
export type IntOrTuple = number | readonly number[];
/** Padding of convGeneral: one int, one per axis, or separate [low, high] lists. */
export type ConvPadding = number | readonly number[] | readonly [readonly number[], readonly number[]];


const isInt = (v: number) => Number.isInteger(v);

/** Expands an int or list to one value per spatial axis. */
function perAxis(op: string, name: string, v: IntOrTuple, d: number): number[] {
  const r = typeof v === 'number' ? new Array<number>(d).fill(v) : [...v];
  if (r.length === 1 && d > 1) return new Array<number>(d).fill(r[0]);
  if (r.length !== d) throw new Error(`[${op}] ${name} has ${r.length} entries (${r.join(', ')}) for a ${d}D convolution.`);
  if (!r.every(isInt)) throw new Error(`[${op}] ${name} must be integers, got (${r.join(', ')}).`);
  return r;
}

/** Checks ranks, dtypes, channels and groups; returns the operands promoted to one dtype. */
function checkOperands(op: string, input: ArrayInput, weight: ArrayInput, d: number | null, groups: number, opts?: StreamOpt): [MxArray, MxArray, number] {
  const [x0, w0] = operands(op, [input, weight], resolveDevice(opts));
  const nd = d ?? x0.ndim - 2;
  const shapes = `input ${fmtShape(x0.shape)} and weight ${fmtShape(w0.shape)}`;
  if (nd < 1) throw new Error(`[${op}] Input must have at least 3 dimensions [N, ...spatial, C_in]; got ${shapes}.`);
  if (x0.ndim !== nd + 2) {
    throw new Error(`[${op}] Invalid input with ${x0.ndim} dimensions for a ${nd}D convolution: expected ${nd + 2} dimensions [N, ...spatial, C_in]; got ${shapes}.`);
  }
  if (w0.ndim !== nd + 2) {
    throw new Error(`[${op}] Invalid weight with ${w0.ndim} dimensions for a ${nd}D convolution: expected ${nd + 2} dimensions [C_out, ...kernel, C_in / groups]; got ${shapes}.`);
  }
  if (!isFloating(x0.dtype)) throw new TypeError(`[${op}] Convolution only supports floating point inputs, got ${x0.dtype.name} (${shapes}).`);
  if (!isInt(groups) || groups < 1) throw new Error(`[${op}] groups must be a positive integer, got ${groups}.`);
  const cin = x0.shape[nd + 1], cout = w0.shape[0];
  if (cin % groups !== 0) throw new Error(`[${op}] The input channels (${cin}) must be divisible by groups (${groups}); got ${shapes}.`);
  if (cout % groups !== 0) throw new Error(`[${op}] The output channels (${cout}) must be divisible by groups (${groups}); got ${shapes}.`);
  if (cin !== groups * w0.shape[nd + 1]) {
    throw new Error(groups === 1
      ? `[${op}] The input channels of input and weight must match; got ${shapes}.`
      : `[${op}] With groups=${groups} the weight expects ${groups * w0.shape[nd + 1]} input channels but the input has ${cin}; got ${shapes}.`);
  }
  const dt = promoteTypes(x0.dtype, w0.dtype);
  return [astype(x0, dt, opts), astype(w0, dt, opts), nd];
}

/**
 * Kernel windows of x [N, ...spatial, C] (already padded): [N, ...out, ...kernel, C],
 * window k of output o starting at o * stride + k * dilation along each axis.
 * @internal Shared with the pooling layers.
 */
export function windows(x: MxArray, kernel: readonly number[], stride: readonly number[], dilation: readonly number[], opts?: StreamOpt): MxArray {
  const d = kernel.length;
  let y = x;
  for (let i = 0; i < d; i++) {
    // layout so far: [N, O1, K1, ..., Oi, Ki, P(i+1), ..., Pd, C]; axis 1 + 2i is next
    const ax = 1 + 2 * i;
    const P = y.shape[ax];
    const O = Math.floor((P - dilation[i] * (kernel[i] - 1) - 1) / stride[i]) + 1;
    const taps: MxArray[] = [];
    for (let k = 0; k < kernel[i]; k++) {
      const start = y.shape.map(() => 0), step = y.shape.map(() => 1), count = [...y.shape];
      start[ax] = k * dilation[i];
      step[ax] = stride[i];
      count[ax] = O;
      taps.push(sliceRaw(y, start, step, count, opts));
    }
    y = taps.length === 1 ? expandDims(taps[0], ax + 1, opts) : stack(taps, ax + 1, opts);
  }
  const perm = [0, ...Array.from({ length: d }, (_, i) => 1 + 2 * i), ...Array.from({ length: d }, (_, i) => 2 + 2 * i), 2 * d + 1];
  return transpose(y, perm, opts);
}

/** Dilates the spatial axes (zeros between elements) and pads/crops them. */
function dilateAndPad(x: MxArray, p: ConvParams, opts?: StreamOpt): MxArray {
  const d = x.ndim - 2;
  let y = x;
  const hi = [...p.hi];
  if (p.inputDilation.some((v) => v > 1)) {
    // [N, S1, 1, S2, 1, ..., C] -> pad each new axis to the dilation -> merge: S*dil,
    // which carries dil-1 trailing zeros that the high padding accounts for
    const inter = [y.shape[0], ...y.shape.slice(1, -1).flatMap((s) => [s, 1]), y.shape[d + 1]];
    const widths = inter.map(() => [0, 0]);
    p.inputDilation.forEach((v, i) => (widths[2 + 2 * i] = [0, v - 1]));
    y = pad(reshape(y, inter, opts), widths, 'constant', 0, opts);
    y = reshape(y, [y.shape[0], ...x.shape.slice(1, -1).map((s, i) => s * p.inputDilation[i]), x.shape[d + 1]], opts);
    p.inputDilation.forEach((v, i) => (hi[i] -= v - 1));
  }
  // negative padding crops (of the dilated input), positive padding pads with zeros
  if (p.lo.some((v) => v < 0) || hi.some((v) => v < 0)) {
    const start = y.shape.map(() => 0), step = y.shape.map(() => 1), count = [...y.shape];
    for (let i = 0; i < d; i++) {
      const a = Math.max(0, -p.lo[i]), b = Math.max(0, -hi[i]);
      start[i + 1] = a;
      count[i + 1] = Math.max(0, y.shape[i + 1] - a - b);
    }
    y = sliceRaw(y, start, step, count, opts);
  }
  const widths = [[0, 0], ...p.lo.map((l, i) => [Math.max(0, l), Math.max(0, hi[i])]), [0, 0]];
  return pad(y, widths, 'constant', 0, opts);
}

function convCore(op: string, x0: MxArray, w0: MxArray, p: ConvParams, opts?: StreamOpt): MxArray {
  const kernel = w0.shape.slice(1, -1);
  for (const [name, v] of [['stride', p.stride], ['kernel dilation', p.kernelDilation], ['input dilation', p.inputDilation]] as const) {
    if (v.some((e) => e < 1)) throw new Error(`[${op}] ${name} must be positive, got (${v.join(', ')}).`);
  }
  const padded = x0.shape.slice(1, -1).map((s, i) => (s - 1) * p.inputDilation[i] + 1 + p.lo[i] + p.hi[i]);
  const outSpatial = padded.map((P, i) => Math.floor((P - p.kernelDilation[i] * (kernel[i] - 1) - 1) / p.stride[i]) + 1);
  if (outSpatial.some((o, i) => o < 1 || padded[i] < p.kernelDilation[i] * (kernel[i] - 1) + 1)) {
    throw new Error(`[${op}] The spatial size of the input after padding and dilation (${padded.join(', ')}) must be at least the dilated kernel size (${kernel.map((k, i) => p.kernelDilation[i] * (k - 1) + 1).join(', ')}); got input ${fmtShape(x0.shape)} and weight ${fmtShape(w0.shape)}.`);
  }
  if (x0.shape[0] === 0 || w0.shape[0] === 0 || sizeOf(x0.shape.slice(1)) === 0) return convComposite(x0, w0, p, opts);
  return callExtern(CONV_OP, [x0, w0], { ...p, outSpatial }, resolveDevice(opts))[0];
}

/** The implicit-GEMM op with its derivative rules (from the composite below). */
const CONV_OP: ExternOp<ConvGeom> = {
  ...CONV,
  vjp: (ins, _outs, g, _i, geom) => vjp((x: MxArray, w: MxArray) => convComposite(x, w, geom), ins, [g])[1],
  jvp: ([x, w], _outs, [tx, tw], _i, geom) => {
    const parts = [tx && callExtern(CONV_OP, [tx, w], geom, x.device)[0], tw && callExtern(CONV_OP, [x, tw], geom, x.device)[0]];
    return parts[0] && parts[1] ? add(parts[0], parts[1]) : parts[0] ?? parts[1];
  },
};

/** Convolution from pads, strided slices (im2col) and one matmul; the gradient path. */
function convComposite(x0: MxArray, w0: MxArray, p: ConvParams, opts?: StreamOpt): MxArray {
  const d = x0.ndim - 2;
  const kernel = w0.shape.slice(1, -1);
  const x = dilateAndPad(x0, p, opts);
  const padded = x.shape.slice(1, -1);
  const outSpatial = padded.map((P, i) => Math.floor((P - p.kernelDilation[i] * (kernel[i] - 1) - 1) / p.stride[i]) + 1);
  // flipping the kernel is a view with negative steps
  const w = p.flip
    ? sliceRaw(w0, w0.shape.map((s, i) => (i >= 1 && i <= d ? s - 1 : 0)), w0.shape.map((_, i) => (i >= 1 && i <= d ? -1 : 1)), [...w0.shape], opts)
    : w0;
  const N = x.shape[0], C = x.shape[d + 1], Cout = w.shape[0], G = p.groups, Cg = C / G;
  const M = N * sizeOf(outSpatial), K = sizeOf(kernel);
  const patches = windows(x, kernel, p.stride, p.kernelDilation, opts); // [N, ...O, ...K, C]
  let y: MxArray;
  if (G === 1) {
    const wm = transpose(reshape(w, [Cout, K * C], opts), [1, 0], opts);
    y = matmul(reshape(patches, [M, K * C], opts), wm, opts);
  } else {
    const pg = reshape(transpose(reshape(patches, [M, K, G, Cg], opts), [2, 0, 1, 3], opts), [G, M, K * Cg], opts);
    const wg = transpose(reshape(w, [G, Cout / G, K * Cg], opts), [0, 2, 1], opts);
    y = transpose(matmul(pg, wg, opts), [1, 0, 2], opts); // [M, G, Cout/G]
  }
  return reshape(y, [N, ...outSpatial, Cout], opts);
}

function normPadding(op: string, padding: ConvPadding, d: number): [number[], number[]] {
  if (Array.isArray(padding) && padding.length === 2 && Array.isArray(padding[0]) && Array.isArray(padding[1])) {
    return [perAxis(op, 'padding (low)', padding[0] as number[], d), perAxis(op, 'padding (high)', padding[1] as number[], d)];
  }
  const p = perAxis(op, 'padding', padding as IntOrTuple, d);
  return [p, [...p]];
}

/**
 * General N-D convolution (MLX's conv_general): input [N, ...spatial, C_in], weight
 * [C_out, ...kernel, C_in / groups], channels last. `padding` is one int, one per axis,
 * or `[low, high]` lists (negative values crop); `kernelDilation` spaces the kernel taps,
 * `inputDilation` inserts zeros between input elements; `flip` convolves with the
 * spatially flipped kernel (true convolution rather than cross-correlation).
 * @example
 * const x = mx.random.normal([1, 8, 8, 3]);
 * const w = mx.random.normal([4, 3, 3, 3]);
 * const y = mx.convGeneral(x, w, [2, 1], [[1, 0], [1, 2]], 1, 1, 1, false); // [1, 4, 8, 4]
 */
export function convGeneral(
  input: ArrayInput, weight: ArrayInput, stride: IntOrTuple = 1, padding: ConvPadding = 0, kernelDilation: IntOrTuple = 1,
  inputDilation: IntOrTuple = 1, groups = 1, flip = false, opts?: StreamOpt,
): MxArray {
  const op = 'convGeneral';
  const [x, w, d] = checkOperands(op, input, weight, null, groups, opts);
  const [lo, hi] = normPadding(op, padding, d);
  return convCore(op, x, w, {
    stride: perAxis(op, 'stride', stride, d), lo, hi, kernelDilation: perAxis(op, 'kernel dilation', kernelDilation, d),
    inputDilation: perAxis(op, 'input dilation', inputDilation, d), groups, flip,
  }, opts);
}

function convNd(op: string, d: number, input: ArrayInput, weight: ArrayInput, stride: IntOrTuple, padding: IntOrTuple, dilation: IntOrTuple, groups: number, opts?: StreamOpt): MxArray {
  const [x, w] = checkOperands(op, input, weight, d, groups, opts);
  const p = perAxis(op, 'padding', padding, d);
  if (p.some((v) => v < 0)) throw new Error(`[${op}] padding must be non-negative, got (${p.join(', ')}).`);
  return convCore(op, x, w, {
    stride: perAxis(op, 'stride', stride, d), lo: p, hi: [...p], kernelDilation: perAxis(op, 'dilation', dilation, d),
    inputDilation: new Array<number>(d).fill(1), groups, flip: false,
  }, opts);
}

/**
 * 1-D convolution (cross-correlation) over [N, L, C_in] with weight [C_out, K, C_in / groups].
 * @example
 * const y = mx.conv1d(mx.ones([2, 10, 4]), mx.ones([8, 3, 4]), 1, 1); // [2, 10, 8]
 */
export function conv1d(input: ArrayInput, weight: ArrayInput, stride = 1, padding = 0, dilation = 1, groups = 1, opts?: StreamOpt): MxArray {
  return convNd('conv1d', 1, input, weight, stride, padding, dilation, groups, opts);
}

/**
 * 2-D convolution over [N, H, W, C_in] with weight [C_out, KH, KW, C_in / groups].
 * stride, padding and dilation are one int or an [h, w] pair.
 * @example
 * const y = mx.conv2d(x, w, 2, [1, 1]); // stride 2, padding 1
 */
export function conv2d(input: ArrayInput, weight: ArrayInput, stride: IntOrTuple = 1, padding: IntOrTuple = 0, dilation: IntOrTuple = 1, groups = 1, opts?: StreamOpt): MxArray {
  return convNd('conv2d', 2, input, weight, stride, padding, dilation, groups, opts);
}

/**
 * 3-D convolution over [N, D, H, W, C_in] with weight [C_out, KD, KH, KW, C_in / groups].
 * @example
 * const y = mx.conv3d(mx.ones([1, 4, 4, 4, 2]), mx.ones([3, 2, 2, 2, 2])); // [1, 3, 3, 3, 3]
 */
export function conv3d(input: ArrayInput, weight: ArrayInput, stride: IntOrTuple = 1, padding: IntOrTuple = 0, dilation: IntOrTuple = 1, groups = 1, opts?: StreamOpt): MxArray {
  return convNd('conv3d', 3, input, weight, stride, padding, dilation, groups, opts);
}

function convTransposeNd(
  op: string, d: number, input: ArrayInput, weight: ArrayInput, stride: IntOrTuple, padding: IntOrTuple, dilation: IntOrTuple,
  outputPadding: IntOrTuple, groups: number, opts?: StreamOpt,
): MxArray {
  const [x, w] = checkOperands(op, input, weight, d, groups, opts);
  const s = perAxis(op, 'stride', stride, d), p = perAxis(op, 'padding', padding, d);
  const dil = perAxis(op, 'dilation', dilation, d), op_ = perAxis(op, 'output padding', outputPadding, d);
  if (s.some((v) => v < 1)) throw new Error(`[${op}] stride must be positive, got (${s.join(', ')}).`);
  if (p.some((v) => v < 0)) throw new Error(`[${op}] padding must be non-negative, got (${p.join(', ')}).`);
  if (op_.some((v) => v < 0)) throw new Error(`[${op}] output padding must be non-negative, got (${op_.join(', ')}).`);
  const kernel = w.shape.slice(1, -1);
  // the gradient of a strided convolution: dilate the input by the stride, pad by the
  // dilated kernel size minus the padding (plus outputPadding at the end), flip the kernel
  const lo = kernel.map((k, i) => dil[i] * (k - 1) - p[i]);
  const hi = lo.map((l, i) => l + op_[i]);
  return convCore(op, x, w, { stride: new Array<number>(d).fill(1), lo, hi, kernelDilation: dil, inputDilation: s, groups, flip: true }, opts);
}

/**
 * 1-D transposed convolution: input [N, L, C_in], weight [C_out, K, C_in / groups] (the same
 * layout as conv1d); the output length is (L - 1) * stride - 2 * padding +
 * dilation * (K - 1) + 1 + outputPadding.
 * @example
 * const y = mx.convTranspose1d(mx.ones([1, 5, 2]), mx.ones([3, 3, 2]), 2); // [1, 11, 3]
 */
export function convTranspose1d(input: ArrayInput, weight: ArrayInput, stride = 1, padding = 0, dilation = 1, outputPadding = 0, groups = 1, opts?: StreamOpt): MxArray {
  return convTransposeNd('convTranspose1d', 1, input, weight, stride, padding, dilation, outputPadding, groups, opts);
}

/**
 * 2-D transposed convolution: input [N, H, W, C_in], weight [C_out, KH, KW, C_in / groups].
 * @example
 * const up = mx.convTranspose2d(x, w, 2, 1, 1, 1); // doubles H and W for a 3x3 kernel
 */
export function convTranspose2d(
  input: ArrayInput, weight: ArrayInput, stride: IntOrTuple = 1, padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
  outputPadding: IntOrTuple = 0, groups = 1, opts?: StreamOpt,
): MxArray {
  return convTransposeNd('convTranspose2d', 2, input, weight, stride, padding, dilation, outputPadding, groups, opts);
}

/**
 * 3-D transposed convolution: input [N, D, H, W, C_in], weight [C_out, KD, KH, KW, C_in / groups].
 * @example
 * const y = mx.convTranspose3d(mx.ones([1, 2, 2, 2, 1]), mx.ones([1, 2, 2, 2, 1]), 2); // [1, 4, 4, 4, 1]
 */
export function convTranspose3d(
  input: ArrayInput, weight: ArrayInput, stride: IntOrTuple = 1, padding: IntOrTuple = 0, dilation: IntOrTuple = 1,
  outputPadding: IntOrTuple = 0, groups = 1, opts?: StreamOpt,
): MxArray {
  return convTransposeNd('convTranspose3d', 3, input, weight, stride, padding, dilation, outputPadding, groups, opts);
}
