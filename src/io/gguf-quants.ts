// ggml's tensor types as stored in GGUF files: block sizes, dequantization of the block
// formats to float32 (ggml's reference formulas), and the repacking of Q4_0/Q4_1/Q4_K/Q8_0
// blocks into MLX's affine layout that MLX's own GGUF loader performs.
import { f16BitsToF32, f32ToF16Bits } from '../core/numeric.ts';

/** One ggml tensor type: its id in the file, name, elements per block and bytes per block. */
export interface GgmlType {
  id: number;
  name: string;
  block: number;
  bytes: number;
  /** Whether webmlx can read it. */
  readable: boolean;
}

const T = (id: number, name: string, block: number, bytes: number, readable = true): GgmlType => ({ id, name, block, bytes, readable });

/** ggml's tensor types by id (ggml.h); the IQ and ternary types are known by name only. */
export const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map([
  T(0, 'F32', 1, 4), T(1, 'F16', 1, 2), T(2, 'Q4_0', 32, 18), T(3, 'Q4_1', 32, 20), T(6, 'Q5_0', 32, 22),
  T(7, 'Q5_1', 32, 24), T(8, 'Q8_0', 32, 34), T(9, 'Q8_1', 32, 36), T(10, 'Q2_K', 256, 84), T(11, 'Q3_K', 256, 110),
  T(12, 'Q4_K', 256, 144), T(13, 'Q5_K', 256, 176), T(14, 'Q6_K', 256, 210), T(15, 'Q8_K', 256, 292),
  T(16, 'IQ2_XXS', 256, 66, false), T(17, 'IQ2_XS', 256, 74, false), T(18, 'IQ3_XXS', 256, 98, false),
  T(19, 'IQ1_S', 256, 50, false), T(20, 'IQ4_NL', 32, 18, false), T(21, 'IQ3_S', 256, 110, false),
  T(22, 'IQ2_S', 256, 82, false), T(23, 'IQ4_XS', 256, 136, false), T(24, 'I8', 1, 1), T(25, 'I16', 1, 2),
  T(26, 'I32', 1, 4), T(27, 'I64', 1, 8), T(28, 'F64', 1, 8), T(29, 'IQ1_M', 256, 56, false), T(30, 'BF16', 1, 2),
  T(34, 'TQ1_0', 256, 54, false), T(35, 'TQ2_0', 256, 66, false), T(39, 'MXFP4', 32, 17),
].map((t) => [t.id, t]));

/** The ggml type with this name ('Q4_0', 'F16', ...). */
export const ggmlTypeByName = (name: string): GgmlType | undefined => [...GGML_TYPES.values()].find((t) => t.name === name);

let halfTable: Float32Array | null = null;
function halves(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = f16BitsToF32(h);
  }
  return halfTable;
}

const FP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

// 6-bit scale and min j of a Q4_K/Q5_K super-block (the 12 packed bytes at `o`).
function scaleMin(b: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [b[o + j] & 63, b[o + j + 4] & 63];
  return [(b[o + j + 4] & 0xf) | ((b[o + j - 4] >> 6) << 4), (b[o + j + 4] >> 4) | ((b[o + j] >> 6) << 4)];
}

// Every product below is exact in float64 (small integers times float16 values), so one
// rounding when stored matches ggml's float32 arithmetic bit for bit.
type Block = (b: Uint8Array, o: number, y: Float32Array, p: number, h: Float32Array) => void;

