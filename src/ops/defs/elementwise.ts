// Elementwise primitives: one entry each with its dtype rule, CPU reference and WGSL.
// WGSL calls WGSL builtins or `mx_*` functions from shaders/elementwise.wgsl.
import type { UnaryPrim, BinaryPrim } from '../../ir/primitive.ts';

/** WGSL compute type of a dtype inside kernels (16-bit floats compute in f32). */
export type WType = 'f32' | 'i32' | 'u32' | 'bool';

/**
 * How the output dtype follows from the (already promoted) input dtype:
 * same; float (integers/bool become float32); bool; int (integers only).
 */
export type OutRule = 'same' | 'float' | 'bool' | 'int' | 'numeric';

export interface UnaryDef {
  out: OutRule;
  cpu: (x: number) => number;
  /** Exact 64-bit integer version for the CPU (int64/uint64 exceed float64's 53 bits). */
  big?: (x: bigint) => bigint;
  wgsl: (x: string, t: WType) => string;
}

export interface BinaryDef {
  out: OutRule;
  cpu: (a: number, b: number) => number;
  big?: (a: bigint, b: bigint) => bigint | boolean;
  wgsl: (a: string, b: string, t: WType) => string;
}

const f = (name: string) => (x: string) => `${name}(${x})`;

// erf by Abramowitz-Stegun 7.1.26 is too coarse; use the series/continued-fraction mix.
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.2) {
    // Maclaurin series, converges quickly for small |x|
    let sum = x, term = x;
    const x2 = x * x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const c = term / (2 * n + 1);
      sum += c;
      if (Math.abs(c) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  // continued fraction for erfc
  let fr = 0;
  for (let n = 60; n >= 1; n--) fr = (n / 2) / (ax + fr);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + fr);
  return Math.sign(x) * (1 - erfc);
}

export function erfinv(y: number): number {
  if (y <= -1) return y === -1 ? -Infinity : NaN;
  if (y >= 1) return y === 1 ? Infinity : NaN;
  if (Number.isNaN(y)) return NaN;
  // Giles' single-precision approximation, then Newton steps in float64
  const w = -Math.log((1 - y) * (1 + y));
  let x: number;
  if (w < 5) {
    const t = w - 2.5;
    let p = 2.81022636e-8;
    for (const c of [3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]) p = c + p * t;
    x = p * y;
  } else {
    const t = Math.sqrt(w) - 3;
    let p = -0.000200214257;
    for (const c of [0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]) p = c + p * t;
    x = p * y;
  }
  for (let i = 0; i < 3; i++) {
    const err = erf(x) - y;
    x -= err / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  }
  return x;
}

