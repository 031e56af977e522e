// Public elementwise ops: unary, binary, where, astype, and composites over them.
import { MxArray } from '../core/array.ts';
import {
  type Dtype, type DtypeLike, toDtype, bool, float32, isComplex, isFloating, isInteger, promoteTypes,
} from '../core/dtype.ts';
import { type StreamOpt, resolveDevice, type Device } from '../core/device.ts';
import { broadcastShapes, shapesEqual } from '../core/shape.ts';
import { type UnaryPrim, type BinaryPrim, UNARY, BINARY } from '../ir/primitive.ts';
import { UNARY_DEFS, BINARY_DEFS, type OutRule } from './defs/elementwise.ts';
import { bind, operands, dtypeError, installAstype, type ArrayInput } from './core.ts';

/** Output dtype of an elementwise op from its rule; throws when the input kind is not allowed. */
function outDtype(op: string, rule: OutRule, x: MxArray, ...rest: MxArray[]): Dtype {
  const t = x.dtype;
  switch (rule) {
    case 'same': return t;
    case 'bool': return bool;
    case 'float': return isFloating(t) || isComplex(t) ? t : float32;
    case 'int': if (isInteger(t) || t === bool) return t; return dtypeError(op, x, ...rest);
    case 'numeric': if (t === bool) return dtypeError(op, x, ...rest); return t;
  }
}

/**
 * Casts an array to a dtype (no-op when it already has it).
 * @example
 * mx.astype(mx.array([1.7, -1.7]), mx.int32) // [1, -1]
 */
export function astype(a: MxArray, dtype: DtypeLike, opts?: StreamOpt): MxArray {
  const d = toDtype(dtype);
  if (a.dtype === d) return a;
  return bind('astype', [a], {}, a.shape, d, resolveDevice(opts));
}
installAstype((a, d, dev) => astype(a, d, { stream: dev }));

/**
 * Broadcasts an array to a shape (a view; no copy).
 * @example
 * mx.broadcastTo(mx.array([1, 2]), [3, 2])
 */
export function broadcastTo(a: ArrayInput, shape: readonly number[], opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x] = operands('broadcastTo', [a], dev);
  const target = [...shape];
  const b = broadcastShapes('broadcastTo', x.shape, target);
  if (!shapesEqual(b, target)) {
    throw new Error(`[broadcastTo] Cannot broadcast array of shape (${x.shape.join(',')}) to shape (${target.join(',')}).`);
  }
  if (shapesEqual(x.shape, target)) return x;
  return bind('broadcast', [x], { shape: target }, target, x.dtype, dev);
}

/** Applies a unary primitive (the per-op functions below are built from it). */
function unary(prim: UnaryPrim, a: ArrayInput, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x0] = operands(prim, [a], dev);
  const def = UNARY_DEFS[prim];
  const out = outDtype(prim, def.out, x0);
  // float-valued ops compute on the float type
  const x = def.out === 'float' ? astype(x0, out, { stream: dev }) : x0;
  return bind(prim, [x], {}, x.shape, out, dev);
}

/** Promotes and broadcasts operands of an elementwise op. */
function prepare(op: string, xs: ArrayInput[], dev: Device, dtype?: Dtype): MxArray[] {
  const arrs = operands(op, xs, dev);
  const dt = dtype ?? arrs.map((a) => a.dtype).reduce(promoteTypes);
  const shape = broadcastShapes(op, ...arrs.map((a) => a.shape));
  return arrs.map((a) => broadcastTo(astype(a, dt, { stream: dev }), shape, { stream: dev }));
}

const LOGICAL = new Set<BinaryPrim>(['logicalAnd', 'logicalOr']);

/** Applies a binary primitive after promotion and broadcasting. */
function binary(prim: BinaryPrim, a: ArrayInput, b: ArrayInput, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const def = BINARY_DEFS[prim];
  const raw = operands(prim, [a, b], dev);
  let dt = promoteTypes(raw[0].dtype, raw[1].dtype);
  if (LOGICAL.has(prim)) dt = bool;
  else if (def.out === 'float' && !isFloating(dt) && !isComplex(dt)) dt = float32;
  if (def.out === 'int' && !(isInteger(dt) || dt === bool)) dtypeError(prim, ...raw);
  if (def.out === 'numeric' && dt === bool && prim !== 'subtract') dtypeError(prim, ...raw);
  if (prim === 'subtract' && dt === bool) dtypeError(prim, ...raw);
  const [x, y] = prepare(prim, raw, dev, dt);
  const out = def.out === 'bool' ? bool : dt;
  return bind(prim, [x, y], {}, x.shape, out, dev);
}

type UnaryFn = (a: ArrayInput, opts?: StreamOpt) => MxArray;
type BinaryFn = (a: ArrayInput, b: ArrayInput, opts?: StreamOpt) => MxArray;