const BLOCKS: Record<string, Block> = {
  Q4_0(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = b[o + 2 + j];
      y[p + j] = ((q & 15) - 8) * d;
      y[p + j + 16] = ((q >> 4) - 8) * d;
    }
  },
  Q4_1(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)], m = h[b[o + 2] | (b[o + 3] << 8)];
    for (let j = 0; j < 16; j++) {
      const q = b[o + 4 + j];
      y[p + j] = (q & 15) * d + m;
      y[p + j + 16] = (q >> 4) * d + m;
    }
  },
  Q5_0(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)];
    const qh = (b[o + 2] | (b[o + 3] << 8) | (b[o + 4] << 16) | (b[o + 5] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = b[o + 6 + j];
      y[p + j] = (((q & 15) | (((qh >>> j) << 4) & 16)) - 16) * d;
      y[p + j + 16] = (((q >> 4) | ((qh >>> (j + 12)) & 16)) - 16) * d;
    }
  },
  Q5_1(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)], m = h[b[o + 2] | (b[o + 3] << 8)];
    const qh = (b[o + 4] | (b[o + 5] << 8) | (b[o + 6] << 16) | (b[o + 7] << 24)) >>> 0;
    for (let j = 0; j < 16; j++) {
      const q = b[o + 8 + j];
      y[p + j] = ((q & 15) | (((qh >>> j) << 4) & 16)) * d + m;
      y[p + j + 16] = ((q >> 4) | ((qh >>> (j + 12)) & 16)) * d + m;
    }
  },
  Q8_0(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)];
    for (let j = 0; j < 32; j++) y[p + j] = ((b[o + 2 + j] << 24) >> 24) * d;
  },
  Q8_1(b, o, y, p, h) {
    const d = h[b[o] | (b[o + 1] << 8)];
    for (let j = 0; j < 32; j++) y[p + j] = ((b[o + 4 + j] << 24) >> 24) * d;
  },
  MXFP4(b, o, y, p) {
    const d = 2 ** (b[o] - 128);
    for (let j = 0; j < 16; j++) {
      const q = b[o + 1 + j];
      y[p + j] = FP4[q & 15] * d;
      y[p + j + 16] = FP4[q >> 4] * d;
    }
  },
  Q2_K(b, o, y, p, h) {
    // scales[16] | qs[64] | d | dmin
    const d = h[b[o + 80] | (b[o + 81] << 8)], dmin = h[b[o + 82] | (b[o + 83] << 8)];
    let is = 0;
    for (let n = 0; n < 2; n++) {
      const q = o + 16 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 2; half++) {
          const sc = b[o + is++];
          const dl = d * (sc & 15), ml = dmin * (sc >> 4);
          for (let l = 0; l < 16; l++) y[p++] = dl * ((b[q + 16 * half + l] >> shift) & 3) - ml;
        }
      }
    }
  },
  Q3_K(b, o, y, p, h) {
    // hmask[32] | qs[64] | scales[12] | d
    const d = h[b[o + 108] | (b[o + 109] << 8)];
    const s = o + 96;
    const sc = new Int8Array(16);
    for (let j = 0; j < 16; j++) {
      const low = j < 8 ? b[s + j] & 15 : b[s + j - 8] >> 4;
      const high = (b[s + 8 + (j & 3)] >> (2 * (j >> 2))) & 3;
      sc[j] = (low | (high << 4)) - 32;
    }
    let is = 0, m = 1;
    for (let n = 0; n < 2; n++) {
      const q = o + 32 + 32 * n;
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (let half = 0; half < 2; half++) {
          const dl = d * sc[is++];
          for (let l = 0; l < 16; l++) {
            const k = 16 * half + l;
            y[p++] = dl * (((b[q + k] >> shift) & 3) - (b[o + k] & m ? 0 : 4));
          }
        }
      }
    }
  },
  Q4_K(b, o, y, p, h) {
    // d | dmin | scales[12] | qs[128]
    const d = h[b[o] | (b[o + 1] << 8)], dmin = h[b[o + 2] | (b[o + 3] << 8)];
    for (let c = 0; c < 4; c++) {
      const [s1, m1] = scaleMin(b, o + 4, 2 * c), [s2, m2] = scaleMin(b, o + 4, 2 * c + 1);
      const d1 = d * s1, n1 = dmin * m1, d2 = d * s2, n2 = dmin * m2;
      const q = o + 16 + 32 * c;
      for (let l = 0; l < 32; l++) y[p + l] = d1 * (b[q + l] & 15) - n1;
      for (let l = 0; l < 32; l++) y[p + 32 + l] = d2 * (b[q + l] >> 4) - n2;
      p += 64;
    }
  },
  Q5_K(b, o, y, p, h) {
    // d | dmin | scales[12] | qh[32] | qs[128]
    const d = h[b[o] | (b[o + 1] << 8)], dmin = h[b[o + 2] | (b[o + 3] << 8)];
    for (let c = 0; c < 4; c++) {
      const [s1, m1] = scaleMin(b, o + 4, 2 * c), [s2, m2] = scaleMin(b, o + 4, 2 * c + 1);
      const d1 = d * s1, n1 = dmin * m1, d2 = d * s2, n2 = dmin * m2;
      const q = o + 48 + 32 * c, u1 = 1 << (2 * c), u2 = 2 << (2 * c);
      for (let l = 0; l < 32; l++) y[p + l] = d1 * ((b[q + l] & 15) + (b[o + 16 + l] & u1 ? 16 : 0)) - n1;
      for (let l = 0; l < 32; l++) y[p + 32 + l] = d2 * ((b[q + l] >> 4) + (b[o + 16 + l] & u2 ? 16 : 0)) - n2;
      p += 64;
    }
  },
  Q6_K(b, o, y, p, h) {
    // ql[128] | qh[64] | scales[16] (int8) | d
    const d = h[b[o + 208] | (b[o + 209] << 8)];
    for (let n = 0; n < 2; n++) {
      const ql = o + 64 * n, qh = o + 128 + 32 * n, sc = o + 192 + 8 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4, hb = b[qh + l];
        const q1 = ((b[ql + l] & 15) | ((hb & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32] & 15) | (((hb >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l] >> 4) | (((hb >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32] >> 4) | (((hb >> 6) & 3) << 4)) - 32;
        const s = (k: number) => (b[sc + is + k] << 24) >> 24;
        y[p + l] = d * s(0) * q1;
        y[p + l + 32] = d * s(2) * q2;
        y[p + l + 64] = d * s(4) * q3;
        y[p + l + 96] = d * s(6) * q4;
      }
      p += 128;
    }
  },
  Q8_K(b, o, y, p) {
    // d (float32) | qs[256] | bsums[16]
    const d = new DataView(b.buffer, b.byteOffset + o, 4).getFloat32(0, true);
    for (let j = 0; j < 256; j++) y[p + j] = d * ((b[o + 4 + j] << 24) >> 24);
  },
};

