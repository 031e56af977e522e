// MLX's quantized weight layouts, shared by the CPU reference and the WebGPU kernels.
//
// affine (bits 2, 3, 4, 5, 6, 8; group sizes 32, 64, 128): a float matrix w [..., K]
// becomes wq uint32 [..., K * bits / 32], scales and biases [..., K / groupSize] in w's
// dtype, with w[k] ~ scales[g] * q[k] + biases[g], g = floor(k / groupSize). Each row of
// wq is one little-endian bit stream: q[k] occupies stream bits [k * bits, k * bits + bits),
// i.e. word floor(k * bits / 32) from bit (k * bits) % 32, lowest bits first; for 3, 5 and
// 6 bits a value may straddle two words (its low bits end one word, its high bits start
// the next), which is how MLX's byte-wise packs (8 x 3 bits in 3 bytes, 8 x 5 bits in
// 5 bytes, 4 x 6 bits in 3 bytes) lie in memory. A group always fills whole words.
// Per group, in float32 (MLX's CPU kernel): scale = max((max - min) / (2^bits - 1), 1e-7),
// negated unless |min| > |max|; edge = min or max accordingly; q0 = rint(edge / scale);
// if q0 != 0 then scale = edge / q0 and bias = edge, else bias = 0; then
// q = clip(rint((w - bias) / scale), 0, 2^bits - 1). rint rounds half to even.
//
// mxfp4 (group size 32, bits 4): wq as affine 4-bit (nibble k at bits 4 * (k % 8) of word
// k / 8) holding e2m1 codes (bit 3 sign, bits 0-2 index [0, .5, 1, 1.5, 2, 3, 4, 6]), and
// scales uint8 e8m0 (2^(s - 127)), no biases. Quantizing follows MLX's Metal kernel:
// s = round(log2(max|w| / 6)) + 127 (0 when the group is all zero), and each w / 2^(s-127)
// rounds to the nearest e2m1 value, ties to even.
import type { Dtype } from '../core/dtype.ts';
import { fmtShape, type Shape } from '../core/shape.ts';

export type QuantMode = 'affine' | 'mxfp4';

/** The attributes of a quantized weight. */
export interface QuantParams {
  mode: QuantMode;
  groupSize: number;
  bits: number;
}

const DEFAULTS: Record<QuantMode, [number, number]> = { affine: [64, 4], mxfp4: [32, 4] };

/** Mode, group size and bits with MLX's per-mode defaults, validated. */
export function quantParams(op: string, groupSize: number | undefined | null, bits: number | undefined | null, mode: string): QuantParams {
  if (mode !== 'affine' && mode !== 'mxfp4') {
    throw new Error(`[${op}] Invalid quantization mode '${mode}'. Supported modes are: affine, mxfp4.`);
  }
  const [dg, db] = DEFAULTS[mode];
  const gs = groupSize ?? dg, b = bits ?? db;
  if (mode === 'mxfp4') {
    if (gs !== 32) throw new Error(`[${op}] mxfp4 quantization requires group size 32 but got ${gs}.`);
    if (b !== 4) throw new Error(`[${op}] mxfp4 quantization requires bits to be 4 but got ${b}.`);
  } else {
    if (gs !== 32 && gs !== 64 && gs !== 128) {
      throw new Error(`[${op}] The requested group size ${gs} is not supported. The supported group sizes are 32, 64, and 128.`);
    }
    if (![2, 3, 4, 5, 6, 8].includes(b)) {
      throw new Error(`[${op}] The requested number of bits ${b} is not supported. The supported bits are 2, 3, 4, 5, 6 and 8.`);
    }
  }
  return { mode, groupSize: gs, bits: b };
}