const sigmoid = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
// NumPy rounds half to even.
const roundEven = (x: number) => {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/** One definition per unary primitive. */
export const UNARY_DEFS: { [P in UnaryPrim]: UnaryDef } = {
  abs: { out: 'numeric', big: (x) => (x < 0n ? -x : x), cpu: Math.abs, wgsl: (x, t) => (t === 'u32' ? x : `abs(${x})`) },
  negative: { out: 'numeric', big: (x) => -x, cpu: (x) => -x, wgsl: (x, t) => (t === 'u32' ? `(0u - ${x})` : `(-${x})`) },
  sign: { out: 'numeric', big: (x) => (x > 0n ? 1n : x < 0n ? -1n : 0n), cpu: (x) => (Number.isNaN(x) ? NaN : Math.sign(x)), wgsl: (x, t) => (t === 'u32' ? `select(0u, 1u, ${x} > 0u)` : `mx_sign_${t}(${x})`) },
  sqrt: { out: 'float', cpu: Math.sqrt, wgsl: f('sqrt') },
  rsqrt: { out: 'float', cpu: (x) => 1 / Math.sqrt(x), wgsl: f('inverseSqrt') },
  square: { out: 'numeric', big: (x) => x * x, cpu: (x) => x * x, wgsl: (x) => `(${x} * ${x})` },
  reciprocal: { out: 'float', cpu: (x) => 1 / x, wgsl: (x) => `(1.0 / ${x})` },
  exp: { out: 'float', cpu: Math.exp, wgsl: f('mx_exp') },
  expm1: { out: 'float', cpu: Math.expm1, wgsl: f('mx_expm1') },
  log: { out: 'float', cpu: Math.log, wgsl: f('mx_log') },
  log1p: { out: 'float', cpu: Math.log1p, wgsl: f('mx_log1p') },
  log2: { out: 'float', cpu: Math.log2, wgsl: f('mx_log2') },
  log10: { out: 'float', cpu: Math.log10, wgsl: f('mx_log10') },
  sin: { out: 'float', cpu: Math.sin, wgsl: f('mx_sin') },
  cos: { out: 'float', cpu: Math.cos, wgsl: f('mx_cos') },
  tan: { out: 'float', cpu: Math.tan, wgsl: f('mx_tan') },
  arcsin: { out: 'float', cpu: Math.asin, wgsl: f('mx_asin') },
  arccos: { out: 'float', cpu: Math.acos, wgsl: f('mx_acos') },
  arctan: { out: 'float', cpu: Math.atan, wgsl: f('mx_atan') },
  sinh: { out: 'float', cpu: Math.sinh, wgsl: f('mx_sinh') },
  cosh: { out: 'float', cpu: Math.cosh, wgsl: f('mx_cosh') },
  tanh: { out: 'float', cpu: Math.tanh, wgsl: f('mx_tanh') },
  arcsinh: { out: 'float', cpu: Math.asinh, wgsl: f('mx_asinh') },
  arccosh: { out: 'float', cpu: Math.acosh, wgsl: f('mx_acosh') },
  arctanh: { out: 'float', cpu: Math.atanh, wgsl: f('mx_atanh') },
  sigmoid: { out: 'float', cpu: sigmoid, wgsl: f('mx_sigmoid') },
  erf: { out: 'float', cpu: erf, wgsl: f('mx_erf') },
  erfinv: { out: 'float', cpu: erfinv, wgsl: f('mx_erfinv') },
  floor: { out: 'numeric', big: (x) => x, cpu: Math.floor, wgsl: (x, t) => (t === 'f32' ? `floor(${x})` : x) },
  ceil: { out: 'numeric', big: (x) => x, cpu: Math.ceil, wgsl: (x, t) => (t === 'f32' ? `ceil(${x})` : x) },
  round: { out: 'numeric', big: (x) => x, cpu: roundEven, wgsl: (x, t) => (t === 'f32' ? `round(${x})` : x) },
  isnan: { out: 'bool', cpu: (x) => +Number.isNaN(x), wgsl: (x, t) => (t === 'f32' ? `mx_isnan(${x})` : 'false') },
  isinf: { out: 'bool', cpu: (x) => +(x === Infinity || x === -Infinity), wgsl: (x, t) => (t === 'f32' ? `mx_isinf(${x})` : 'false') },
  isfinite: { out: 'bool', cpu: (x) => +Number.isFinite(x), wgsl: (x, t) => (t === 'f32' ? `mx_isfinite(${x})` : 'true') },
  logicalNot: { out: 'bool', cpu: (x) => +(x === 0), wgsl: (x) => `!(${x})` },
  bitwiseInvert: { out: 'int', big: (x) => ~x, cpu: (x) => ~x, wgsl: (x, t) => (t === 'bool' ? `!(${x})` : `(~${x})`) },
  stopGradient: { out: 'same', cpu: (x) => x, wgsl: (x) => x },
};

const pyMod = (a: number, b: number) => {
  const r = a % b;
  return r !== 0 && r < 0 !== b < 0 ? r + b : r;
};
const logaddexp = (a: number, b: number) => {
  if (a === -Infinity && b === -Infinity) return -Infinity;
  const m = Math.max(a, b);
  return m + Math.log1p(Math.exp(-Math.abs(a - b)));
};
const nanMax = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.max(a, b));
const nanMin = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? NaN : Math.min(a, b));
const cmp = (op: string) => (a: string, b: string) => `(${a} ${op} ${b})`;
// float comparisons go through NaN-aware helpers (compilers may assume no NaNs)
const fcmp = (op: string, fn: string, swap = false) => (a: string, b: string, t: WType) =>
  t === 'f32' ? (swap ? `${fn}(${b}, ${a})` : `${fn}(${a}, ${b})`) : `(${a} ${op} ${b})`;
const shiftMask = (t: WType) => (t === 'i32' ? 'u32' : 'u32');