/** Whether a type is a block format this module dequantizes. */
export const isBlockType = (t: GgmlType): boolean => t.name in BLOCKS;

/**
 * Dequantizes `n` elements stored as ggml blocks of type `t` (`raw` holds exactly
 * n / t.block blocks) into float32, with ggml's formulas.
 * @example
 * const y = dequantizeBlocks(ggmlTypeByName('Q8_0')!, raw, 64);
 */
export function dequantizeBlocks(t: GgmlType, raw: Uint8Array, n: number): Float32Array {
  const fn = BLOCKS[t.name];
  if (!fn) throw new Error(`[gguf] Tensor type ${t.name} cannot be dequantized.`);
  const y = new Float32Array(n), h = halves();
  for (let i = 0, o = 0; i < n; i += t.block, o += t.bytes) fn(raw, o, y, i, h);
  return y;
}

/** Types MLX keeps quantized when loading GGUF, and their bit widths. */
export const REPACKABLE: Record<string, 4 | 8> = { Q4_0: 4, Q4_1: 4, Q4_K: 4, Q8_0: 8 };

/** MLX affine-quantized data: packed values, float16 scale and bias bits per group of 32. */
export interface Repacked {
  wq: Uint32Array;
  scales: Uint16Array;
  biases: Uint16Array;
}

/**
 * Repacks Q4_0/Q4_1/Q4_K/Q8_0 blocks into MLX's affine layout (group size 32): w = scale * q
 * + bias, q packed little-endian in uint32 words; scales and biases as float16 bits.
 * @example
 * const { wq, scales, biases } = repackBlocks(ggmlTypeByName('Q4_0')!, raw, 64);
 */
export function repackBlocks(t: GgmlType, b: Uint8Array, n: number): Repacked {
  const bits = REPACKABLE[t.name];
  if (!bits) throw new Error(`[gguf] Tensor type ${t.name} cannot be kept quantized.`);
  const groups = n / 32, h = halves();
  const wq = new Uint32Array((n * bits) / 32), scales = new Uint16Array(groups), biases = new Uint16Array(groups);
  const bytes = new Uint8Array(wq.buffer);
  // 32 nibbles of one group: element k from byte o+k's low nibble (k < 16) or byte o+k-16's high one
  const nibbles = (o: number, g: number) => {
    for (let j = 0; j < 16; j++) {
      const lo = b[o + j] & 15, hi = b[o + j] >> 4;
      if (j & 1) {
        bytes[16 * g + (j >> 1)] |= lo << 4;
        bytes[16 * g + 8 + (j >> 1)] |= hi << 4;
      } else {
        bytes[16 * g + (j >> 1)] = lo;
        bytes[16 * g + 8 + (j >> 1)] = hi;
      }
    }
  };
  if (t.name === 'Q4_K') {
    for (let s = 0, o = 0; s < groups / 8; s++, o += t.bytes) {
      const d = h[b[o] | (b[o + 1] << 8)], dmin = h[b[o + 2] | (b[o + 3] << 8)];
      for (let j = 0; j < 8; j++) {
        const [sc, m] = scaleMin(b, o + 4, j);
        scales[8 * s + j] = f32ToF16Bits(d * sc);
        biases[8 * s + j] = f32ToF16Bits(-(dmin * m));
      }
      // 32 bytes hold two groups: low nibbles are group 2c, high nibbles group 2c+1
      for (let c = 0; c < 4; c++) {
        const q = o + 16 + 32 * c, g = 8 * s + 2 * c;
        for (let l = 0; l < 32; l++) {
          const lo = b[q + l] & 15, hi = b[q + l] >> 4, at = l >> 1, sh = l & 1 ? 4 : 0;
          bytes[16 * g + at] |= lo << sh;
          bytes[16 * (g + 1) + at] |= hi << sh;
        }
      }
    }
    return { wq, scales, biases };
  }
  for (let g = 0, o = 0; g < groups; g++, o += t.bytes) {
    const dBits = b[o] | (b[o + 1] << 8);
    scales[g] = dBits;
    if (t.name === 'Q8_0') {
      biases[g] = f32ToF16Bits(-128 * h[dBits]);
      for (let j = 0; j < 32; j++) bytes[32 * g + j] = b[o + 2 + j] ^ 0x80;
    } else if (t.name === 'Q4_0') {
      biases[g] = f32ToF16Bits(-8 * h[dBits]);
      nibbles(o + 2, g);
    } else {
      biases[g] = b[o + 2] | (b[o + 3] << 8);
      nibbles(o + 4, g);
    }
  }
  return { wq, scales, biases };
}
