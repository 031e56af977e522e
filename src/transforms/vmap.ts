// vmap: trace the function on one slice of the batch, then replay the traced graph with
// each primitive's batching rule (batch axis kept at 0 internally).
import { MxArray } from '../core/array.ts';
import { type Prim, type ParamsOf, type CustomImpl, isUnary, isBinary, isReduce, isScan } from '../ir/primitive.ts';
import { bind } from '../ops/core.ts';
import { callExtern } from '../ops/extern.ts';
import * as E from '../ops/elementwise.ts';
import * as S from '../ops/shape.ts';
import { normAxis } from '../core/shape.ts';
import { mark, traceBetween } from './trace.ts';
import { treeFlatten, treeUnflatten, type Tree } from './tree.ts';

type B = { v: MxArray; batched: boolean };

/** Broadcasts an unbatched value to carry the batch axis in front. */
const lift = (x: B, n: number): MxArray => (x.batched ? x.v : E.broadcastTo(S.expandDims(x.v, 0), [n, ...x.v.shape]));

/** Applies one primitive to batched inputs (batch axis 0); returns a batched result. */
function batchRule(n: number, prim: Prim, ins: B[], y: MxArray, p: unknown): MxArray {
  const out = [n, ...y.shape];
  const P = p as ParamsOf<Prim>;
  const all = () => ins.map((x) => lift(x, n));
  if (isUnary(prim) || isBinary(prim) || prim === 'where' || prim === 'astype' || prim === 'complexView') return bind(prim, all(), P, out, y.dtype, y.device);
  if (isReduce(prim)) return bind(prim, all(), { axes: (P as ParamsOf<'sum'>).axes.map((a) => a + 1) }, out, y.dtype, y.device);
  if (isScan(prim)) return bind(prim, all(), { ...(P as ParamsOf<'cumsum'>), axis: (P as ParamsOf<'cumsum'>).axis + 1 }, out, y.dtype, y.device);
  switch (prim) {
    case 'reshape': return S.reshape(ins[0].v, out);
    case 'transpose': return S.transpose(ins[0].v, [0, ...(P as ParamsOf<'transpose'>).perm.map((d) => d + 1)]);
    case 'slice': {
      const q = P as ParamsOf<'slice'>;
      return bind('slice', [ins[0].v], { start: [0, ...q.start], step: [1, ...q.step] }, out, y.dtype, y.device);
    }
    case 'broadcast': {
      const x = ins[0].v;
      const lead = y.ndim - (x.ndim - 1);
      const r = S.reshape(x, [n, ...Array(lead).fill(1), ...x.shape.slice(1)]);
      return E.broadcastTo(r, out);
    }
    case 'pad': {
      const q = P as ParamsOf<'pad'>;
      return bind('pad', [ins[0].v], { low: [0, ...q.low], high: [0, ...q.high], value: q.value }, out, y.dtype, y.device);
    }
    case 'concatenate': return bind('concatenate', all(), { axis: (P as ParamsOf<'concatenate'>).axis + 1 }, out, y.dtype, y.device);
    case 'matmul': return bind('matmul', all(), {}, out, y.dtype, y.device);
    case 'gather':
      if (!ins[1].batched) return bind('gather', [ins[0].v, ins[1].v], { axis: (P as ParamsOf<'gather'>).axis + 1 }, out, y.dtype, y.device);
      break;
    case 'scatter':
      if (!ins[1].batched) {
        const [a, , u] = all();
        return bind('scatter', [a, ins[1].v, u], { mode: (P as ParamsOf<'scatter'>).mode, axis: (P as ParamsOf<'scatter'>).axis + 1 }, out, y.dtype, y.device);
      }
      break;
    case 'custom': {
      const impl = (P as ParamsOf<'custom'>).impl as CustomImpl;
      if (impl.vmap) {
        const [res] = impl.vmap(ins.slice(0, -1).map((x) => x.v), ins.slice(0, -1).map((x) => (x.batched ? 0 : null)));
        return lift({ v: res[(P as ParamsOf<'custom'>).index] as MxArray, batched: true }, n);
      }
      return lift(ins[ins.length - 1], n);
    }
    case 'extern': {
      const q = P as ParamsOf<'extern'>;
      if (q.op.vmap) return q.op.vmap(ins.map((x) => x.v), ins.map((x) => (x.batched ? 0 : null)), q.attrs)[q.index];
      // per element, each a call of its own (a call's outputs share one kernel run)
      const parts: MxArray[] = [];
      for (let b = 0; b < n; b++) {
        const xs = ins.map((x) => (x.batched ? S.squeeze(S.sliceAxes(x.v, [0], [b], [b + 1]), 0) : x.v));
        parts.push(callExtern(q.op, xs, q.attrs, y.device)[q.index]);
      }
      return S.stack(parts, 0);
    }
  }
  // any other case: apply per batch element and stack (correct, if not fast)
  const parts: MxArray[] = [];
  for (let b = 0; b < n; b++) {
    const xs = ins.map((x) => (x.batched ? S.squeeze(S.sliceAxes(x.v, [0], [b], [b + 1]), 0) : x.v));
    parts.push(bind(prim, xs, P, y.shape, y.dtype, y.device));
  }
  return S.stack(parts, 0);
}

