// Data types and MLX's promotion lattice.

/** Kind letters as in NumPy's array protocol: b bool, u unsigned, i signed, f float, V bfloat16, c complex. */
export type DtypeKind = 'b' | 'u' | 'i' | 'f' | 'V' | 'c';

export type DtypeName =
  | 'bool' | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'float16' | 'float32' | 'bfloat16' | 'float64' | 'complex64';

/**
 * A data type. Compare with `===`; every dtype is a singleton.
 * @example
 * const a = mx.array([1, 2], mx.int32);
 * a.dtype === mx.int32; // true
 */
export class Dtype {
  /** @internal */
  constructor(
    readonly name: DtypeName,
    /** Bytes per element. */
    readonly size: number,
    readonly kind: DtypeKind,
    /** Index in the promotion table. */
    readonly index: number,
  ) {}
  /** Bytes per element (MLX's `itemsize`). */
  get itemsize(): number {
    return this.size;
  }
  toString(): string {
    return `mlx.core.${this.name}`;
  }
}

let next = 0;
const mk = (name: DtypeName, size: number, kind: DtypeKind) => new Dtype(name, size, kind, next++);

/** Boolean, stored as one byte (packed four to a word on the GPU). @example mx.array([true, false], mx.bool) */
export const bool = mk('bool', 1, 'b');
/** 8-bit unsigned integer. @example mx.array([255], mx.uint8) */
export const uint8 = mk('uint8', 1, 'u');
/** 16-bit unsigned integer. @example mx.zeros([2], mx.uint16) */
export const uint16 = mk('uint16', 2, 'u');
/** 32-bit unsigned integer (indices of argsort and argmax). @example mx.array([1, 2], mx.uint32) */
export const uint32 = mk('uint32', 4, 'u');
/** 64-bit unsigned integer; CPU device only. @example mx.array([1], mx.uint64, { stream: mx.cpu }) */
export const uint64 = mk('uint64', 8, 'u');
/** 8-bit signed integer. @example mx.array([-1], mx.int8) */
export const int8 = mk('int8', 1, 'i');
/** 16-bit signed integer. @example mx.array([-300], mx.int16) */
export const int16 = mk('int16', 2, 'i');
/** 32-bit signed integer (JS integers default to it). @example mx.array([1, 2]).dtype === mx.int32 */
export const int32 = mk('int32', 4, 'i');
/** 64-bit signed integer; CPU device only. @example mx.array([2n ** 40n], mx.int64, { stream: mx.cpu }) */
export const int64 = mk('int64', 8, 'i');
/** IEEE half precision, stored packed two to a word and computed in float32 on the GPU. @example mx.ones([4], mx.float16) */
export const float16 = mk('float16', 2, 'f');
/** IEEE single precision (JS fractions default to it). @example mx.array([0.5]).dtype === mx.float32 */
export const float32 = mk('float32', 4, 'f');
/** Brain float: 16 bits stored, computed in float32. @example mx.ones([4], mx.bfloat16) */
export const bfloat16 = mk('bfloat16', 2, 'V');
/** 64-bit float; CPU device only (as in MLX). @example mx.array([0.1], mx.float64, { stream: mx.cpu }) */
export const float64 = mk('float64', 8, 'f');
/**
 * Complex numbers of two float32s (real, imaginary), on both devices. Ops on complex arrays
 * lower to float32 ops on (re, im) pairs, so they fuse and differentiate like real ones.
 * @example mx.array([{ re: 1, im: 2 }]).dtype === mx.complex64 // true
 */
export const complex64 = mk('complex64', 8, 'c');

export const ALL_DTYPES: readonly Dtype[] = [
  bool, uint8, uint16, uint32, uint64, int8, int16, int32, int64, float16, float32, bfloat16, float64, complex64,
];
const BY_NAME = new Map<string, Dtype>(ALL_DTYPES.map((d) => [d.name, d]));

/** Anything accepted where a dtype is expected: the object or its name. */
export type DtypeLike = Dtype | DtypeName;

/** Resolves a dtype or its name; throws on an unknown name. */
export function toDtype(d: DtypeLike): Dtype {
  if (d instanceof Dtype) return d;
  const r = BY_NAME.get(d);
  if (!r) throw new TypeError(`Unknown dtype '${String(d)}'. Known: ${[...BY_NAME.keys()].join(', ')}`);
  return r;
}

