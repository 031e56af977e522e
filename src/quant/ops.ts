// quantize, dequantize, quantizedMatmul and gatherQmm as extern ops (CPU reference and
// WebGPU kernels), with MLX's argument checks and defaults; layouts in layout.ts.
import type { MxArray } from '../core/array.ts';
import { type StreamOpt, resolveDevice } from '../core/device.ts';
import { bfloat16, isFloating, promoteTypes, toDtype, uint32, uint8, type Dtype, type DtypeLike } from '../core/dtype.ts';
import { broadcastShapes, fmtShape } from '../core/shape.ts';
import type { ExternOp, Spec } from '../ir/extern.ts';
import { callExtern } from '../ops/extern.ts';
import { astype, broadcastTo } from '../ops/elementwise.ts';
import { reshape } from '../ops/shape.ts';
import { arange, full } from '../ops/creation.ts';
import { at } from '../ops/indexing.ts';
import { dequantizeCpu, packedDims, qmmCpu, qmmWeightInputs, quantizeCpu, type QmmAttrs } from './cpu.ts';
import { dequantizeGpu, qmmGpu, quantizeGpu } from './gpu.ts';
import { checkPacked, quantParams, type QuantMode, type QuantParams } from './layout.ts';

const last = (s: readonly number[]): number => s[s.length - 1];
const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function checkFloatW(op: string, w: { shape: readonly number[]; dtype: Dtype }, q: QuantParams): void {
  if (!isFloating(w.dtype)) throw new TypeError(`[${op}] Only real floating types can be quantized but w has type ${w.dtype.name} (shape ${fmtShape(w.shape)}).`);
  if (w.shape.length < 2) throw new Error(`[${op}] The matrix to be quantized must have at least 2 dimensions but it has shape ${fmtShape(w.shape)}.`);
  if (last(w.shape) % q.groupSize !== 0) {
    throw new Error(`[${op}] The last dimension of the matrix needs to be divisible by the quantization group size ${q.groupSize}. However the provided matrix has shape ${fmtShape(w.shape)}.`);
  }
}

const QUANTIZE: ExternOp<QuantParams> = {
  name: 'quantize',
  outputs([w], q) {
    checkFloatW('quantize', w, q);
    const K = last(w.shape);
    const words = [...w.shape.slice(0, -1), (K * q.bits) / 32], groups = [...w.shape.slice(0, -1), K / q.groupSize];
    const specs: Spec[] = [{ shape: words, dtype: uint32 }, { shape: groups, dtype: q.mode === 'affine' ? w.dtype : uint8 }];
    if (q.mode === 'affine') specs.push({ shape: groups, dtype: w.dtype });
    return specs;
  },
  cpu: ([w], q) => quantizeCpu(w, q),
  gpu: (cx, [w], outs, q) => quantizeGpu(cx, w, outs, q),
};

interface DequantAttrs {
  q: QuantParams;
  dtype: Dtype;
}

const DEQUANTIZE: ExternOp<DequantAttrs> = {
  name: 'dequantize',
  outputs([w], a) {
    return [{ shape: [...w.shape.slice(0, -1), (last(w.shape) * 32) / a.q.bits], dtype: a.dtype }];
  },
  cpu: (ins, a) => [dequantizeCpu(ins, a.q)],
  gpu: (cx, ins, outs, a) => [dequantizeGpu(cx, ins, outs[0], a.q)],
};

/** Output columns of the packed weight [B, rows, words] or [rows, words]. */
const outCols = (w: { shape: readonly number[] }, a: QmmAttrs): number => {
  const { rows, words } = packedDims(w.shape);
  return a.transpose ? rows : (words * 32) / a.q.bits;
};