const U = Object.fromEntries(UNARY.map((p) => [p, ((a, o) => unary(p, a, o)) as UnaryFn])) as Record<UnaryPrim, UnaryFn>;
const B = Object.fromEntries(BINARY.map((p) => [p, ((a, b, o) => binary(p, a, b, o)) as BinaryFn])) as Record<BinaryPrim, BinaryFn>;

/** Elementwise absolute value. @example mx.abs(mx.array([-1, 2])) // [1, 2] */
export const abs = U.abs;
/** Elementwise negation. @example mx.negative(x) */
export const negative = U.negative;
/** Elementwise sign (-1, 0, 1). @example mx.sign(x) */
export const sign = U.sign;
/** Square root. @example mx.sqrt(mx.array([4])) // [2] */
export const sqrt = U.sqrt;
/** Reciprocal square root. @example mx.rsqrt(x) */
export const rsqrt = U.rsqrt;
/** x * x. @example mx.square(x) */
export const square = U.square;
/** 1 / x. @example mx.reciprocal(x) */
export const reciprocal = U.reciprocal;
/** e^x. @example mx.exp(x) */
export const exp = U.exp;
/** e^x - 1, accurate near 0. @example mx.expm1(x) */
export const expm1 = U.expm1;
/** Natural log. @example mx.log(x) */
export const log = U.log;
/** log(1 + x), accurate near 0. @example mx.log1p(x) */
export const log1p = U.log1p;
/** Base-2 log. @example mx.log2(x) */
export const log2 = U.log2;
/** Base-10 log. @example mx.log10(x) */
export const log10 = U.log10;
/** @example mx.sin(x) */
export const sin = U.sin;
/** @example mx.cos(x) */
export const cos = U.cos;
/** @example mx.tan(x) */
export const tan = U.tan;
/** @example mx.arcsin(x) */
export const arcsin = U.arcsin;
/** @example mx.arccos(x) */
export const arccos = U.arccos;
/** @example mx.arctan(x) */
export const arctan = U.arctan;
/** @example mx.sinh(x) */
export const sinh = U.sinh;
/** @example mx.cosh(x) */
export const cosh = U.cosh;
/** @example mx.tanh(x) */
export const tanh = U.tanh;
/** @example mx.arcsinh(x) */
export const arcsinh = U.arcsinh;
/** @example mx.arccosh(x) */
export const arccosh = U.arccosh;
/** @example mx.arctanh(x) */
export const arctanh = U.arctanh;
/** 1 / (1 + e^-x). @example mx.sigmoid(x) */
export const sigmoid = U.sigmoid;
/** Gauss error function. @example mx.erf(x) */
export const erf = U.erf;
/** Inverse of erf. @example mx.erfinv(x) */
export const erfinv = U.erfinv;
/** @example mx.floor(x) */
export const floor = U.floor;
/** @example mx.ceil(x) */
export const ceil = U.ceil;
/** Round half to even (NumPy's `round` with 0 decimals). @example mx.round(x) */
const roundHalfEven = U.round;
/** @example mx.isnan(x) */
export const isnan = U.isnan;
/** @example mx.isinf(x) */
export const isinf = U.isinf;
/** @example mx.isfinite(x) */
export const isfinite = U.isfinite;
/** @example mx.logicalNot(x) */
export const logicalNot = U.logicalNot;
/** Bitwise NOT of integers (logical NOT of bools). @example mx.bitwiseInvert(x) */
export const bitwiseInvert = U.bitwiseInvert;
/** Identity whose gradient is zero. @example mx.stopGradient(x) */
export const stopGradient = U.stopGradient;

/** @example mx.add(a, 1) */
export const add = B.add;
/** @example mx.subtract(a, b) */
export const subtract = B.subtract;
/** @example mx.multiply(a, 2) */
export const multiply = B.multiply;
/** True division (integers give float32). @example mx.divide(a, b) */
export const divide = B.divide;
/** Floor division. @example mx.floorDivide(a, 2) */
export const floorDivide = B.floorDivide;
/** Remainder with the sign of the divisor (Python's %). @example mx.remainder(a, 3) */
export const remainder = B.remainder;
/** Elementwise power. @example mx.power(a, 2) */
export const power = B.power;
/** Elementwise max; NaN propagates. @example mx.maximum(a, 0) */
export const maximum = B.maximum;
/** Elementwise min; NaN propagates. @example mx.minimum(a, 0) */
export const minimum = B.minimum;
/** @example mx.arctan2(y, x) */
export const arctan2 = B.arctan2;
/** log(e^a + e^b), stable. @example mx.logaddexp(a, b) */
export const logaddexp = B.logaddexp;
/** @example mx.equal(a, b) */
export const equal = B.equal;
/** @example mx.notEqual(a, b) */
export const notEqual = B.notEqual;
/** @example mx.greater(a, b) */
export const greater = B.greater;
/** @example mx.greaterEqual(a, b) */
export const greaterEqual = B.greaterEqual;
/** @example mx.less(a, b) */
export const less = B.less;
/** @example mx.lessEqual(a, b) */
export const lessEqual = B.lessEqual;
/** @example mx.logicalAnd(a, b) */
export const logicalAnd = B.logicalAnd;
/** @example mx.logicalOr(a, b) */
export const logicalOr = B.logicalOr;
/** @example mx.bitwiseAnd(a, b) */
export const bitwiseAnd = B.bitwiseAnd;
/** @example mx.bitwiseOr(a, b) */
export const bitwiseOr = B.bitwiseOr;
/** @example mx.bitwiseXor(a, b) */
export const bitwiseXor = B.bitwiseXor;
/** @example mx.leftShift(a, 2) */
export const leftShift = B.leftShift;
/** @example mx.rightShift(a, 2) */
export const rightShift = B.rightShift;

