// Forward-mode rules: the output tangent from input tangents (null = zero tangent).
import type { MxArray } from '../../core/array.ts';
import { isFloating } from '../../core/dtype.ts';
import { type Prim, type ParamsOf, UNARY, BINARY, type UnaryPrim, type BinaryPrim } from '../../ir/primitive.ts';
import { bind } from '../../ops/core.ts';
import * as E from '../../ops/elementwise.ts';
import * as R from '../../ops/reduce.ts';
import * as S from '../../ops/shape.ts';
import { matmul } from '../../ops/matmul.ts';
import { zeros } from '../../ops/creation.ts';
import { takeAlongAxis } from '../../ops/indexing.ts';
import { UNARY_DERIV, BINARY_DERIV } from './derivs.ts';
import { scanSource } from './vjp.ts';

export type JvpRule<P extends Prim> = (t: (MxArray | null)[], y: MxArray, ins: MxArray[], p: ParamsOf<P>) => MxArray | null;

const { multiply: mul, divide: div, add } = E;
/** A tangent, materialising zeros where an input has none. */
const tz = (t: MxArray | null, like: MxArray): MxArray => t ?? zeros(like.shape, like.dtype);
const sumT = (a: MxArray | null, b: MxArray | null): MxArray | null => (a && b ? add(a, b) : a ?? b);

const unaryRules = Object.fromEntries(UNARY.map((u) => [u, ((t, y, ins) => {
  const d = UNARY_DERIV[u];
  return d && t[0] ? mul(t[0], d(ins[0], y)) : null;
}) as JvpRule<UnaryPrim>])) as { [P in UnaryPrim]: JvpRule<P> };

const binaryRules = Object.fromEntries(BINARY.map((b) => [b, ((t, y, ins) => {
  const d = BINARY_DERIV[b];
  if (!d) return null;
  const [da, db] = d(ins[0], ins[1], y);
  return sumT(t[0] && da ? mul(t[0], da) : null, t[1] && db ? mul(t[1], db) : null);
}) as JvpRule<BinaryPrim>])) as { [P in BinaryPrim]: JvpRule<P> };

/** Re-applies a linear primitive to tangents (same params, tangent dtype). */
const linear = <P extends Prim>(prim: P) => ((t, y, ins, p) => {
  if (t.every((x) => x === null)) return null;
  const ts = t.map((x, i) => tz(x, ins[i]));
  return bind(prim, ts, p, y.shape, ts[0].dtype, y.device);
}) as JvpRule<P>;

function extremeJvp(t: MxArray | null, y: MxArray, x: MxArray): MxArray | null {
  if (!t) return null;
  const mask = E.astype(E.equal(x, y), t.dtype);
  const axes = Array.from({ length: x.ndim }, (_, i) => i).filter((i) => y.shape[i] === 1 && x.shape[i] !== 1);
  return div(R.sum(mul(t, mask), axes, true), R.sum(mask, axes, true));
}

