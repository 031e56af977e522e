// complex64 by lowering: a complex array is float32 (re, im) pairs behind one `complexView`
// node, and every primitive applied to complex operands is rewritten here (from `bind`) into
// float32 ops on the pairs. Kernels, fusion, transforms and both devices then need nothing
// complex-specific, and complex arithmetic fuses like real arithmetic.
import { type MxArray } from '../core/array.ts';
import { type Dtype, bool, complex64, float32, isComplex } from '../core/dtype.ts';
import { type Device, type StreamOpt, resolveDevice } from '../core/device.ts';
import { broadcastShapes } from '../core/shape.ts';
import type { Prim, ParamsOf, UnaryPrim, BinaryPrim } from '../ir/primitive.ts';
import { isBinary, isReduce, isScan, isUnary } from '../ir/primitive.ts';
import { bind, installComplexLowering, operands, type ArrayInput } from './core.ts';
import * as E from './elementwise.ts';
import * as R from './reduce.ts';
import * as S from './shape.ts';
import { full } from './creation.ts';
import { matmul } from './matmul.ts';

const on = (dev: Device): StreamOpt => ({ stream: dev });

/** complex64 [...S] as float32 [...S, 2]; shares memory with z. */
export function toPairs(z: MxArray): MxArray {
  const node = z._node;
  if (node?.prim === 'complexView' && (node.params as ParamsOf<'complexView'>).toComplex && !marks.has(z)) return node.inputs[0];
  return bind('complexView', [z], { toComplex: false }, [...z.shape, 2], float32, z.device);
}

// Fresh nodes that transforms use to mark their inputs: reading through them must keep them.
const marks = new WeakSet<MxArray>();

/** float32 [...S, 2] (re, im) as complex64 [...S]. */
export function fromPairs(p: MxArray): MxArray {
  const node = p._node;
  if (node?.prim === 'complexView' && !(node.params as ParamsOf<'complexView'>).toComplex) return node.inputs[0];
  const q = p.dtype === float32 ? p : E.astype(p, float32, on(p.device));
  return bind('complexView', [q], { toComplex: true }, p.shape.slice(0, -1), complex64, p.device);
}

/** (re, im) parts of an operand: complex as is, real with a zero imaginary part. */
function parts(x: MxArray): [MxArray, MxArray] {
  if (!isComplex(x.dtype)) {
    const re = E.astype(x, float32, on(x.device));
    return [re, E.multiply(re, 0, on(x.device))];
  }
  const p = toPairs(x);
  const known = partsOf.get(p);
  if (known) return known;
  const last = p.ndim - 1;
  const pick = (k: number) => S.squeeze(S.sliceAxes(p, [last], [k], [k + 1]), last);
  return [pick(0), pick(1)];
}

/** complex64 from real and imaginary parts of one shape. */
function make(re: MxArray, im: MxArray): MxArray {
  return fromPairs(interleave(re, im));
}

// The parts each pair array was built from: a chain of complex ops then reads them directly
// and stays one real expression (no pairs materialised in between).
const partsOf = new WeakMap<MxArray, [MxArray, MxArray]>();

/** float32 [...S, 2] from two [...S] parts, as padding and an add: elementwise, so it fuses. */
function interleave(re0: MxArray, im0: MxArray): MxArray {
  const [re, im] = [E.astype(re0, float32), E.astype(im0, float32)];
  const w = (lo: number, hi: number) => [...re.shape.map(() => [0, 0]), [lo, hi]];
  const f = (x: MxArray) => S.expandDims(x, -1);
  const p = E.add(S.pad(f(re), w(0, 1)), S.pad(f(im), w(1, 0)));
  partsOf.set(p, [re, im]);
  return p;
}

/** Pairs of a complex operand, or of a real one cast to complex. */
function pairsOf(x: MxArray): MxArray {
  if (isComplex(x.dtype)) return toPairs(x);
  const [re, im] = parts(x);
  return interleave(re, im);
}

function unsupported(prim: string, ins: MxArray[]): never {
  const desc = ins.map((x) => `${x.dtype.name} (${x.shape.join(',')})`).join(', ');
  throw new TypeError(`[${prim}] complex64 is not supported by this op; got ${desc || 'no inputs'}.`);
}

