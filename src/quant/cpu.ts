// CPU reference kernels of the quantized ops (values as Float64Array, uint32 words as
// numbers); see layout.ts for the packing they read and write.
import type { HostArray } from '../ir/extern.ts';
import {
  affineCode, affineGroup, codeAt, e8m0Code, e8m0Value, fp4Code, fp4Value, putCode, type QuantParams,
} from './layout.ts';

const last = (s: readonly number[]): number => s[s.length - 1];

/** quantize: [wq, scales, biases] (affine) or [wq, scales] (mxfp4) of w rows. */
export function quantizeCpu(w: HostArray, q: QuantParams): Float64Array[] {
  const K = last(w.shape), rows = K ? w.data.length / K : 0;
  const G = K / q.groupSize, W = (K * q.bits) / 32;
  const wq = new Float64Array(rows * W), scales = new Float64Array(rows * G), biases = new Float64Array(rows * G);
  const vals = Float32Array.from(w.data);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < G; g++) {
      const start = r * K + g * q.groupSize;
      if (q.mode === 'affine') {
        const [scale, bias] = affineGroup(vals, start, q.groupSize, q.bits);
        scales[r * G + g] = scale;
        biases[r * G + g] = bias;
        for (let j = 0; j < q.groupSize; j++) putCode(wq, r * W, g * q.groupSize + j, q.bits, affineCode(vals[start + j], scale, bias, q.bits));
      } else {
        let amax = 0;
        for (let j = 0; j < q.groupSize; j++) amax = Math.max(amax, Math.abs(vals[start + j]));
        const s = e8m0Code(Math.fround(amax / 6));
        scales[r * G + g] = s;
        const inv = 1 / e8m0Value(s);
        for (let j = 0; j < q.groupSize; j++) putCode(wq, r * W, g * q.groupSize + j, 4, fp4Code(vals[start + j] * inv));
      }
    }
  }
  return q.mode === 'affine' ? [wq, scales, biases] : [wq, scales];
}

/** Row r of a packed matrix, dequantized into `out` at `at` (cols values). */
function dequantRow(wq: ArrayLike<number>, scales: ArrayLike<number>, biases: ArrayLike<number> | null, r: number, cols: number, q: QuantParams, out: Float64Array, at: number): void {
  const W = (cols * q.bits) / 32, G = cols / q.groupSize;
  for (let k = 0; k < cols; k++) {
    const c = codeAt(wq, r * W, k, q.bits), g = r * G + Math.floor(k / q.groupSize);
    out[at + k] = biases ? scales[g] * c + biases[g] : fp4Value(c) * e8m0Value(scales[g]);
  }
}

/** dequantize: the float matrix of wq. */
export function dequantizeCpu(ins: HostArray[], q: QuantParams): Float64Array {
  const [wq, scales, biases] = ins;
  const cols = (last(wq.shape) * 32) / q.bits, rows = last(wq.shape) ? wq.data.length / last(wq.shape) : 0;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) dequantRow(wq.data, scales.data, biases?.data ?? null, r, cols, q, out, r * cols);
  return out;
}

/** Attributes of the quantized matmul kernel. */
export interface QmmAttrs {
  q: QuantParams;
  transpose: boolean;
  /** Inputs end with lhs and rhs batch indices (gatherQmm). */
  gather: boolean;
}

/** Number of inputs before the indices: x, wq, scales (and biases). */
export const qmmWeightInputs = (a: QmmAttrs): number => (a.q.mode === 'affine' ? 4 : 3);

/**
 * Batches, rows and words of a quantizedMatmul's packed weight: [Bw, rows, words], or one
 * matrix [rows, words] (a model's weight as stored, so a decode step has no view of it).
 */
export function packedDims(shape: readonly number[]): { batches: number; rows: number; words: number } {
  const n = shape.length;
  return { batches: n === 2 ? 1 : shape[0], rows: shape[n - 2], words: shape[n - 1] };
}

/**
 * quantizedMatmul / gatherQmm on x [Bx, M, K] and w [Bw, rows, words] (or [rows, words]): out [P, M, N] with
 * batch p reading x[lhs[p]] and w[rhs[p]] (without indices: x[p] and w[Bw == 1 ? 0 : p]).
 */
export function qmmCpu(ins: HostArray[], a: QmmAttrs, outShape: readonly number[]): Float64Array {
  const [x, wq, scales] = ins;
  const nw = qmmWeightInputs(a);
  const biases = a.q.mode === 'affine' ? ins[3] : null;
  const [P, M, N] = outShape;
  const K = last(x.shape), { batches: Bw, rows, words } = packedDims(wq.shape);
  const cols = (words * 32) / a.q.bits;
  const wWords = rows * words, sPer = rows * (cols / a.q.groupSize);
  const dense = new Map<number, Float64Array>();
  const matrix = (wb: number): Float64Array => {
    let m = dense.get(wb);
    if (!m) {
      m = new Float64Array(rows * cols);
      const wv = wq.data.subarray(wb * wWords, (wb + 1) * wWords);
      const sv = scales.data.subarray(wb * sPer, (wb + 1) * sPer);
      const bv = biases ? biases.data.subarray(wb * sPer, (wb + 1) * sPer) : null;
      for (let r = 0; r < rows; r++) dequantRow(wv, sv, bv, r, cols, a.q, m, r * cols);
      dense.set(wb, m);
    }
    return m;
  };
  const out = new Float64Array(P * M * N);
  for (let p = 0; p < P; p++) {
    const xb = a.gather ? ins[nw].data[p] : p;
    const wb = a.gather ? ins[nw + 1].data[p] : Bw === 1 ? 0 : p;
    if (xb < 0 || xb >= x.shape[0] || wb < 0 || wb >= Bw) throw new Error(`[gatherQmm] Index out of range: lhs ${xb} (of ${x.shape[0]}), rhs ${wb} (of ${Bw}).`);
    const W = matrix(wb);
    for (let m = 0; m < M; m++) {
      const xo = (xb * M + m) * K;
      for (let n = 0; n < N; n++) {
        let s = 0;
        // transpose: W is [N, K]; else [K, N]
        if (a.transpose) for (let k = 0; k < K; k++) s += x.data[xo + k] * W[n * K + k];
        else for (let k = 0; k < K; k++) s += x.data[xo + k] * W[k * N + n];
        out[(p * M + m) * N + n] = s;
      }
    }
  }
  return out;
}