export const JVP: { [P in Prim]: JvpRule<P> } = {
  ...unaryRules,
  ...binaryRules,
  where: (t, _y, [c, a, b]) => (t[1] || t[2] ? E.where(c, tz(t[1], a), tz(t[2], b)) : null),
  astype: (t, y) => (t[0] && isFloating(y.dtype) ? E.astype(t[0], y.dtype) : null),
  full: () => null,
  arange: () => null,
  reshape: linear('reshape'),
  transpose: linear('transpose'),
  slice: linear('slice'),
  broadcast: linear('broadcast'),
  pad: (t, y, [x], p) => (t[0] ? bind('pad', [t[0]], { ...p, value: 0 }, y.shape, t[0].dtype, y.device) : (void x, null)),
  concatenate: linear('concatenate'),
  gather: (t, y, [, idx], p) => (t[0] ? bind('gather', [t[0], idx], p, y.shape, t[0].dtype, y.device) : null),
  scatter: (t, y, [a, idx, u], p) => {
    if (!t[0] && !t[2]) return null;
    const ta = tz(t[0], a), tu = tz(t[2], u);
    switch (p.mode) {
      case 'add': case 'set': return bind('scatter', [ta, idx, tu], { axis: p.axis, mode: p.mode }, y.shape, ta.dtype, y.device);
      case 'prod': {
        // d(a * prod u) = y * (ta / a + scatter-sum(tu / u))
        const s = bind('scatter', [zeros(a.shape, ta.dtype), idx, div(tu, u)], { axis: p.axis, mode: 'add' }, y.shape, ta.dtype, y.device);
        return mul(y, add(div(ta, a), s));
      }
      default: {
        const fromA = mul(ta, E.astype(E.equal(a, y), ta.dtype));
        const yu = bind('gather', [y, idx], { axis: p.axis }, u.shape, y.dtype, y.device);
        const won = mul(tu, E.astype(E.equal(u, yu), tu.dtype));
        const cleared = bind('scatter', [fromA, idx, zeros(u.shape, ta.dtype)], { axis: p.axis, mode: 'set' }, y.shape, ta.dtype, y.device);
        const pick = E.where(E.equal(a, y), fromA, cleared);
        return bind('scatter', [pick, idx, won], { axis: p.axis, mode: p.mode }, y.shape, ta.dtype, y.device);
      }
    }
  },
  matmul: (t, _y, [a, b]) => sumT(t[0] ? matmul(t[0], b) : null, t[1] ? matmul(a, t[1]) : null),
  randomBits: () => null,
  sum: linear('sum'),
  prod: (t, y, [x]) => (t[0] ? R.sum(mul(div(t[0], x), y), y.shape.map((d, i) => (d === 1 && x.shape[i] !== 1 ? i : -1)).filter((i) => i >= 0), true) : null),
  max: (t, y, [x]) => extremeJvp(t[0], y, x),
  min: (t, y, [x]) => extremeJvp(t[0], y, x),
  argmax: () => null,
  argmin: () => null,
  cumsum: linear('cumsum'),
  cumprod: (t, y, [x], p) => {
    if (!t[0]) return null;
    // y_i = prod x_<=i  =>  dy_i = sum_j<=i y_i * t_j / x_j (inclusive form, shifted for exclusive)
    const incl = p.inclusive ? y : R.cumprod(x, p.axis, p.reverse, true);
    const d = mul(incl, R.cumsum(div(t[0], x), p.axis, p.reverse, true));
    return p.inclusive ? d : shiftExclusive(d, p.axis, p.reverse);
  },
  cummax: (t, y, [x], p) => scanExtremeJvp('cummax', t[0], y, x, p),
  cummin: (t, y, [x], p) => scanExtremeJvp('cummin', t[0], y, x, p),
  custom: (t, y) => t[t.length - 1] ?? (void y, null),
  complexView: (t, y, _ins, p) => (t[0] ? bind('complexView', [p.toComplex ? E.astype(t[0], 'float32') : t[0]], p, y.shape, y.dtype, y.device) : null),
  extern: (t, _y, ins, p) => {
    if (t.every((x) => x === null)) return null;
    if (p.op.jvp) return p.op.jvp(ins, p.call.outs, t, p.index, p.attrs);
    throw new Error(`[${p.op.name}] has no forward-mode (jvp) rule.`);
  },
};

/** Turns an inclusive scan's values into the exclusive ones (shift away from the start). */
function shiftExclusive(d: MxArray, axis: number, reverse: boolean): MxArray {
  const n = d.shape[axis];
  if (n === 0) return d;
  const z = zeros(d.shape.map((s, i) => (i === axis ? 1 : s)), d.dtype);
  return reverse ? S.concatenate([S.sliceAxes(d, [axis], [1], [null]), z], axis) : S.concatenate([z, S.sliceAxes(d, [axis], [0], [n - 1])], axis);
}

function scanExtremeJvp(prim: 'cummax' | 'cummin', t: MxArray | null, _y: MxArray, x: MxArray, p: ParamsOf<'cummax'>): MxArray | null {
  if (!t) return null;
  const incl = bind(prim, [x], { ...p, inclusive: true }, x.shape, x.dtype, x.device);
  const src = scanSource(x, incl, p.axis, p.reverse);
  const d = takeAlongAxis(t, src, p.axis);
  return p.inclusive ? d : shiftExclusive(d, p.axis, p.reverse);
}
