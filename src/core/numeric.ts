// Scalar conversions between JS numbers and each dtype's storage.
import { type Dtype, type DtypeName } from './dtype.ts';

export type TypedArray =
  | Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array
  | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 -> IEEE half bits, round to nearest even (as NumPy). */
export function f32ToF16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** IEEE half bits -> number. */
export function f16BitsToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** float32 -> bfloat16 bits, round to nearest even; NaN stays NaN. */
export function f32ToBf16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7fffffff) > 0x7f800000) return 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** Rounds a JS number to what the dtype can hold (wrapping integers as C casts do). */
export function roundTo(name: DtypeName, v: number): number {
  switch (name) {
    case 'float32': return Math.fround(v);
    case 'float64': return v;
    case 'float16': return f16BitsToF32(f32ToF16Bits(v));
    case 'bfloat16': return bf16BitsToF32(f32ToBf16Bits(v));
    case 'bool': return v !== 0 ? 1 : 0;
    default: return castInt(name, v);
  }
}

function castInt(name: DtypeName, v: number): number {
  if (Number.isNaN(v)) return 0;
  const t = Math.trunc(v);
  switch (name) {
    case 'int8': return (t << 24) >> 24;
    case 'uint8': return t & 0xff;
    case 'int16': return (t << 16) >> 16;
    case 'uint16': return t & 0xffff;
    case 'int32': return Number.isFinite(t) ? t | 0 : (t > 0 ? 2147483647 : -2147483648);
    case 'uint32': return Number.isFinite(t) ? t >>> 0 : 0;
    case 'int64': return Number.isFinite(t) ? Number(BigInt.asIntN(64, BigInt(t))) : (t > 0 ? 9223372036854775807 : -9223372036854775808);
    case 'uint64': return Number.isFinite(t) ? Number(BigInt.asUintN(64, BigInt(t))) : 0;
    default: return t;
  }
}

/** Allocates the CPU storage for `n` elements of a dtype. */
export function allocTyped(d: Dtype, n: number): TypedArray {
  switch (d.name) {
    case 'bool': case 'uint8': return new Uint8Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'int16': return new Int16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int32': return new Int32Array(n);
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    // (re, im) pairs
    case 'complex64': return new Float32Array(2 * n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
  }
}

/** Wraps raw bytes as the CPU storage type of a dtype (no copy). */
export function viewTyped(d: Dtype, buf: ArrayBuffer, byteOffset = 0, n?: number): TypedArray {
  const len = n ?? (buf.byteLength - byteOffset) / d.size;
  switch (d.name) {
    case 'bool': case 'uint8': return new Uint8Array(buf, byteOffset, len);
    case 'int8': return new Int8Array(buf, byteOffset, len);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(buf, byteOffset, len);
    case 'int16': return new Int16Array(buf, byteOffset, len);
    case 'uint32': return new Uint32Array(buf, byteOffset, len);
    case 'int32': return new Int32Array(buf, byteOffset, len);
    case 'float32': return new Float32Array(buf, byteOffset, len);
    case 'float64': return new Float64Array(buf, byteOffset, len);
    case 'complex64': return new Float32Array(buf, byteOffset, 2 * len);
    case 'int64': return new BigInt64Array(buf, byteOffset, len);
    case 'uint64': return new BigUint64Array(buf, byteOffset, len);
  }
}

/** Element reader: storage value -> JS number (16-bit floats decoded). */
export function reader(d: Dtype, a: TypedArray): (i: number) => number {
  switch (d.name) {
    case 'float16': return (i) => f16BitsToF32(a[i] as number);
    case 'bfloat16': return (i) => bf16BitsToF32(a[i] as number);
    case 'int64': case 'uint64': return (i) => Number(a[i]);
    default: return (i) => a[i] as number;
  }
}

/** Element writer: JS number -> storage value, rounding/wrapping as a cast does. */
export function writer(d: Dtype, a: TypedArray): (i: number, v: number) => void {
  switch (d.name) {
    case 'float16': return (i, v) => { a[i] = f32ToF16Bits(v); };
    case 'bfloat16': return (i, v) => { a[i] = f32ToBf16Bits(v); };
    case 'bool': return (i, v) => { a[i] = v !== 0 ? 1 : 0; };
    case 'int64': return (i, v) => { a[i] = BigInt.asIntN(64, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)); };
    case 'uint64': return (i, v) => { a[i] = BigInt.asUintN(64, BigInt(Number.isFinite(v) ? Math.trunc(v) : 0)); };
    case 'int8': case 'uint8': case 'int16': case 'uint16': case 'int32': case 'uint32':
      return (i, v) => { a[i] = castInt(d.name, v); };
    default: return (i, v) => { a[i] = v; };
  }
}
