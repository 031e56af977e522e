// Graph transforms over the lazy graph: each transform marks its inputs with a fresh
// identity node, runs the function (which builds more graph), then walks the graph between
// its marks and the outputs applying the primitives' rules. Rules build lazy graph too, so
// transforms nest in any order and the compiler sees forward and backward passes alike.
import { MxArray } from '../core/array.ts';
import type { CustomImpl } from '../ir/primitive.ts';
import { bind } from '../ops/core.ts';
import { zeros } from '../ops/creation.ts';
import * as E from '../ops/elementwise.ts';
import { isInexact } from '../core/dtype.ts';
import { VJP } from './rules/vjp.ts';
import { JVP } from './rules/jvp.ts';

/** A fresh graph node equal to x, so a transform can tell its inputs apart. */
export function mark(x: MxArray): MxArray {
  return bind('astype', [x], {}, x.shape, x.dtype, x.device);
}

/** Nodes between marks and outputs in topological order, and which depend on a mark. */
export function traceBetween(outs: MxArray[], marks: Set<MxArray>): { order: MxArray[]; dep: Set<MxArray> } {
  const order: MxArray[] = [];
  const seen = new Set<MxArray>();
  const stack: [MxArray, number][] = [];
  for (const o of outs) {
    if (seen.has(o)) continue;
    seen.add(o);
    stack.push([o, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const ins = marks.has(top[0]) ? [] : top[0]._node?.inputs ?? [];
      if (top[1] < ins.length) {
        const c = ins[top[1]++];
        if (!seen.has(c)) {
          seen.add(c);
          stack.push([c, 0]);
        }
      } else order.push(stack.pop()![0]);
    }
  }
  const dep = new Set<MxArray>();
  for (const n of order) {
    if (marks.has(n) || (n._node && n._node.inputs.some((x) => dep.has(x)))) dep.add(n);
  }
  return { order, dep };
}

/** Outputs of each customFunction call, registered when the call is made. */
export const customOutputs = new WeakMap<CustomImpl, MxArray[]>();

const accumulate = (m: Map<MxArray, MxArray>, k: MxArray, v: MxArray) => {
  const prev = m.get(k);
  m.set(k, prev ? E.add(prev, v) : v);
};

/**
 * Reverse pass: cotangents of `marks` given cotangents of `outs`. Unreached or
 * non-float marks get zeros.
 */
export function backward(outs: MxArray[], cts: MxArray[], marks: MxArray[]): MxArray[] {
  const markSet = new Set(marks);
  const { order, dep } = traceBetween(outs, markSet);
  const ct = new Map<MxArray, MxArray>();
  outs.forEach((o, i) => {
    if (dep.has(o)) accumulate(ct, o, E.astype(cts[i], o.dtype));
  });
  const firstPos = new Map<CustomImpl, number>();
  order.forEach((n, i) => {
    if (n._node?.prim === 'custom') {
      const impl = (n._node.params as { impl: CustomImpl }).impl;
      if (!firstPos.has(impl)) firstPos.set(impl, i);
    }
  });
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i];
    if (markSet.has(n) || !dep.has(n) || !n._node) continue;
    const node = n._node;
    if (node.prim === 'custom') {
      const impl = (node.params as { impl: CustomImpl }).impl;
      if (impl.vjp) {
        if (firstPos.get(impl) !== i) continue;
        const members = customOutputs.get(impl) ?? [n];
        const primals = node.inputs.slice(0, -1);
        const gs = members.map((m) => ct.get(m) ?? zeros(m.shape, m.dtype));
        const res = impl.vjp(primals, gs, members) as (MxArray | null)[];
        primals.forEach((x, k) => {
          const r = res[k];
          if (r && dep.has(x)) accumulate(ct, x, E.astype(r, x.dtype));
        });
        continue;
      }
    }
    const g = ct.get(n);
    if (!g) continue;
    const rule = VJP[node.prim] as (g: MxArray, y: MxArray, ins: MxArray[], p: unknown) => (MxArray | null)[];
    const res = rule(g, n, node.inputs, node.params);
    node.inputs.forEach((x, k) => {
      const r = res[k];
      if (r && dep.has(x) && isInexact(x.dtype)) accumulate(ct, x, E.astype(r, x.dtype));
    });
  }
  return marks.map((m) => ct.get(m) ?? zeros(m.shape, m.dtype));
}

/** Forward pass: tangents of `outs` given tangents of `marks` (null = zero). */
export function forward(outs: MxArray[], marks: MxArray[], tangents: (MxArray | null)[]): (MxArray | null)[] {
  const markSet = new Set(marks);
  const { order, dep } = traceBetween(outs, markSet);
  const tan = new Map<MxArray, MxArray | null>();
  marks.forEach((m, i) => tan.set(m, tangents[i] ? E.astype(tangents[i]!, m.dtype) : null));
  const done = new Set<CustomImpl>();
  for (const n of order) {
    if (markSet.has(n) || !dep.has(n) || !n._node) continue;
    const node = n._node;
    const ts = node.inputs.map((x) => tan.get(x) ?? null);
    if (node.prim === 'custom') {
      const impl = (node.params as { impl: CustomImpl }).impl;
      if (impl.jvp) {
        if (done.has(impl)) continue;
        done.add(impl);
        const members = customOutputs.get(impl) ?? [n];
        const primals = node.inputs.slice(0, -1);
        const res = impl.jvp(primals, primals.map((p, k) => ts[k] ?? zeros(p.shape, p.dtype))) as MxArray[];
        members.forEach((m, k) => tan.set(m, res[k] ?? null));
        continue;
      }
    }
    if (ts.every((t) => t === null)) {
      tan.set(n, null);
      continue;
    }
    const rule = JVP[node.prim] as (t: (MxArray | null)[], y: MxArray, ins: MxArray[], p: unknown) => MxArray | null;
    const t = rule(ts, n, node.inputs, node.params);
    tan.set(n, t && isInexact(n.dtype) ? E.astype(t, n.dtype) : null);
  }
  return outs.map((o) => tan.get(o) ?? null);
}

export { MxArray };