/**
 * Picks from x where cond is true, else from y (broadcasting all three).
 * @example
 * mx.where(mx.greater(x, 0), x, 0)
 */
export function where(cond: ArrayInput, x: ArrayInput, y: ArrayInput, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [c0, xa, ya] = operands('where', [cond, x, y], dev);
  const dt = promoteTypes(xa.dtype, ya.dtype);
  const shape = broadcastShapes('where', c0.shape, xa.shape, ya.shape);
  const c = broadcastTo(astype(c0, bool, { stream: dev }), shape, { stream: dev });
  const [xb, yb] = [xa, ya].map((a) => broadcastTo(astype(a, dt, { stream: dev }), shape, { stream: dev }));
  return bind('where', [c, xb, yb], {}, shape, dt, dev);
}

/**
 * Rounds to the given number of decimals (half to even), as `mx.round`.
 * @example
 * mx.round(mx.array([1.25]), 1) // [1.2]
 */
export function round(a: ArrayInput, decimals = 0, opts?: StreamOpt): MxArray {
  if (decimals === 0) return roundHalfEven(a, opts);
  const dev = resolveDevice(opts);
  const [x] = operands('round', [a], dev);
  if (!isFloating(x.dtype)) return x;
  const s = 10 ** decimals;
  return divide(roundHalfEven(multiply(x, s, opts), opts), s, opts);
}

/**
 * Clips values to [min, max]; either bound may be null.
 * @example
 * mx.clip(x, 0, 1)
 */
export function clip(a: ArrayInput, min: ArrayInput | null, max: ArrayInput | null, opts?: StreamOpt): MxArray {
  if (min === null && max === null) throw new Error('[clip] min and max cannot both be null.');
  let x = operands('clip', [a], resolveDevice(opts))[0];
  if (min !== null) x = maximum(x, min, opts);
  if (max !== null) x = minimum(x, max, opts);
  return x;
}

/**
 * Replaces NaN and infinities with finite numbers.
 * @example
 * mx.nanToNum(x, 0)
 */
export function nanToNum(a: ArrayInput, nan = 0, posinf?: number, neginf?: number, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [x] = operands('nanToNum', [a], dev);
  if (!isFloating(x.dtype)) return x;
  const fin = { float16: 65504, bfloat16: 3.3895313892515355e38, float32: 3.4028234663852886e38, float64: Number.MAX_VALUE }[x.dtype.name as 'float32'];
  let r = where(isnan(x, opts), nan, x, opts);
  r = where(equal(x, Infinity, opts), posinf ?? fin, r, opts);
  r = where(equal(x, -Infinity, opts), neginf ?? -fin, r, opts);
  return r;
}

/**
 * Elementwise |a - b| <= atol + rtol * |b|, as NumPy.
 * @example
 * mx.isclose(a, b, 1e-5, 1e-8)
 */
export function isclose(a: ArrayInput, b: ArrayInput, rtol = 1e-5, atol = 1e-8, equalNan = false, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  let [x, y] = operands('isclose', [a, b], dev);
  const dt = promoteTypes(promoteTypes(x.dtype, y.dtype), float32);
  x = astype(x, dt, opts);
  y = astype(y, dt, opts);
  const diff = abs(subtract(x, y, opts), opts);
  const tol = add(atol, multiply(rtol, abs(y, opts), opts), opts);
  let close = logicalOr(lessEqual(diff, tol, opts), equal(x, y, opts), opts);
  // infinities are close only to the same infinity
  const inf = logicalOr(isinf(x, opts), isinf(y, opts), opts);
  close = where(inf, equal(x, y, opts), close, opts);
  if (equalNan) close = logicalOr(close, logicalAnd(isnan(x, opts), isnan(y, opts), opts), opts);
  return close;
}
