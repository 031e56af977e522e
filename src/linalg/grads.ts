// Derivative rules of the linalg extern ops (MLX has none for its linalg primitives;
// these follow the standard matrix-calculus results). Ops that read one triangle of a
// symmetric input (cholesky, eigh) send the gradient to that triangle only.
import * as mx from '../index.ts';
import type { MxArray } from '../core/array.ts';
import { callExtern } from '../ops/extern.ts';
import { INV, type InvAttrs } from './externs.ts';

const mT = (x: MxArray) => mx.swapaxes(x, -1, -2);
const mm = (...xs: MxArray[]) => xs.reduce((a, b) => mx.matmul(a, b));
const eyeLike = (x: MxArray) => mx.eye(x.shape[x.ndim - 1], x.shape[x.ndim - 1], 0, x.dtype);
const diagPart = (x: MxArray) => mx.multiply(x, eyeLike(x));
const diagEmbed = (v: MxArray, n: number) => mx.multiply(mx.expandDims(v, -2), mx.eye(v.shape[v.ndim - 1], n, 0, v.dtype));
const triInv = (x: MxArray, upper: boolean) => callExtern(INV, [x], { tri: true, upper }, x.device)[0];

/** The gradient on the stored lower triangle from a gradient G on the symmetric matrix. */
const toLower = (g: MxArray) => mx.subtract(mx.tril(mx.add(g, mT(g))), diagPart(g));
/** The symmetric matrix a tangent of the lower triangle stands for. */
const fromLower = (t: MxArray) => mx.add(mx.tril(t), mT(mx.tril(t, -1)));
/** 1 / (w_j - w_i) off the diagonal, 0 on it. */
function gapMatrix(w: MxArray): MxArray {
  const d = mx.subtract(mx.expandDims(w, -2), mx.expandDims(w, -1));
  const eye = mx.eye(w.shape[w.ndim - 1], undefined, 0, mx.bool);
  return mx.where(eye, mx.zerosLike(d), mx.reciprocal(mx.where(eye, mx.onesLike(d), d)));
}
function mask(x: MxArray, p: InvAttrs): MxArray {
  return p.tri ? (p.upper ? mx.triu(x) : mx.tril(x)) : x;
}

export function invVjp(_ins: MxArray[], [y]: MxArray[], g: MxArray, _i: number, p: InvAttrs): (MxArray | null)[] {
  return [mask(mx.negative(mm(mT(y), g, mT(y))), p)];
}
export function invJvp(_ins: MxArray[], [y]: MxArray[], [t]: (MxArray | null)[], _i: number, p: InvAttrs): MxArray | null {
  return t && mx.negative(mm(y, mask(t, p), y));
}

/** Lower triangle with half the diagonal. */
const phi = (x: MxArray) => mx.subtract(mx.tril(x), mx.multiply(diagPart(x), 0.5));

export function choleskyVjp(_ins: MxArray[], [l]: MxArray[], g: MxArray): (MxArray | null)[] {
  const li = triInv(l, false);
  const s = mm(mT(li), phi(mm(mT(l), g)), li);
  return [toLower(s)];
}
export function choleskyJvp(_ins: MxArray[], [l]: MxArray[], [t]: (MxArray | null)[]): MxArray | null {
  if (!t) return null;
  const li = triInv(l, false);
  return mm(l, phi(mm(li, fromLower(t), mT(li))));
}

export function eighVjp(_ins: MxArray[], outs: MxArray[], g: MxArray, i: number): (MxArray | null)[] {
  const [w, v] = outs;
  if (i === 0) return [toLower(mm(v, diagEmbed(g, w.shape[w.ndim - 1]), mT(v)))];
  return [toLower(mm(v, mx.multiply(gapMatrix(w), mm(mT(v), g)), mT(v)))];
}
export function eighJvp(_ins: MxArray[], outs: MxArray[], [t]: (MxArray | null)[], i: number): MxArray | null {
  if (!t) return null;
  const [w, v] = outs;
  const x = mm(mT(v), fromLower(t), v);
  if (i === 0) return mx.sum(mx.multiply(x, eyeLike(x)), -1);
  return mm(v, mx.multiply(gapMatrix(w), x));
}

// The SVD's rules work on the thin factors: U1 (rows x k) and the square V of a tall
// matrix; a wide matrix is handled as its transpose. Columns of a full U (rows of Vt)
// beyond k are not unique: their tangents are NaN and their cotangents are ignored.
interface Thin {
  u1: MxArray;
  s: MxArray;
  v: MxArray;
}
function thin(outs: MxArray[]): { tall: boolean; k: number; f: Thin } {
  const [u, s, vt] = outs;
  const m = u.shape[u.ndim - 1], n = vt.shape[vt.ndim - 1], k = s.shape[s.ndim - 1];
  const tall = m >= n;
  const f = tall ? { u1: mx.sliceAxes(u, [u.ndim - 1], [0], [k]), s, v: mT(vt) } : { u1: mT(mx.sliceAxes(vt, [vt.ndim - 2], [0], [k])), s, v: u };
  return { tall, k, f };
}
function thinJvp({ u1, s, v }: Thin, t: MxArray): [MxArray, MxArray, MxArray] {
  const k = s.shape[s.ndim - 1];
  const f = gapMatrix(mx.square(s));
  const sd = diagEmbed(s, k);
  const dp = mm(mT(u1), t, v);
  const proj = mx.subtract(mm(t, v), mm(u1, mm(mT(u1), t, v)));
  const du = mx.add(mm(u1, mx.multiply(f, mx.add(mm(dp, sd), mm(sd, mT(dp))))), mx.divide(proj, mx.expandDims(s, -2)));
  const dv = mm(v, mx.multiply(f, mx.add(mm(sd, dp), mm(mT(dp), sd))));
  return [du, mx.sum(mx.multiply(dp, eyeLike(dp)), -1), dv];
}
function thinVjp({ u1, s, v }: Thin, gu: MxArray | null, gs: MxArray | null, gv: MxArray | null): MxArray {
  const k = s.shape[s.ndim - 1];
  const f = gapMatrix(mx.square(s));
  const sd = diagEmbed(s, k);
  let inner = gs ? diagEmbed(gs, k) : mx.zeros([k, k], s.dtype);
  let extra: MxArray | null = null;
  if (gu) {
    const j = mx.multiply(f, mm(mT(u1), gu));
    inner = mx.add(inner, mm(mx.add(j, mT(j)), sd));
    const proj = mx.subtract(gu, mm(u1, mm(mT(u1), gu)));
    extra = mm(mx.divide(proj, mx.expandDims(s, -2)), mT(v));
  }
  if (gv) {
    const kk = mx.multiply(f, mm(mT(v), gv));
    inner = mx.add(inner, mm(sd, mx.add(kk, mT(kk))));
  }
  const main = mm(u1, inner, mT(v));
  return extra ? mx.add(main, extra) : main;
}
const nanPad = (x: MxArray, axis: number, total: number) =>
  x.shape[x.ndim + axis] === total ? x : mx.concatenate([x, mx.full(x.shape.map((d, i) => (i === x.ndim + axis ? total - d : d)), NaN, x.dtype)], axis);