const QMM: ExternOp<QmmAttrs> = {
  name: 'quantizedMatmul',
  outputs(ins, a) {
    const [x, w] = ins;
    const P = a.gather ? ins[qmmWeightInputs(a)].shape[0] : x.shape[0];
    return [{ shape: [P, x.shape[1], outCols(w, a)], dtype: x.dtype }];
  },
  cpu: (ins, a, outs) => [qmmCpu(ins, a, outs[0].shape)],
  rowwise: (a) => !a.gather,
  productOfInput0: true,
  epilogue: true,
  gpu: (cx, ins, outs, a, e) => [qmmGpu(cx, ins, outs[0], a, e)],
  vjp(ins, _outs, g, _index, a) {
    const nw = qmmWeightInputs(a);
    const x = ins[0], weights = ins.slice(1, nw);
    const flipped = { ...a, transpose: !a.transpose };
    const none = ins.slice(1).map(() => null);
    if (!a.gather) return [callExtern(QMM, [g, ...weights], flipped, x.device)[0], ...none];
    // each batch's x gradient lands on the x it read (indices may repeat)
    const [lhs, rhs] = ins.slice(nw);
    const P = lhs.shape[0];
    const own = arange(0, P, 1, uint32, { stream: x.device });
    const parts = callExtern(QMM, [g, ...weights, own, rhs], flipped, x.device)[0];
    const dx = at(full([...x.shape], 0, x.dtype, { stream: x.device }), [lhs]).add(parts);
    return [dx, ...none];
  },
  jvp(ins, _outs, tangents, _index, a) {
    const t = tangents[0];
    return t ? callExtern(QMM, [t, ...ins.slice(1)], a, ins[0].device)[0] : null;
  },
};

/** Options of dequantize: the output dtype (MLX's default: scales' dtype, bfloat16 for mxfp4). */
export interface DequantizeOptions extends StreamOpt {
  dtype?: DtypeLike;
}

/**
 * Quantizes the rows of w in groups along its last axis, as MLX does: affine returns
 * [wq (uint32), scales, biases] in w's dtype; mxfp4 returns [wq, scales (uint8 e8m0)].
 * @example
 * const [wq, scales, biases] = mx.quantize(mx.random.normal([256, 512]), 64, 4);
 */
export function quantize(w: MxArray, groupSize?: number | null, bits?: number | null, mode: QuantMode = 'affine', opts?: StreamOpt): MxArray[] {
  const q = quantParams('quantize', groupSize, bits, mode);
  return callExtern(QUANTIZE, [w], q, resolveDevice(opts));
}

/**
 * The float matrix of a quantized one: scales * q + biases (affine), or the e2m1 value
 * times 2^(s - 127) (mxfp4).
 * @example
 * const w2 = mx.dequantize(wq, scales, biases, 64, 4); // close to w
 */
export function dequantize(wq: MxArray, scales: MxArray, biases?: MxArray | null, groupSize?: number | null, bits?: number | null, mode: QuantMode = 'affine', opts: DequantizeOptions = {}): MxArray {
  const q = quantParams('dequantize', groupSize, bits, mode);
  checkPacked('dequantize', wq, scales, biases ?? null, q);
  const dtype = opts.dtype !== undefined ? toDtype(opts.dtype) : q.mode === 'affine' ? scales.dtype : bfloat16;
  if (!isFloating(dtype)) throw new TypeError(`[dequantize] Only real floating types are supported but output dtype == ${dtype.name}.`);
  return callExtern(DEQUANTIZE, biases ? [wq, scales, biases] : [wq, scales], { q, dtype }, resolveDevice(opts))[0];
}

interface Prepared {
  T: Dtype;
  q: QuantParams;
  N: number;
  weights: MxArray[];
}

/** Checks x against the packed weight; returns the output dtype and the weight [Bw, rows, words]. */
function prepare(op: string, x: MxArray, wq: MxArray, scales: MxArray, biases: MxArray | null | undefined, transpose: boolean, groupSize: number | null | undefined, bits: number | null | undefined, mode: QuantMode): Prepared & { inner: number; wBatch: number[] } {
  const q = quantParams(op, groupSize, bits, mode);
  const cols = checkPacked(op, wq, scales, biases ?? null, q);
  const inner = transpose ? cols : wq.shape[wq.ndim - 2];
  const N = transpose ? wq.shape[wq.ndim - 2] : cols;
  if (x.ndim < 1 || last(x.shape) !== inner) {
    throw new Error(`[${op}] Last dimension of first input with shape ${fmtShape(x.shape)} does not match the expanded quantized matrix (${inner}, ${N}) computed from shape ${fmtShape(wq.shape)} with group_size=${q.groupSize}, bits=${q.bits} and transpose=${transpose}.`);
  }
  const T = q.mode === 'affine' ? promoteTypes(x.dtype, scales.dtype) : x.dtype;
  if (!isFloating(T)) throw new TypeError(`[${op}] Only real floating types are supported but x.dtype() == ${x.dtype.name}.`);
  const weights = biases && q.mode === 'affine' ? [wq, scales, biases] : [wq, scales];
  return { T, q, N, inner, weights, wBatch: wq.shape.slice(0, -2) };
}

