// Builds the kernel(s) of one materialized node: free views, fused map kernels, and the
// routine kernels (reductions, scans, matmul, scatter).
import { MxArray, type Realized } from '../../../core/array.ts';
import { contiguousStrides } from '../../../core/shape.ts';
import { isReduce, isScan, VIEW_PRIMS, type ParamsOf } from '../../../ir/primitive.ts';
import type { BuildCtx } from '../segment.ts';
import { mapKernel, mapKernel4 } from './map.ts';
import { ExprGen } from '../codegen.ts';
import { perWord } from '../layout.ts';
import { reduceNode } from './reduce.ts';
import { scanNode } from './scan.ts';
import { matmulNode } from './matmul.ts';
import { scatterNode } from './scatter.ts';
import type { Storage } from '../../../core/memory.ts';
import { float32 } from '../../../core/dtype.ts';
import { complexStrides, complexViewable } from '../../../core/array.ts';

export function buildNode(cx: BuildCtx, n: MxArray): Realized {
  const p = n._node!.prim;
  if (VIEW_PRIMS.has(p)) {
    // a view of stored data shares its storage, as the CPU view kernels do
    const a = cx.kernel(p).g.accessOf(n);
    if (a.src.kind === 'buf') return { storage: a.src.storage, strides: a.strides, offset: a.offset };
  }
  const epi = cx.epilogues.get(n);
  if (epi) {
    const ep = epi._node!.prim;
    return ep === 'matmul' ? matmulNode(cx, epi, n) : ep === 'extern' ? externNode(cx, epi, n) : reduceNode(cx, epi, n);
  }
  if (isReduce(p)) return reduceNode(cx, n);
  if (isScan(p)) return scanNode(cx, n);
  if (p === 'matmul') return matmulNode(cx, n);
  if (p === 'scatter') return scatterNode(cx, n);
  if (p === 'extern') return externNode(cx, n);
  if (p === 'complexView') return complexViewNode(cx, n);
  if (p === 'concatenate' && n._node!.inputs.length > cx.ctx.inputBudget) return splitConcat(cx, n);
  const { k, g } = cx.kernel(p);
  // 32-bit elementwise results in groups of 4: vec4 stores and, where inputs allow, vec4 loads
  const half = n.dtype.name === 'float16' && cx.ctx.features.shaderF16;
  if (n.size % 4 === 0 && (perWord(n.dtype) === 1 || half) && ExprGen.vectorRoot(n)) {
    const fn4 = g.fn4Of(n);
    k.label = g.label(p);
    return { storage: mapKernel4(cx, k, fn4, n.dtype, n.size), strides: contiguousStrides(n.shape), offset: 0 };
  }
  const fn = g.fnOf(n);
  k.label = g.label(p);
  return { storage: mapKernel(cx, k, fn, n.dtype, n.size), strides: contiguousStrides(n.shape), offset: 0 };
}

/** complex64 <-> float32 pairs: a view of stored pairs, else one kernel writing them. */
function complexViewNode(cx: BuildCtx, n: MxArray): Realized {
  const x = n._node!.inputs[0];
  const { toComplex } = n._node!.params as ParamsOf<'complexView'>;
  const { k, g } = cx.kernel('complexView');
  const a = g.accessOf(x);
  if (!toComplex) {
    if (a.src.kind !== 'buf') throw new Error('internal: a complex64 value was not stored');
    return { storage: a.src.storage, strides: [...a.strides.map((s) => 2 * s), 1], offset: 2 * a.offset };
  }
  if (a.src.kind === 'buf' && a.src.storage.dtype === float32) {
    const r = { storage: a.src.storage, strides: a.strides, offset: a.offset };
    if (complexViewable(r, x.shape)) return { storage: r.storage, strides: complexStrides(r, x.shape), offset: r.offset / 2 };
  }
  const fn = g.fnOf(x);
  k.label = g.label('complexView');
  return { storage: mapKernel(cx, k, fn, float32, x.size), strides: contiguousStrides(n.shape), offset: 0 };
}

/** One output of an extern call; the call's kernel runs once for all of its outputs. */
function externNode(cx: BuildCtx, n: MxArray, root: MxArray | null = null): Realized {
  const p = n._node!.params as ParamsOf<'extern'>;
  let outs = cx.externs.get(p.call);
  if (!outs) {
    const ins = n._node!.inputs;
    const specs = p.op.outputs(ins.map((x) => ({ shape: x.shape, dtype: x.dtype })), p.attrs);
    outs = p.op.gpu!(cx, ins, specs, p.attrs, root ? { node: n, root } : undefined);
    cx.externs.set(p.call, outs);
  }
  return outs[p.index];
}

/** A concatenate of more inputs than a kernel can bind, as a tree of smaller ones. */
function splitConcat(cx: BuildCtx, n: MxArray): Realized {
  const node = n._node!;
  const axis = (node.params as ParamsOf<'concatenate'>).axis;
  const budget = cx.ctx.inputBudget;
  const parts: MxArray[] = [];
  for (let i = 0; i < node.inputs.length; i += budget) {
    const group = node.inputs.slice(i, i + budget);
    if (group.length === 1) {
      parts.push(group[0]);
      continue;
    }
    const shape = [...n.shape];
    shape[axis] = group.reduce((s, x) => s + x.shape[axis], 0);
    const part = new MxArray(shape, n.dtype, n.device, { prim: 'concatenate', inputs: group, params: { axis } });
    const r = buildNode(cx, part);
    r.storage.retain();
    cx.local.set(part, r);
    parts.push(part);
  }
  const whole = new MxArray(n.shape, n.dtype, n.device, { prim: 'concatenate', inputs: parts, params: { axis } });
  return buildNode(cx, whole);
}

/** A packed copy of value r of node n (which holds a 32-bit temporary of n's dtype). */
export function packKernel(cx: BuildCtx, n: MxArray, r: Realized): Storage {
  const { k, g } = cx.kernel(`${n._node?.prim ?? 'array'} (pack)`);
  // float16 (values already rounded, so the conversion is exact) as elementwise maps store it:
  // 4 per thread into vec4<f16> (H100: a 4096x4096 result took 70 us as 2 values per thread)
  if (n.dtype.name === 'float16' && cx.ctx.features.shaderF16 && n.size % 4 === 0) return mapKernel4(cx, k, g.fn4Of(n), n.dtype, n.size);
  const fn = g.accessFn(g.realizedAccess(r, n.shape, n.dtype));
  return mapKernel(cx, k, fn, n.dtype, n.size);
}
