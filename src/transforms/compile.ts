// mx.compile: trace a function once per input signature into a graph template, then
// replay the template on new inputs without running the JS function again. The GPU
// backend caches its kernel plan by graph structure, so replays reuse the same plan.
import { MxArray } from '../core/array.ts';
import type { Device } from '../core/device.ts';
import type { Dtype } from '../core/dtype.ts';
import { type Prim, isUnary, isBinary, isReduce, isScan } from '../ir/primitive.ts';
import { makeNode } from '../core/array.ts';
import type { ExternCall, ExternParams } from '../ir/extern.ts';
import { mark, traceBetween } from './trace.ts';
import { treeFlatten, treeMap, type Tree } from './tree.ts';

/** One node of a template: inputs refer to earlier nodes, inputs of the call, or constants. */
interface Step {
  prim: Prim;
  params: unknown;
  ins: Ref[];
  shape: readonly number[];
  dtype: Dtype;
  device: Device;
}
type Ref = { k: 'in'; i: number } | { k: 'step'; i: number } | { k: 'const'; a: MxArray };

interface Template {
  steps: Step[];
  outs: (Ref | { k: 'leaf'; v: unknown })[];
  /** The output tree as traced; replays swap its array leaves (empty containers kept). */
  skeleton: Tree;
  /** Inputs' shapes at trace time (shapeless replays re-derive shapes from these). */
  inShapes: (readonly number[])[];
}

export interface CompileOptions {
  /** Reuse one trace across input shapes where every op's shape rule allows it. */
  shapeless?: boolean;
}

const SHAPE_FREE = (p: Prim) => isUnary(p) || isBinary(p) || p === 'where' || p === 'astype' || isScan(p);

function signature(leaves: [string, unknown][], shapeless: boolean): string {
  return leaves.map(([p, l]) => (l instanceof MxArray ? `${p}:${l.dtype.name}:${shapeless ? l.ndim : l.shape.join('x')}:${l.device.type}` : `${p}=${String(l)}`)).join('|');
}

function record(fn: (...a: any[]) => any, args: unknown[]): { tpl: Template; result: Tree } {
  const marks: MxArray[] = [];
  const marked = treeMap((l: unknown) => {
    if (!(l instanceof MxArray)) return l;
    const m = mark(l);
    marks.push(m);
    return m;
  }, args) as unknown[];
  const result = fn(...(Array.isArray(marked) ? marked : [marked])) as Tree;
  const outLeaves = treeFlatten(result);
  const outs = outLeaves.map(([, l]) => l).filter((l): l is MxArray => l instanceof MxArray);
  const markIdx = new Map(marks.map((m, i) => [m, i]));
  const { order, dep } = traceBetween(outs, new Set(marks));
  const stepIdx = new Map<MxArray, number>();
  const steps: Step[] = [];
  const ref = (x: MxArray): Ref => {
    if (markIdx.has(x)) return { k: 'in', i: markIdx.get(x)! };
    if (stepIdx.has(x)) return { k: 'step', i: stepIdx.get(x)! };
    return { k: 'const', a: x };
  };
  for (const n of order) {
    if (markIdx.has(n) || !dep.has(n) || !n._node) continue;
    stepIdx.set(n, steps.length);
    steps.push({ prim: n._node.prim, params: n._node.params, ins: n._node.inputs.map(ref), shape: n.shape, dtype: n.dtype, device: n.device });
  }
  const tpl: Template = {
    steps,
    outs: outLeaves.map(([, l]) => (l instanceof MxArray ? ref(l) : { k: 'leaf' as const, v: l })),
    skeleton: result,
    inShapes: marks.map((m) => m.shape),
  };
  return { tpl, result };
}

/** Output shape of a step from its (possibly new-shaped) inputs; null = shape-specific. */
function reshapeStep(s: Step, ins: MxArray[]): readonly number[] | null {
  if (SHAPE_FREE(s.prim)) return ins[0]?.shape ?? s.shape;
  if (isReduce(s.prim)) {
    const axes = (s.params as { axes: number[] }).axes;
    return ins[0].shape.map((d, i) => (axes.includes(i) ? 1 : d));
  }
  return null;
}

function replay(tpl: Template, inputs: MxArray[], shapeless: boolean): Tree | null {
  const vals: MxArray[] = [];
  const calls = new Map<object, ExternCall>();
  const get = (r: Ref): MxArray => (r.k === 'in' ? inputs[r.i] : r.k === 'step' ? vals[r.i] : r.a);
  for (const s of tpl.steps) {
    const ins = s.ins.map(get);
    let shape = s.shape;
    if (shapeless) {
      const ns = reshapeStep(s, ins);
      if (!ns) return null;
      shape = ns;
    }
    // each replayed extern call gets its own call record (its outputs share one kernel run)
    let params = s.params;
    if (s.prim === 'extern') {
      const q = params as ExternParams;
      let c = calls.get(q.call);
      if (!c) calls.set(q.call, (c = { outs: [] }));
      params = { ...q, call: c };
    }
    const v = makeNode(s.prim, ins, params as never, shape, s.dtype, s.device);
    if (s.prim === 'extern') (calls.get((s.params as ExternParams).call)!.outs as MxArray[])[(params as ExternParams).index] = v;
    vals.push(v);
  }
  let k = 0;
  return treeMap((l: unknown) => {
    const o = tpl.outs[k++];
    return o.k === 'leaf' ? o.v : get(o as Ref);
  }, tpl.skeleton);
}

/**
 * Compiles a function of arrays (or trees of arrays): traced once per input signature,
 * replayed afterwards without calling `fn` again.
 * @example
 * const gelu = mx.compile((x) => mx.multiply(x, mx.sigmoid(mx.multiply(x, 1.702))));
 * await gelu(mx.ones([1024])).tolist();
 */
export function compile<F extends (...args: any[]) => any>(fn: F, options: CompileOptions = {}): F & { traces: () => number } {
  const cache = new Map<string, Template>();
  let traces = 0;
  const shapeless = options.shapeless ?? false;
  const compiled = ((...args: unknown[]) => {
    const leaves = treeFlatten(args);
    const sig = signature(leaves, shapeless);
    const exact = signature(leaves, false);
    const inputs = leaves.map(([, l]) => l).filter((l): l is MxArray => l instanceof MxArray);
    const tpl = cache.get(exact) ?? cache.get(sig);
    if (tpl) {
      const sameShapes = tpl.inShapes.every((s, i) => s.join() === inputs[i].shape.join());
      const out = replay(tpl, inputs, shapeless && !sameShapes);
      if (out !== null) return out;
    }
    traces++;
    const { tpl: t, result } = record(fn, args);
    // shapeless traces of shape-specific graphs are kept per exact shape
    cache.set(shapeless && !t.steps.every((s) => SHAPE_FREE(s.prim) || isReduce(s.prim)) ? exact : sig, t);
    return result;
  }) as F & { traces: () => number };
  compiled.traces = () => traces;
  return compiled;
}