export function svdVjp(_ins: MxArray[], outs: MxArray[], g: MxArray, i: number): (MxArray | null)[] {
  const { tall, k, f } = thin(outs);
  const firstCols = (x: MxArray) => mx.sliceAxes(x, [x.ndim - 1], [0], [k]);
  if (i === 1) {
    const r = thinVjp(f, null, g, null);
    return [tall ? r : mT(r)];
  }
  if (tall) return [i === 0 ? thinVjp(f, firstCols(g), null, null) : thinVjp(f, null, null, mT(g))];
  // wide: the roles of U and V swap on the transpose
  return [mT(i === 0 ? thinVjp(f, null, null, g) : thinVjp(f, firstCols(mT(g)), null, null))];
}
export function svdJvp(_ins: MxArray[], outs: MxArray[], [t]: (MxArray | null)[], i: number): MxArray | null {
  if (!t) return null;
  const { tall, f } = thin(outs);
  const [du1, ds, dv] = thinJvp(f, tall ? t : mT(t));
  if (i === 1) return ds;
  const m = outs[0].shape[outs[0].ndim - 1], n = outs[2].shape[outs[2].ndim - 1];
  if (tall) return i === 0 ? nanPad(du1, -1, m) : mT(dv);
  return i === 0 ? dv : nanPad(mT(du1), -2, n);
}

const QR_WIDE = '[linalg.qr] Derivatives are only defined for inputs with at least as many rows as columns.';

export function qrVjp(_ins: MxArray[], [q, r]: MxArray[], g: MxArray, i: number): (MxArray | null)[] {
  if (q.shape[q.ndim - 2] < r.shape[r.ndim - 1]) throw new Error(QR_WIDE);
  const ri = triInv(r, true);
  const b = i === 0 ? mx.negative(mm(mT(q), g)) : mm(g, mT(r));
  const e = mx.add(mx.triu(b), mx.tril(mT(b), -1));
  const qe = mm(q, e);
  return [mm(i === 0 ? mx.add(g, qe) : qe, mT(ri))];
}
export function qrJvp(_ins: MxArray[], [q, r]: MxArray[], [t]: (MxArray | null)[], i: number): MxArray | null {
  if (!t) return null;
  if (q.shape[q.ndim - 2] < r.shape[r.ndim - 1]) throw new Error(QR_WIDE);
  const ri = triInv(r, true);
  const c = mm(mT(q), t, ri);
  const upper = mx.add(mx.triu(c), mT(mx.tril(c, -1)));
  if (i === 1) return mm(upper, r);
  return mx.subtract(mm(t, ri), mm(q, upper));
}

const LU_SQUARE = '[linalg.luFactor] Derivatives are only defined for square matrices.';

export function luVjp(_ins: MxArray[], outs: MxArray[], g: MxArray, i: number): (MxArray | null)[] {
  if (i !== 0) return [null];
  const [lu, , rowIdx] = outs;
  const n = lu.shape[lu.ndim - 1];
  if (lu.shape[lu.ndim - 2] !== n) throw new Error(LU_SQUARE);
  const l = mx.add(mx.tril(lu, -1), mx.eye(n, n, 0, lu.dtype)), u = mx.triu(lu);
  const e = mx.add(mx.tril(mm(mT(l), mx.tril(g, -1)), -1), mx.triu(mm(mx.triu(g), mT(u))));
  const gp = mm(mT(triInv(l, false)), e, mT(triInv(u, true)));
  return [mx.takeAlongAxis(gp, mx.expandDims(rowIdx, -1), -2)];
}
export function luJvp(_ins: MxArray[], outs: MxArray[], [t]: (MxArray | null)[], i: number): MxArray | null {
  if (!t || i !== 0) return null;
  const [lu, , , perm] = outs;
  const n = lu.shape[lu.ndim - 1];
  if (lu.shape[lu.ndim - 2] !== n) throw new Error(LU_SQUARE);
  const l = mx.add(mx.tril(lu, -1), mx.eye(n, n, 0, lu.dtype)), u = mx.triu(lu);
  const tp = mx.takeAlongAxis(t, mx.expandDims(perm, -1), -2);
  const x = mm(triInv(l, false), tp, triInv(u, true));
  return mx.add(mm(l, mx.tril(x, -1)), mm(mx.triu(x), u));
}
