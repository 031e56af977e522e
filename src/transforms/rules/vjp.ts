// Reverse-mode rules: for each primitive, input cotangents from the output cotangent.
// A missing entry fails tsc; null means no gradient flows to that input.
import type { MxArray } from '../../core/array.ts';
import { isFloating } from '../../core/dtype.ts';
import { type Prim, type ParamsOf, UNARY, BINARY, type UnaryPrim, type BinaryPrim } from '../../ir/primitive.ts';
import { bind } from '../../ops/core.ts';
import * as E from '../../ops/elementwise.ts';
import * as R from '../../ops/reduce.ts';
import * as S from '../../ops/shape.ts';
import { matmul } from '../../ops/matmul.ts';
import { zeros, arange } from '../../ops/creation.ts';
import { scatterAlongAxis } from '../../ops/indexing.ts';
import { UNARY_DERIV, BINARY_DERIV } from './derivs.ts';

export type VjpRule<P extends Prim> = (g: MxArray, y: MxArray, ins: MxArray[], p: ParamsOf<P>) => (MxArray | null)[];

const { multiply: mul, divide: div } = E;

/** Sums a cotangent over the axes a broadcast expanded, back to `shape`. */
export function unbroadcast(g: MxArray, shape: readonly number[]): MxArray {
  const lead = g.ndim - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.ndim; i++) if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  const s = axes.length ? R.sum(g, axes, true) : g;
  return S.reshape(s, shape);
}

/** Cotangent of a scan's inclusive form from the exclusive one: shift toward the scan start. */
function unshiftExclusive(g: MxArray, axis: number, reverse: boolean): MxArray {
  const n = g.shape[axis];
  if (n === 0) return g;
  const z = zeros(g.shape.map((d, i) => (i === axis ? 1 : d)), g.dtype);
  return reverse ? S.concatenate([z, S.sliceAxes(g, [axis], [0], [n - 1])], axis) : S.concatenate([S.sliceAxes(g, [axis], [1], [null]), z], axis);
}

/** Index along `axis` of the element each running max/min output came from. */
export function scanSource(x: MxArray, y: MxArray, axis: number, reverse: boolean): MxArray {
  const n = x.shape[axis];
  const shape = x.shape.map((_, i) => (i === axis ? n : 1));
  const pos = S.reshape(arange(0, n, 1, 'int32'), shape);
  const hit = E.equal(x, y);
  return reverse ? R.cummin(E.where(hit, pos, n), axis, true) : R.cummax(E.where(hit, pos, -1), axis, false);
}

const unaryRules = Object.fromEntries(UNARY.map((u) => [u, ((g, y, ins) => {
  const d = UNARY_DERIV[u];
  return [d ? mul(g, d(ins[0], y)) : null];
}) as VjpRule<UnaryPrim>])) as { [P in UnaryPrim]: VjpRule<P> };

const binaryRules = Object.fromEntries(BINARY.map((b) => [b, ((g, y, ins) => {
  const d = BINARY_DERIV[b];
  if (!d) return [null, null];
  const [da, db] = d(ins[0], ins[1], y);
  return [da ? mul(g, da) : null, db ? mul(g, db) : null];
}) as VjpRule<BinaryPrim>])) as { [P in BinaryPrim]: VjpRule<P> };

function reduceExtreme(g: MxArray, y: MxArray, x: MxArray): MxArray {
  // ties share the gradient equally
  const mask = E.astype(E.equal(x, y), g.dtype);
  return div(mul(g, mask), R.sum(mask, Array.from({ length: x.ndim }, (_, i) => i).filter((i) => y.shape[i] === 1 && x.shape[i] !== 1), true));
}