/** The weights as [B, rows, last] (B = 1 when they have no batch, else broadcast to batch); one matrix as it is. */
function flatWeights(ws: MxArray[], batch: number[], dev: StreamOpt): MxArray[] {
  return ws.map((w) => {
    const tail = w.shape.slice(-2);
    // one matrix goes in as it is: no view node per call (a decode step makes hundreds)
    if (w.ndim === 2) return w;
    if (prod(w.shape.slice(0, -2)) === 1) return reshape(w, [1, ...tail], dev);
    return reshape(broadcastTo(w, [...batch, ...tail], dev), [prod(batch), ...tail], dev);
  });
}

/**
 * x @ W^T (transpose, the default) or x @ W for a quantized W, dequantized on the fly;
 * batch dims of x and W broadcast. Differentiable w.r.t. x (the weights are constants).
 * @example
 * const y = mx.quantizedMatmul(x, wq, scales, biases, true, 64, 4); // x [.., K], W [N, K]
 */
export function quantizedMatmul(x: MxArray, wq: MxArray, scales: MxArray, biases?: MxArray | null, transpose = true, groupSize?: number | null, bits?: number | null, mode: QuantMode = 'affine', opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const p = prepare('quantizedMatmul', x, wq, scales, biases, transpose, groupSize, bits, mode);
  const vec = x.ndim === 1;
  const x2 = vec ? reshape(x, [1, x.shape[0]], opts) : x;
  const [M, K] = x2.shape.slice(-2);
  const batch = broadcastShapes('quantizedMatmul', x2.shape.slice(0, -2), p.wBatch);
  const X = reshape(broadcastTo(astype(x2, p.T, opts), [...batch, M, K], opts), [prod(batch), M, K], opts);
  const attrs: QmmAttrs = { q: p.q, transpose, gather: false };
  const y = callExtern(QMM, [X, ...flatWeights(p.weights, batch, { stream: dev })], attrs, dev)[0];
  return reshape(y, vec ? [...batch, p.N] : [...batch, M, p.N], opts);
}

/**
 * quantizedMatmul with per-batch selection (mixture of experts): batch i of the result is
 * x[lhsIndices[i]] @ W[rhsIndices[i]], indices into the flattened batch dims of x and W
 * (each defaults to all of them); the index shapes broadcast.
 * @example
 * const y = mx.gatherQmm(x, wq, scales, biases, null, expertIds, true, 64, 4);
 */
export function gatherQmm(x: MxArray, wq: MxArray, scales: MxArray, biases?: MxArray | null, lhsIndices?: MxArray | null, rhsIndices?: MxArray | null, transpose = true, groupSize?: number | null, bits?: number | null, mode: QuantMode = 'affine', opts?: StreamOpt): MxArray {
  if (!lhsIndices && !rhsIndices) return quantizedMatmul(x, wq, scales, biases, transpose, groupSize, bits, mode, opts);
  const dev = resolveDevice(opts);
  const p = prepare('gatherQmm', x, wq, scales, biases, transpose, groupSize, bits, mode);
  if (x.ndim < 2) throw new Error(`[gatherQmm] x must have at least 2 dimensions but has shape ${fmtShape(x.shape)}.`);
  const [M, K] = x.shape.slice(-2);
  const xBatch = x.shape.slice(0, -2);
  const idx = (ix: MxArray | null | undefined, shape: number[]): MxArray => {
    if (!ix) return reshape(arange(0, prod(shape), 1, uint32, opts), shape, opts);
    if (ix.dtype.kind !== 'i' && ix.dtype.kind !== 'u') throw new TypeError(`[gatherQmm] Indices must be integers but got ${ix.dtype.name} with shape ${fmtShape(ix.shape)}.`);
    return ix;
  };
  const lhs0 = idx(lhsIndices, xBatch), rhs0 = idx(rhsIndices, p.wBatch);
  const ishape = broadcastShapes('gatherQmm', lhs0.shape, rhs0.shape);
  const flat = (ix: MxArray) => reshape(broadcastTo(astype(ix, uint32, opts), ishape, opts), [prod(ishape)], opts);
  const X = reshape(astype(x, p.T, opts), [prod(xBatch), M, K], opts);
  const W = p.weights.map((w) => reshape(w, [prod(w.shape.slice(0, -2)), ...w.shape.slice(-2)], opts));
  const attrs: QmmAttrs = { q: p.q, transpose, gather: true };
  const y = callExtern(QMM, [X, ...W, flat(lhs0), flat(rhs0)], attrs, dev)[0];
  return reshape(y, [...ishape, M, p.N], opts);
}