// MLX's table (mlx/dtype.cpp, JAX rules), with float64 dominating every real type and
// complex64 every type. Rows/cols in ALL_DTYPES order.
const T = ALL_DTYPES;
const [B, U8, U16, U32, U64, I8, I16, I32, I64, F16, F32, BF, F64, C64] = T;
const REAL_RULES: Dtype[][] = [
  /* bool   */ [B, U8, U16, U32, U64, I8, I16, I32, I64, F16, F32, BF, F64],
  /* uint8  */ [U8, U8, U16, U32, U64, I16, I16, I32, I64, F16, F32, BF, F64],
  /* uint16 */ [U16, U16, U16, U32, U64, I32, I32, I32, I64, F16, F32, BF, F64],
  /* uint32 */ [U32, U32, U32, U32, U64, I64, I64, I64, I64, F16, F32, BF, F64],
  /* uint64 */ [U64, U64, U64, U64, U64, F32, F32, F32, F32, F16, F32, BF, F64],
  /* int8   */ [I8, I16, I32, I64, F32, I8, I16, I32, I64, F16, F32, BF, F64],
  /* int16  */ [I16, I16, I32, I64, F32, I16, I16, I32, I64, F16, F32, BF, F64],
  /* int32  */ [I32, I32, I32, I64, F32, I32, I32, I32, I64, F16, F32, BF, F64],
  /* int64  */ [I64, I64, I64, I64, F32, I64, I64, I64, I64, F16, F32, BF, F64],
  /* f16    */ [F16, F16, F16, F16, F16, F16, F16, F16, F16, F16, F32, F32, F64],
  /* f32    */ [F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F32, F64],
  /* bf16   */ [BF, BF, BF, BF, BF, BF, BF, BF, BF, F32, F32, BF, F64],
  /* f64    */ [F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64, F64],
];
const RULES: Dtype[][] = [...REAL_RULES.map((r) => [...r, C64]), T.map(() => C64)];

/** The dtype two dtypes promote to. */
export function promoteTypes(a: Dtype, b: Dtype): Dtype {
  return RULES[a.index][b.index];
}

export const isFloating = (d: Dtype): boolean => d.kind === 'f' || d.kind === 'V';
export const isInteger = (d: Dtype): boolean => d.kind === 'i' || d.kind === 'u';
export const isUnsigned = (d: Dtype): boolean => d.kind === 'u';
export const isSigned = (d: Dtype): boolean => d.kind === 'i';
/** 64-bit types live only on the CPU device. */
export const is64 = (d: Dtype): boolean => d.size === 8 && d.kind !== 'c';
export const isComplex = (d: Dtype): boolean => d.kind === 'c';
/** Types that carry derivatives: real floats and complex64. */
export const isInexact = (d: Dtype): boolean => isFloating(d) || d.kind === 'c';

/** Abstract dtype categories for `mx.issubdtype`, as MLX names them. */
export type DtypeCategory = 'generic' | 'number' | 'integer' | 'signedinteger' | 'unsignedinteger' | 'floating' | 'complexfloating' | 'inexact';

/**
 * Whether a dtype belongs to a category (or equals another dtype).
 * @example
 * mx.issubdtype(mx.float16, 'floating'); // true
 */
export function issubdtype(d: DtypeLike, cat: DtypeLike | DtypeCategory): boolean {
  const t = toDtype(d);
  switch (cat) {
    case 'generic': return true;
    case 'number': return t !== bool;
    case 'integer': return isInteger(t);
    case 'signedinteger': return isSigned(t);
    case 'unsignedinteger': return isUnsigned(t);
    case 'floating': return isFloating(t);
    case 'complexfloating': return isComplex(t);
    case 'inexact': return isFloating(t) || isComplex(t);
    default: return toDtype(cat) === t;
  }
}

/** Smallest and largest finite values of a dtype (MLX's `finfo`/`iinfo`). */
export function dtypeRange(d: Dtype): { min: number; max: number } {
  switch (d.name) {
    case 'bool': return { min: 0, max: 1 };
    case 'uint8': return { min: 0, max: 255 };
    case 'uint16': return { min: 0, max: 65535 };
    case 'uint32': return { min: 0, max: 4294967295 };
    case 'uint64': return { min: 0, max: 18446744073709551615 };
    case 'int8': return { min: -128, max: 127 };
    case 'int16': return { min: -32768, max: 32767 };
    case 'int32': return { min: -2147483648, max: 2147483647 };
    case 'int64': return { min: -9223372036854775808, max: 9223372036854775807 };
    case 'float16': return { min: -65504, max: 65504 };
    case 'bfloat16': return { min: -3.3895313892515355e38, max: 3.3895313892515355e38 };
    case 'float32': case 'complex64': return { min: -3.4028234663852886e38, max: 3.4028234663852886e38 };
    case 'float64': return { min: -Number.MAX_VALUE, max: Number.MAX_VALUE };
  }
}

/**
 * Machine limits for floating types (MLX's `mx.finfo`).
 * @example
 * mx.finfo(mx.float16).eps; // 0.0009765625
 */
export function finfo(d: DtypeLike): { min: number; max: number; eps: number; dtype: Dtype } {
  const t = toDtype(d);
  if (!isFloating(t) && !isComplex(t)) throw new TypeError(`[finfo] dtype ${t.name} is not a floating type`);
  const eps = { float16: 2 ** -10, bfloat16: 2 ** -7, float32: 2 ** -23, float64: 2 ** -52, complex64: 2 ** -23 }[t.name as 'float16'];
  return { ...dtypeRange(t), eps, dtype: t };
}

/**
 * Limits for integer types (MLX's `mx.iinfo`).
 * @example
 * mx.iinfo(mx.int8).max; // 127
 */
export function iinfo(d: DtypeLike): { min: number; max: number; dtype: Dtype } {
  const t = toDtype(d);
  if (!isInteger(t)) throw new TypeError(`[iinfo] dtype ${t.name} is not an integer type`);
  return { ...dtypeRange(t), dtype: t };
}