export type Axes = number | null | (number | null)[];

/**
 * Vectorises fn over an axis of its inputs.
 * @example
 * const perExample = mx.vmap((x) => mx.sum(mx.square(x)), { inAxes: 0 });
 * perExample(mx.ones([8, 3])) // shape [8]
 */
export function vmap<F extends (...args: any[]) => any>(fn: F, options: { inAxes?: Axes; outAxes?: Axes } = {}): (...args: Parameters<F>) => ReturnType<F> {
  return ((...args: unknown[]) => {
    const inAxes = Array.isArray(options.inAxes) ? options.inAxes : args.map(() => (options.inAxes === undefined ? 0 : (options.inAxes as number | null)));
    if (inAxes.length !== args.length) throw new Error(`[vmap] inAxes has ${inAxes.length} entries for ${args.length} arguments.`);
    let n = -1;
    const marks: MxArray[] = [];
    const sources = new Map<MxArray, MxArray>();
    const traced = args.map((a, i) => {
      const ax = inAxes[i];
      const leaves = treeFlatten(a);
      return treeUnflatten(leaves.map(([p, l]) => {
        if (!(l instanceof MxArray) || ax === null) return [p, l];
        const axis = normAxis('vmap', ax, l.ndim);
        const size = l.shape[axis];
        if (n >= 0 && size !== n) throw new Error(`[vmap] Inconsistent sizes along the mapped axes: ${n} and ${size}.`);
        n = size;
        if (n === 0) throw new Error('[vmap] Cannot map over an axis of size 0.');
        const moved = S.moveaxis(l, axis, 0);
        const m = mark(S.squeeze(S.sliceAxes(moved, [0], [0], [1]), 0));
        marks.push(m);
        sources.set(m, moved);
        return [p, m];
      }));
    });
    if (n < 0) throw new Error('[vmap] At least one input must be mapped (inAxes all null).');
    const result = fn(...traced) as Tree;
    const outLeaves = treeFlatten(result);
    const outs = outLeaves.map(([, l]) => l).filter((l): l is MxArray => l instanceof MxArray);
    const { order, dep } = traceBetween(outs, new Set(marks));
    const env = new Map<MxArray, B>();
    for (const m of marks) env.set(m, { v: sources.get(m)!, batched: true });
    for (const node of order) {
      if (env.has(node) || !dep.has(node) || !node._node) continue;
      const ins = node._node.inputs.map((x) => env.get(x) ?? { v: x, batched: false });
      env.set(node, { v: batchRule(n, node._node.prim, ins, node, node._node.params), batched: true });
    }
    const outAxesList = Array.isArray(options.outAxes) ? options.outAxes : outs.map(() => (options.outAxes === undefined ? 0 : (options.outAxes as number | null)));
    let k = 0;
    return treeUnflatten(outLeaves.map(([p, l]) => {
      if (!(l instanceof MxArray)) return [p, l];
      const ax = outAxesList[k++] ?? 0;
      const b = env.get(l) ?? { v: l, batched: false };
      const v = lift(b, n);
      return [p, ax === null || ax === 0 ? v : S.moveaxis(v, 0, ax)];
    })) as ReturnType<F>;
  }) as (...args: Parameters<F>) => ReturnType<F>;
}