/** One definition per binary primitive (inputs already share one dtype). */
export const BINARY_DEFS: { [P in BinaryPrim]: BinaryDef } = {
  add: { out: 'same', big: (a, b) => a + b, cpu: (a, b) => a + b, wgsl: (a, b, t) => (t === 'bool' ? `(${a} || ${b})` : `(${a} + ${b})`) },
  subtract: { out: 'numeric', big: (a, b) => a - b, cpu: (a, b) => a - b, wgsl: cmp('-') },
  multiply: { out: 'same', big: (a, b) => a * b, cpu: (a, b) => a * b, wgsl: (a, b, t) => (t === 'bool' ? `(${a} && ${b})` : `(${a} * ${b})`) },
  divide: { out: 'float', cpu: (a, b) => a / b, wgsl: cmp('/') },
  floorDivide: { out: 'numeric', big: (a, b) => (b === 0n ? 0n : a / b - ((a % b !== 0n) && ((a < 0n) !== (b < 0n)) ? 1n : 0n)), cpu: (a, b) => Math.floor(a / b), wgsl: (a, b, t) => `mx_floordiv_${t}(${a}, ${b})` },
  remainder: { out: 'numeric', big: (a, b) => { if (b === 0n) return 0n; const r = a % b; return r !== 0n && (r < 0n) !== (b < 0n) ? r + b : r; }, cpu: pyMod, wgsl: (a, b, t) => `mx_remainder_${t}(${a}, ${b})` },
  power: { out: 'numeric', big: (a, b) => (b < 0n ? (a === 1n ? 1n : a === -1n ? (b % 2n === 0n ? 1n : -1n) : 0n) : a ** b), cpu: Math.pow, wgsl: (a, b, t) => `mx_pow_${t}(${a}, ${b})` },
  maximum: { out: 'same', big: (a, b) => (a > b ? a : b), cpu: nanMax, wgsl: (a, b, t) => (t === 'f32' ? `mx_maximum(${a}, ${b})` : t === 'bool' ? `(${a} || ${b})` : `max(${a}, ${b})`) },
  minimum: { out: 'same', big: (a, b) => (a < b ? a : b), cpu: nanMin, wgsl: (a, b, t) => (t === 'f32' ? `mx_minimum(${a}, ${b})` : t === 'bool' ? `(${a} && ${b})` : `min(${a}, ${b})`) },
  arctan2: { out: 'float', cpu: Math.atan2, wgsl: (a, b) => `mx_atan2(${a}, ${b})` },
  logaddexp: { out: 'float', cpu: logaddexp, wgsl: (a, b) => `mx_logaddexp(${a}, ${b})` },
  equal: { out: 'bool', big: (a, b) => a === b, cpu: (a, b) => +(a === b), wgsl: fcmp('==', 'mx_eq_f32') },
  notEqual: { out: 'bool', big: (a, b) => a !== b, cpu: (a, b) => +(a !== b), wgsl: fcmp('!=', 'mx_ne_f32') },
  greater: { out: 'bool', big: (a, b) => a > b, cpu: (a, b) => +(a > b), wgsl: fcmp('>', 'mx_lt_f32', true) },
  greaterEqual: { out: 'bool', big: (a, b) => a >= b, cpu: (a, b) => +(a >= b), wgsl: fcmp('>=', 'mx_le_f32', true) },
  less: { out: 'bool', big: (a, b) => a < b, cpu: (a, b) => +(a < b), wgsl: fcmp('<', 'mx_lt_f32') },
  lessEqual: { out: 'bool', big: (a, b) => a <= b, cpu: (a, b) => +(a <= b), wgsl: fcmp('<=', 'mx_le_f32') },
  logicalAnd: { out: 'bool', cpu: (a, b) => +(a !== 0 && b !== 0), wgsl: cmp('&&') },
  logicalOr: { out: 'bool', cpu: (a, b) => +(a !== 0 || b !== 0), wgsl: cmp('||') },
  bitwiseAnd: { out: 'int', big: (a, b) => a & b, cpu: (a, b) => a & b, wgsl: (a, b, t) => (t === 'bool' ? `(${a} && ${b})` : `(${a} & ${b})`) },
  bitwiseOr: { out: 'int', big: (a, b) => a | b, cpu: (a, b) => a | b, wgsl: (a, b, t) => (t === 'bool' ? `(${a} || ${b})` : `(${a} | ${b})`) },
  bitwiseXor: { out: 'int', big: (a, b) => a ^ b, cpu: (a, b) => a ^ b, wgsl: (a, b, t) => (t === 'bool' ? `(${a} != ${b})` : `(${a} ^ ${b})`) },
  leftShift: { out: 'int', big: (a, b) => (b >= 64n ? 0n : a << b), cpu: (a, b) => (b >= 32 ? 0 : a * 2 ** b), wgsl: (a, b, t) => `mx_shl_${t}(${a}, ${shiftMask(t)}(${b}))` },
  rightShift: { out: 'int', big: (a, b) => a >> (b >= 64n ? 63n : b), cpu: (a, b) => Math.floor(a / 2 ** Math.min(b, 64)), wgsl: (a, b, t) => `mx_shr_${t}(${a}, ${shiftMask(t)}(${b}))` },
};
