// Derivatives of elementwise primitives, shared by the vjp and jvp rules.
import type { MxArray } from '../../core/array.ts';
import type { UnaryPrim, BinaryPrim } from '../../ir/primitive.ts';
import * as E from '../../ops/elementwise.ts';
import { bind } from '../../ops/core.ts';

/** A constant shaped like x. */
export const constLike = (x: MxArray, v: number): MxArray => bind('full', [], { value: v }, x.shape, x.dtype, x.device);

const { multiply: mul, divide: div, add, subtract: sub, square, exp, negative: neg } = E;

/** dy/dx of a unary primitive, given x and y = f(x); null = zero derivative. */
export const UNARY_DERIV: { [P in UnaryPrim]: ((x: MxArray, y: MxArray) => MxArray) | null } = {
  abs: (x) => E.sign(x),
  negative: (x) => constLike(x, -1),
  sign: null,
  sqrt: (_x, y) => div(0.5, y),
  rsqrt: (x, y) => mul(-0.5, div(y, x)),
  square: (x) => mul(2, x),
  reciprocal: (_x, y) => neg(square(y)),
  exp: (_x, y) => y,
  expm1: (_x, y) => add(y, 1),
  log: (x) => E.reciprocal(x),
  log1p: (x) => E.reciprocal(add(x, 1)),
  log2: (x) => E.reciprocal(mul(x, Math.LN2)),
  log10: (x) => E.reciprocal(mul(x, Math.LN10)),
  sin: (x) => E.cos(x),
  cos: (x) => neg(E.sin(x)),
  tan: (_x, y) => add(1, square(y)),
  arcsin: (x) => E.rsqrt(sub(1, square(x))),
  arccos: (x) => neg(E.rsqrt(sub(1, square(x)))),
  arctan: (x) => E.reciprocal(add(1, square(x))),
  sinh: (x) => E.cosh(x),
  cosh: (x) => E.sinh(x),
  tanh: (_x, y) => sub(1, square(y)),
  arcsinh: (x) => E.rsqrt(add(square(x), 1)),
  arccosh: (x) => E.rsqrt(sub(square(x), 1)),
  arctanh: (x) => E.reciprocal(sub(1, square(x))),
  sigmoid: (_x, y) => mul(y, sub(1, y)),
  erf: (x) => mul(2 / Math.sqrt(Math.PI), exp(neg(square(x)))),
  erfinv: (_x, y) => mul(Math.sqrt(Math.PI) / 2, exp(square(y))),
  floor: null,
  ceil: null,
  round: null,
  isnan: null,
  isinf: null,
  isfinite: null,
  logicalNot: null,
  bitwiseInvert: null,
  stopGradient: null,
};

/** [d/da, d/db] of a binary primitive given a, b and y; null = zero. */
export const BINARY_DERIV: { [P in BinaryPrim]: ((a: MxArray, b: MxArray, y: MxArray) => [MxArray | null, MxArray | null]) | null } = {
  add: (a) => [constLike(a, 1), constLike(a, 1)],
  subtract: (a) => [constLike(a, 1), constLike(a, -1)],
  multiply: (a, b) => [b, a],
  divide: (a, b) => [E.reciprocal(b), neg(div(a, square(b)))],
  floorDivide: null,
  remainder: (a, b) => [constLike(a, 1), neg(E.floor(div(a, b)))],
  power: (a, b, y) => [
    mul(b, E.power(a, sub(b, 1))),
    // log(a) * a^b, with 0 where a == 0 (the limit for b > 0)
    E.where(E.equal(a, 0), 0, mul(E.log(a), y)),
  ],
  maximum: (a, b) => [E.astype(E.greaterEqual(a, b), a.dtype), E.astype(E.less(a, b), a.dtype)],
  minimum: (a, b) => [E.astype(E.lessEqual(a, b), a.dtype), E.astype(E.greater(a, b), a.dtype)],
  arctan2: (a, b) => {
    const d = add(square(a), square(b));
    return [div(b, d), neg(div(a, d))];
  },
  logaddexp: (a, b, y) => [exp(sub(a, y)), exp(sub(b, y))],
  equal: null, notEqual: null, greater: null, greaterEqual: null, less: null, lessEqual: null,
  logicalAnd: null, logicalOr: null, bitwiseAnd: null, bitwiseOr: null, bitwiseXor: null,
  leftShift: null, rightShift: null,
};