// complex functions from real ones, with z = x + iy
const cmul = ([a, b]: MxArray[], [c, d]: MxArray[]): MxArray[] => [E.subtract(E.multiply(a, c), E.multiply(b, d)), E.add(E.multiply(a, d), E.multiply(b, c))];
function cdiv([a, b]: MxArray[], [c, d]: MxArray[]): MxArray[] {
  const den = E.add(E.multiply(c, c), E.multiply(d, d));
  return [E.divide(E.add(E.multiply(a, c), E.multiply(b, d)), den), E.divide(E.subtract(E.multiply(b, c), E.multiply(a, d)), den)];
}
const cabs = ([x, y]: MxArray[]): MxArray => E.sqrt(E.add(E.multiply(x, x), E.multiply(y, y)));
const cexp = ([x, y]: MxArray[]): MxArray[] => {
  const m = E.exp(x);
  return [E.multiply(m, E.cos(y)), E.multiply(m, E.sin(y))];
};
const clog = (z: MxArray[]): MxArray[] => [E.log(cabs(z)), E.arctan2(z[1], z[0])];
function csqrt(z: MxArray[]): MxArray[] {
  const [x, y] = z;
  const r = cabs(z);
  const re = E.sqrt(E.multiply(E.add(r, x), 0.5));
  const im = E.sqrt(E.multiply(E.subtract(r, x), 0.5));
  // the principal root: Im has the sign of y (including -0)
  return [re, E.where(E.less(y, 0), E.negative(im), im)];
}
const csin = ([x, y]: MxArray[]): MxArray[] => [E.multiply(E.sin(x), E.cosh(y)), E.multiply(E.cos(x), E.sinh(y))];
const ccos = ([x, y]: MxArray[]): MxArray[] => [E.multiply(E.cos(x), E.cosh(y)), E.negative(E.multiply(E.sin(x), E.sinh(y)))];
const csinh = ([x, y]: MxArray[]): MxArray[] => [E.multiply(E.sinh(x), E.cos(y)), E.multiply(E.cosh(x), E.sin(y))];
const ccosh = ([x, y]: MxArray[]): MxArray[] => [E.multiply(E.cosh(x), E.cos(y)), E.multiply(E.sinh(x), E.sin(y))];

const UNARY_C: Partial<Record<UnaryPrim, (z: MxArray[]) => MxArray[]>> = {
  negative: ([x, y]) => [E.negative(x), E.negative(y)],
  square: (z) => cmul(z, z),
  reciprocal: (z) => cdiv([E.add(E.multiply(z[0], 0), 1), E.multiply(z[0], 0)], z),
  exp: cexp,
  expm1: (z) => {
    const [a, b] = cexp(z);
    return [E.subtract(a, 1), b];
  },
  log: clog,
  log1p: ([x, y]) => clog([E.add(x, 1), y]),
  log2: (z) => clog(z).map((v) => E.multiply(v, Math.LOG2E)),
  log10: (z) => clog(z).map((v) => E.multiply(v, Math.LOG10E)),
  sqrt: csqrt,
  rsqrt: (z) => cdiv([E.add(E.multiply(z[0], 0), 1), E.multiply(z[0], 0)], csqrt(z)),
  sin: csin,
  cos: ccos,
  tan: (z) => cdiv(csin(z), ccos(z)),
  sinh: csinh,
  cosh: ccosh,
  tanh: (z) => cdiv(csinh(z), ccosh(z)),
  sign: (z) => {
    const r = cabs(z);
    const zero = E.equal(r, 0);
    const safe = E.where(zero, 1, r);
    return z.map((v) => E.where(zero, 0, E.divide(v, safe)));
  },
  stopGradient: (z) => z.map((v) => E.stopGradient(v)),
};

const BINARY_C: Partial<Record<BinaryPrim, (a: MxArray[], b: MxArray[]) => MxArray[]>> = {
  add: (a, b) => [E.add(a[0], b[0]), E.add(a[1], b[1])],
  subtract: (a, b) => [E.subtract(a[0], b[0]), E.subtract(a[1], b[1])],
  multiply: cmul,
  divide: cdiv,
  // z^w = e^(w log z), with 0^w = 0 (NumPy's value for Re w > 0)
  power: (a, b) => {
    const zero = E.logicalAnd(E.equal(a[0], 0), E.equal(a[1], 0));
    const safe = [E.where(zero, 1, a[0]), a[1]];
    return cexp(cmul(b, clog(safe))).map((v) => E.where(zero, 0, v));
  },
};