/** Checks a packed matrix against its scales (and biases); returns the unpacked last dim. */
export function checkPacked(op: string, w: { shape: Shape; dtype: Dtype }, scales: { shape: Shape; dtype: Dtype }, biases: { shape: Shape; dtype: Dtype } | null, q: QuantParams): number {
  if (w.dtype.name !== 'uint32') throw new TypeError(`[${op}] The weight matrix should be uint32 but received ${w.dtype.name} with shape ${fmtShape(w.shape)}.`);
  if (w.shape.length < 2) throw new Error(`[${op}] The quantized matrix must have at least 2 dimensions but has shape ${fmtShape(w.shape)}.`);
  if (q.mode === 'affine') {
    if (!biases) throw new Error(`[${op}] Biases must be provided for affine quantization.`);
    if (scales.dtype.kind !== 'f' && scales.dtype.kind !== 'V') throw new TypeError(`[${op}] Only real floating types are supported but scales.dtype() == ${scales.dtype.name}.`);
    if (biases.dtype !== scales.dtype) throw new TypeError(`[${op}] Scales (${scales.dtype.name}) and biases (${biases.dtype.name}) must have the same dtype.`);
    if (fmtShape(biases.shape) !== fmtShape(scales.shape)) {
      throw new Error(`[${op}] Scales and biases should have the same shape. Received scales with shape ${fmtShape(scales.shape)} and biases with ${fmtShape(biases.shape)}.`);
    }
  } else {
    if (biases) throw new Error(`[${op}] Biases must be null for quantization mode '${q.mode}'.`);
    if (scales.dtype.name !== 'uint8') throw new TypeError(`[${op}] Scale type must be uint8 but received type ${scales.dtype.name}.`);
  }
  const ws = w.shape, ss = scales.shape;
  const cols = (ws[ws.length - 1] * 32) / q.bits;
  const same = ws.length === ss.length && ws.slice(0, -1).every((d, i) => d === ss[i]);
  if (!same || cols !== ss[ss.length - 1] * q.groupSize) {
    throw new Error(`[${op}] The shapes of the weight and scales are incompatible based on bits and group_size. w.shape() == ${fmtShape(ws)} and scales.shape() == ${fmtShape(ss)} with group_size=${q.groupSize} and bits=${q.bits}.`);
  }
  return cols;
}

// ---------------------------------------------------------------- CPU bit work

/** Code k of a packed row starting at word `base` of `w` (values are uint32 as numbers). */
export function codeAt(w: ArrayLike<number>, base: number, k: number, bits: number): number {
  const bit = k * bits, j = base + (bit >>> 5), sh = bit & 31;
  let v = w[j] >>> sh;
  if (sh + bits > 32) v |= w[j + 1] << (32 - sh);
  return (v & ((1 << bits) - 1)) >>> 0;
}

/** Writes code q at position k of a packed row starting at word `base` (words start at 0). */
export function putCode(w: Float64Array, base: number, k: number, bits: number, q: number): void {
  const bit = k * bits, j = base + (bit >>> 5), sh = bit & 31;
  w[j] = (w[j] | (q << sh)) >>> 0;
  if (sh + bits > 32) w[j + 1] = (w[j + 1] | (q >>> (32 - sh))) >>> 0;
}

/** The e2m1 value of a 4-bit code. */
export function fp4Value(c: number): number {
  const e = (c >> 1) & 3, m = c & 1;
  const mag = e === 0 ? 0.5 * m : 2 ** (e - 1) * (1 + 0.5 * m);
  return c & 8 ? -mag : mag;
}

/** The e2m1 code nearest to x (ties to even), as MLX's fp4_e2m1 conversion. */
export function fp4Code(x: number): number {
  if (Number.isNaN(x)) return 7;
  const sign = x < 0 || Object.is(x, -0) ? 8 : 0;
  const a = Math.abs(x);
  const c = a > 5 ? 7 : a >= 3.5 ? 6 : a > 2.5 ? 5 : a >= 1.75 ? 4 : a > 1.25 ? 3 : a >= 0.75 ? 2 : a > 0.25 ? 1 : 0;
  return c | sign;
}

/** The e8m0 scale 2^(s - 127) (s = 0 gives 2^-127 as MLX decodes it; 255 gives inf). */
export const e8m0Value = (s: number): number => (s === 255 ? Infinity : 2 ** (s - 127));

/** The e8m0 byte of a float32 scale d >= 0: round(log2(d)) + 127, clamped; 0 for d = 0. */
export function e8m0Code(d: number): number {
  if (!Number.isFinite(d)) return 255;
  if (d <= 0) return 0;
  const l = Math.log2(d);
  const n = Math.max(-127, Math.min(127, Math.sign(l) * Math.round(Math.abs(l))));
  return n + 127;
}

const f = Math.fround;
const EPS = f(1e-7);

/** Round half to even (rint). */
export function rint(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Affine scale and bias of one group of float32 values, in float32 as MLX computes them. */
export function affineGroup(vals: ArrayLike<number>, start: number, n: number, bits: number): [number, number] {
  const bins = (1 << bits) - 1;
  let hi = -Infinity, lo = Infinity;
  for (let j = 0; j < n; j++) {
    const v = vals[start + j];
    if (v > hi) hi = v;
    if (v < lo) lo = v;
  }
  const side = Math.abs(lo) > Math.abs(hi);
  let scale = Math.max(f(f(hi - lo) / bins), EPS);
  if (!side) scale = -scale;
  const edge = side ? lo : hi;
  const q0 = rint(f(edge / scale));
  if (q0 === 0) return [scale, 0];
  return [f(edge / q0), edge];
}

/** The affine code of float32 value v. */
export function affineCode(v: number, scale: number, bias: number, bits: number): number {
  const q = rint(f(f(v - bias) / scale));
  return Math.min(Math.max(q, 0), (1 << bits) - 1);
}