export const VJP: { [P in Prim]: VjpRule<P> } = {
  ...unaryRules,
  ...binaryRules,
  where: (g, _y, [c]) => [null, E.where(c, g, 0), E.where(c, 0, g)],
  astype: (g, _y, [x]) => [isFloating(x.dtype) ? E.astype(g, x.dtype) : null],
  full: () => [],
  arange: () => [],
  reshape: (g, _y, [x]) => [S.reshape(g, x.shape)],
  transpose: (g, _y, _i, p) => {
    const inv = new Array<number>(p.perm.length);
    p.perm.forEach((d, i) => (inv[d] = i));
    return [S.transpose(g, inv)];
  },
  slice: (g, _y, [x], p) => [unslice(g, x.shape, p.start, p.step)],
  broadcast: (g, _y, [x]) => [unbroadcast(g, x.shape)],
  pad: (g, _y, [x], p) => [S.sliceAxes(g, x.shape.map((_, i) => i), p.low, p.low.map((l, i) => l + x.shape[i]))],
  concatenate: (g, _y, ins, p) => {
    let at = 0;
    return ins.map((x) => {
      const r = S.sliceAxes(g, [p.axis], [at], [at + x.shape[p.axis]]);
      at += x.shape[p.axis];
      return r;
    });
  },
  gather: (g, _y, [a, idx], p) => [bind('scatter', [zeros(a.shape, g.dtype), idx, g], { axis: p.axis, mode: 'add' }, a.shape, g.dtype, g.device), null],
  scatter: (g, y, [a, idx, u], p) => {
    const gu = bind('gather', [g, idx], { axis: p.axis }, u.shape, g.dtype, g.device);
    switch (p.mode) {
      case 'add': return [g, null, gu];
      case 'set': return [bind('scatter', [g, idx, zeros(u.shape, g.dtype)], { axis: p.axis, mode: 'set' }, a.shape, g.dtype, g.device), null, gu];
      case 'prod': {
        const yu = bind('gather', [y, idx], { axis: p.axis }, u.shape, y.dtype, y.device);
        return [div(mul(g, y), a), null, div(mul(gu, yu), u)];
      }
      default: {
        const yu = bind('gather', [y, idx], { axis: p.axis }, u.shape, y.dtype, y.device);
        return [mul(g, E.astype(E.equal(a, y), g.dtype)), null, mul(gu, E.astype(E.equal(u, yu), g.dtype))];
      }
    }
  },
  matmul: (g, _y, [a, b]) => [matmul(g, S.swapaxes(b, -1, -2)), matmul(S.swapaxes(a, -1, -2), g)],
  randomBits: () => [null],
  sum: (g, _y, [x]) => [E.broadcastTo(g, x.shape)],
  prod: (g, y, [x]) => [div(mul(E.broadcastTo(g, x.shape), y), x)],
  max: (g, y, [x]) => [reduceExtreme(g, y, x)],
  min: (g, y, [x]) => [reduceExtreme(g, y, x)],
  argmax: () => [null],
  argmin: () => [null],
  cumsum: (g, _y, _i, p) => [R.cumsum(g, p.axis, !p.reverse, p.inclusive)],
  cumprod: (g, y, [x], p) => {
    const gi = p.inclusive ? g : unshiftExclusive(g, p.axis, p.reverse);
    const yi = p.inclusive ? y : R.cumprod(x, p.axis, p.reverse, true);
    return [div(R.cumsum(mul(gi, yi), p.axis, !p.reverse, true), x)];
  },
  cummax: (g, y, [x], p) => scanExtremeVjp('cummax', g, y, x, p),
  cummin: (g, y, [x], p) => scanExtremeVjp('cummin', g, y, x, p),
  custom: (g, _y, ins) => [...ins.slice(0, -1).map(() => null), g],
  // the adjoint of a reinterpretation is the reverse one: d/dRe + i d/dIm (PyTorch's convention)
  complexView: (g, y, [x], p) => [bind('complexView', [p.toComplex ? g : E.astype(g, 'float32')], { toComplex: !p.toComplex }, x.shape, x.dtype, y.device)],
  extern: (g, _y, ins, p) => {
    if (p.op.vjp) return p.op.vjp(ins, p.call.outs, g, p.index, p.attrs);
    if (ins.some((x) => isFloating(x.dtype))) throw new Error(`[${p.op.name}] has no gradient (vjp) rule.`);
    return ins.map(() => null);
  },
};

/** Places a strided slice's cotangent back at its positions with zeros elsewhere (pads, no scatter). */
function unslice(g: MxArray, shape: readonly number[], start: number[], step: number[]): MxArray {
  let r = g;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d], c = g.shape[d];
    let st = step[d], b = start[d];
    if (c === 0) return zeros(shape, g.dtype);
    if (st < 0) {
      // a reversed slice is the flip of a forward one starting at its last element
      r = S.flip(r, d);
      b = b + (c - 1) * st;
      st = -st;
    }
    if (st > 1) {
      // interleave st-1 zeros after each element along d
      const sh = [...r.shape];
      r = S.pad(S.expandDims(r, d + 1), Array.from({ length: r.ndim + 1 }, (_, i) => (i === d + 1 ? [0, st - 1] : [0, 0])));
      sh[d] = c * st;
      r = S.reshape(r, sh);
    }
    const len = r.shape[d];
    const end = b + len;
    if (end > n) r = S.sliceAxes(r, [d], [0], [n - b]);
    const low = r.shape.map(() => [0, 0]);
    low[d] = [b, n - b - r.shape[d]];
    r = S.pad(r, low);
  }
  return r;
}

function scanExtremeVjp(prim: 'cummax' | 'cummin', g: MxArray, y: MxArray, x: MxArray, p: ParamsOf<'cummax'>): (MxArray | null)[] {
  const gi = p.inclusive ? g : unshiftExclusive(g, p.axis, p.reverse);
  const yi = p.inclusive ? y : bind(prim, [x], { ...p, inclusive: true }, x.shape, x.dtype, x.device);
  const src = scanSource(x, yi, p.axis, p.reverse);
  return [scatterAlongAxis(zeros(x.shape, g.dtype), src, gi, p.axis, 'add')];
}