/** Rewrites primitive `prim` applied to complex operands (or giving complex64) as float ops. */
function lower(prim: Prim, ins: MxArray[], params: unknown, shape: readonly number[], dtype: Dtype, dev: Device): MxArray {
  const o = on(dev);
  const pshape = [...shape, 2];
  if (isUnary(prim)) {
    const z = parts(ins[0]);
    if (prim === 'abs') return cabs(z);
    if (prim === 'isnan' || prim === 'isinf') return E.logicalOr(E[prim](z[0]), E[prim](z[1]));
    if (prim === 'isfinite') return E.logicalAnd(E.isfinite(z[0]), E.isfinite(z[1]));
    const f = UNARY_C[prim];
    if (!f) unsupported(prim, ins);
    const [re, im] = f(z);
    return make(re, im);
  }
  if (isBinary(prim)) {
    const a = parts(ins[0]), b = parts(ins[1]);
    if (prim === 'equal') return E.logicalAnd(E.equal(a[0], b[0]), E.equal(a[1], b[1]));
    if (prim === 'notEqual') return E.logicalOr(E.notEqual(a[0], b[0]), E.notEqual(a[1], b[1]));
    const f = BINARY_C[prim];
    if (!f) unsupported(prim, ins);
    const [re, im] = f(a, b);
    return make(re, im);
  }
  if (isReduce(prim)) {
    const { axes } = params as ParamsOf<'sum'>;
    if (prim === 'sum') return fromPairs(bind('sum', [toPairs(ins[0])], { axes }, pshape, float32, dev));
    if (prim === 'prod') {
      // in polar form: magnitudes multiply, angles add
      const [lr, th] = clog(parts(ins[0]));
      const m = E.exp(R.sum(lr, axes, true));
      const t = R.sum(th, axes, true);
      return make(E.multiply(m, E.cos(t)), E.multiply(m, E.sin(t)));
    }
    unsupported(prim, ins);
  }
  if (isScan(prim)) {
    if (prim !== 'cumsum') unsupported(prim, ins);
    const q = params as ParamsOf<'cumsum'>;
    return fromPairs(bind('cumsum', [toPairs(ins[0])], q, pshape, float32, dev));
  }
  switch (prim) {
    case 'full':
      return make(full(shape, (params as ParamsOf<'full'>).value, float32, o), full(shape, 0, float32, o));
    case 'astype':
      // complex to complex only comes from transforms marking inputs: a fresh node is wanted
      if (isComplex(dtype)) {
        const m = bind('complexView', [pairsOf(ins[0])], { toComplex: true }, shape, complex64, dev);
        marks.add(m);
        return m;
      }
      return E.astype(parts(ins[0])[0], dtype, o);
    case 'reshape': return fromPairs(S.reshape(toPairs(ins[0]), pshape));
    case 'transpose': return fromPairs(S.transpose(toPairs(ins[0]), [...(params as ParamsOf<'transpose'>).perm, shape.length]));
    case 'slice': {
      const q = params as ParamsOf<'slice'>;
      return fromPairs(bind('slice', [toPairs(ins[0])], { start: [...q.start, 0], step: [...q.step, 1] }, pshape, float32, dev));
    }
    case 'broadcast': return fromPairs(E.broadcastTo(toPairs(ins[0]), pshape, o));
    case 'pad': {
      const q = params as ParamsOf<'pad'>;
      const [re, im] = parts(ins[0]);
      const p = (x: MxArray, value: number) => bind('pad', [x], { ...q, value }, shape, float32, dev);
      return make(p(re, q.value), p(im, 0));
    }
    case 'concatenate':
      return fromPairs(bind('concatenate', ins.map(pairsOf), params as ParamsOf<'concatenate'>, pshape, float32, dev));
    case 'gather':
      return fromPairs(bind('gather', [toPairs(ins[0]), ins[1]], params as ParamsOf<'gather'>, pshape, float32, dev));
    case 'scatter': {
      const q = params as ParamsOf<'scatter'>;
      if (q.mode !== 'set' && q.mode !== 'add') unsupported(`scatter (${q.mode})`, ins);
      return fromPairs(bind('scatter', [pairsOf(ins[0]), ins[1], pairsOf(ins[2])], q, pshape, float32, dev));
    }
    case 'where': {
      const c = E.broadcastTo(S.expandDims(ins[0], -1), pshape, o);
      return fromPairs(bind('where', [c, pairsOf(ins[1]), pairsOf(ins[2])], {}, pshape, float32, dev));
    }
    case 'matmul': {
      const [a, b] = [parts(ins[0]), parts(ins[1])];
      const mm = (x: MxArray, y: MxArray) => matmul(x, y, o);
      return make(E.subtract(mm(a[0], b[0]), mm(a[1], b[1])), E.add(mm(a[0], b[1]), mm(a[1], b[0])));
    }
    default:
      return unsupported(prim, ins);
  }
}

installComplexLowering((prim, ins, params, shape, dtype, dev) => {
  const out = lower(prim, ins, params, shape, dtype, dev);
  // a rule must give what the op promised (abs and predicates give real results)
  const want = prim === 'abs' ? float32 : dtype;
  if (out.dtype !== want && !(want === bool && out.dtype === bool)) throw new Error(`internal: complex ${prim} gave ${out.dtype.name}, expected ${want.name}`);
  return out;
});

/**
 * The real part (a real array is returned as is).
 * @example
 * await mx.real(mx.array([{ re: 1, im: 2 }])).tolist() // [1]
 */
export function real(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x] = operands('real', [a], resolveDevice(opts));
  return isComplex(x.dtype) ? parts(x)[0] : x;
}

/**
 * The imaginary part (zeros for a real array).
 * @example
 * await mx.imag(mx.array([{ re: 1, im: 2 }])).tolist() // [2]
 */
export function imag(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x] = operands('imag', [a], resolveDevice(opts));
  return isComplex(x.dtype) ? parts(x)[1] : E.multiply(x, 0, opts);
}

/**
 * The complex conjugate (a real array is returned as is).
 * @example
 * mx.conj(mx.array([{ re: 1, im: 2 }])) // [1-2j]
 */
export function conj(a: ArrayInput, opts?: StreamOpt): MxArray {
  const [x] = operands('conj', [a], resolveDevice(opts));
  if (!isComplex(x.dtype)) return x;
  const [re, im] = parts(x);
  return make(re, E.negative(im));
}

/** MLX's other name for conj. @example mx.conjugate(z) */
export const conjugate = conj;

/**
 * The argument (phase) in radians, atan2(imag, real); in degrees with `deg` (NumPy's angle).
 * @example
 * await mx.angle(mx.array([{ re: 0, im: 1 }])).tolist() // [1.5707963]
 */
export function angle(a: ArrayInput, deg = false, opts?: StreamOpt): MxArray {
  const [x] = operands('angle', [a], resolveDevice(opts));
  const [re, im] = parts(x);
  const t = E.arctan2(im, re);
  return deg ? E.multiply(t, 180 / Math.PI) : t;
}

/**
 * A complex64 array from real and imaginary parts (broadcast together); like JAX's
 * `lax.complex`. MLX spells this `re + 1j * im`.
 * @example
 * const z = mx.complex(mx.array([1, 2]), mx.array([0, -1])); // [1+0j, 2-1j]
 */
export function complex(re: ArrayInput, im: ArrayInput, opts?: StreamOpt): MxArray {
  const dev = resolveDevice(opts);
  const [a, b] = operands('complex', [re, im], dev);
  for (const x of [a, b]) if (isComplex(x.dtype)) throw new TypeError(`[complex] Parts must be real; got ${a.dtype.name} and ${b.dtype.name}.`);
  const shape = broadcastShapes('complex', a.shape, b.shape);
  return make(E.broadcastTo(E.astype(a, float32, on(dev)), shape, on(dev)), E.broadcastTo(E.astype(b, float32, on(dev)), shape, on(dev)));
}
