// Fusion plan of a segment: which nodes are inlined into their consumer's kernel, which
// are materialized, and when each materialized value is last read.
import type { MxArray } from '../../core/array.ts';
import { contiguousStrides, sizeOf } from '../../core/shape.ts';
import { isBinary, isReduce, isScan, isUnary, VIEW_PRIMS, type Prim } from '../../ir/primitive.ts';
import { viewStrides } from './codegen.ts';
import type { ExternParams } from '../../ir/extern.ts';

export interface Plan {
  /** The nodes needed results depend on (the rest of the segment is skipped). */
  live: MxArray[];
  /** Nodes evaluated inside their (single) consumer's kernel. */
  inline: Set<MxArray>;
  /** Materialized nodes in topological order. */
  steps: MxArray[];
  /** Per step: the materialized nodes it is the last reader of (directly or through inlined nodes). */
  frees: MxArray[][];
  /** Elementwise roots computed in the store hook of the matmul they read (root -> matmul). */
  epilogues: Map<MxArray, MxArray>;
}

/** Extern kernels that accept fused elementwise producers (ExternOp.fuseElementwise). */
const viewsOnlyOk = (n: MxArray): boolean => !!(n._node!.params as ExternParams).op.fuseElementwise;

/** Inputs a node's kernel reads (a custom function's output only reads its last input). */
const reads = (n: MxArray): MxArray[] => {
  const node = n._node!;
  return node.prim === 'custom' ? [node.inputs[node.inputs.length - 1]] : node.inputs;
};

const LOOPED = new Set<Prim>(['matmul', 'scatter', 'extern']);

/**
 * Whether the view chain x inlines reads the materialized value under it at fixed strides.
 * A reshape of a transposed value (attention's heads merged back into rows) is not: each
 * element then costs index arithmetic and a scalar load.
 */
function strided(x: MxArray, inline: Set<MxArray>): boolean {
  const chain: MxArray[] = [];
  let n = x;
  while (inline.has(n) && VIEW_PRIMS.has(n._node!.prim)) {
    chain.push(n);
    n = reads(n)[0];
  }
  let v: { strides: number[]; offset: number } | null = { strides: contiguousStrides(n.shape), offset: 0 };
  for (const c of chain.reverse()) v = v && viewStrides(c, v.strides, v.offset);
  return v !== null;
}

/** Products (multiply-adds) from which a matmul copies an input its views can't stride through, as MLX does. */
const COPY_MIN_MACS = 2 ** 20;
const EXTRA = new Set<Prim>(['where', 'astype', 'full', 'arange', 'pad']);
/** Elementwise, view and pad nodes can live inside another kernel. */
export const fusable = (p: Prim): boolean => isUnary(p) || isBinary(p) || EXTRA.has(p) || VIEW_PRIMS.has(p);

/**
 * A node is inlined when fusable, read by exactly one node of the segment and not needed
 * outside it. A kernel may bind at most `budget` input buffers: past that, the inlined
 * input reaching the most buffers is materialized instead.
 */
export function planSegment(all: MxArray[], needed: Set<MxArray>, budget: number): Plan {
  const inSeg = new Set(all);
  // only what needed results read is computed (a custom node ignores its primal inputs)
  const live = new Set<MxArray>();
  for (let i = all.length - 1; i >= 0; i--) {
    const n = all[i];
    if (needed.has(n) || live.has(n)) for (const x of reads(n)) if (inSeg.has(x)) live.add(x);
  }
  const nodes = all.filter((n) => needed.has(n) || live.has(n));
  const consumers = new Map<MxArray, number>();
  for (const n of nodes) for (const x of new Set(reads(n))) if (inSeg.has(x)) consumers.set(x, (consumers.get(x) ?? 0) + 1);
  // a cheap elementwise value read by a few elementwise kernels is recomputed in each
  // (GELU's x*1.5+0.5 feeds two branches): memory traffic costs more than the arithmetic
  const elementwiseOnly = new Map<MxArray, boolean>();
  for (const n of nodes) for (const x of new Set(reads(n))) {
    const ok = fusable(n._node!.prim) && n._node!.prim !== 'concatenate';
    elementwiseOnly.set(x, (elementwiseOnly.get(x) ?? true) && ok);
  }
  const cost = new Map<MxArray, number>();
  const inline = new Set<MxArray>();
  const leaves = new Map<MxArray, Set<MxArray>>();
  for (const n of nodes) {
    const ins = [...new Set(reads(n))];
    // a concatenate with more inputs than bindings is split by its builder: keep them whole
    if (n._node!.prim === 'concatenate' && ins.length > budget) ins.forEach((x) => inline.delete(x));
    // kernels that read their inputs inside loops: matmul folds only view chains (it reads
    // each element many times, and this keeps its pipelines few); none inlines pad, whose
    // bounds checks make SwiftShader's compile time explode inside loops (73 s for three)
    const prim = n._node!.prim;
    if (LOOPED.has(prim) || isReduce(prim) || isScan(prim)) {
      const stack = [...ins];
      while (stack.length) {
        const x = stack.pop()!;
        if (!inline.has(x)) continue;
        const xp = x._node!.prim;
        if (xp === 'pad' || ((prim === 'matmul' || (prim === 'extern' && !viewsOnlyOk(n))) && !VIEW_PRIMS.has(xp))) inline.delete(x);
        else stack.push(...reads(x));
      }
      // a large product reads a contiguous copy of an input it could only reach through index
      // arithmetic: the tile kernels then load it 16 bytes at a time (H100, the attention output
      // projection of a 2048-token Llama-3.2-1B prefill: 0.68 -> about 0.2 ms per layer)
      const product = prim === 'matmul' || (prim === 'extern' && !!(n._node!.params as ExternParams).op.productOfInput0);
      if (product && sizeOf(n.shape) * ins[0].shape[ins[0].ndim - 1] >= COPY_MIN_MACS) {
        // (an extern product's other inputs are weights, read as stored)
        for (const x of prim === 'matmul' ? ins : [ins[0]]) if (inline.has(x) && !strided(x, inline)) inline.delete(x);
      }
    }
    const setOf = (x: MxArray) => (inline.has(x) ? leaves.get(x)! : new Set([x]));
    let union = new Set(ins.flatMap((x) => [...setOf(x)]));
    while (union.size > budget) {
      const cand = ins.filter((x) => inline.has(x)).sort((a, b) => leaves.get(b)!.size - leaves.get(a)!.size)[0];
      if (!cand) break;
      inline.delete(cand);
      union = new Set(ins.flatMap((x) => [...setOf(x)]));
    }
    leaves.set(n, union);
    const c = 1 + ins.reduce((t, x) => t + (inline.has(x) ? cost.get(x) ?? 1 : 0), 0);
    cost.set(n, c);
    const uses = consumers.get(n) ?? 0;
    const shared = uses > 1 && uses <= 4 && c <= 8 && elementwiseOnly.get(n) === true;
    if (fusable(n._node!.prim) && (uses === 1 || shared) && !needed.has(n)) inline.add(n);
  }
  const epilogues = planEpilogues(nodes, inline, consumers, needed, budget, leaves);
  for (const m of epilogues.values()) inline.add(m);
  const steps = nodes.filter((n) => !inline.has(n));
  const lastUse = new Map<MxArray, number>();
  const frees: MxArray[][] = steps.map(() => []);
  steps.forEach((s, i) => {
    const stack = [...reads(s)];
    while (stack.length) {
      const x = stack.pop()!;
      if (inline.has(x)) stack.push(...reads(x));
      else if (inSeg.has(x)) lastUse.set(x, i);
    }
  });
  for (const [x, i] of lastUse) frees[i].push(x);
  return { live: nodes, inline, steps, frees, epilogues };
}

const SAME_INDEX = (p: Prim): boolean => isUnary(p) || isBinary(p) || p === 'where' || p === 'astype';
const floatKind = (n: MxArray): boolean => n.dtype.kind === 'f' || n.dtype.kind === 'V';

/**
 * Matmuls and reductions whose only reader is an elementwise chain over the same elements
 * (bias, activation, residual; a mean's divide; reshapes of the contiguous result): the
 * chain's root is computed in the kernel's store hook, so the raw result never goes to
 * memory. The producer must be read exactly once, at the output's own index.
 */
function planEpilogues(
  nodes: MxArray[], inline: Set<MxArray>, consumers: Map<MxArray, number>, needed: Set<MxArray>, budget: number,
  leaves: Map<MxArray, Set<MxArray>>,
): Map<MxArray, MxArray> {
  const readers = new Map<MxArray, MxArray>();
  for (const n of nodes) for (const x of new Set(reads(n))) readers.set(x, n);
  const out = new Map<MxArray, MxArray>();
  for (const m of nodes) {
    const mp = m._node!.prim;
    const ext = mp === 'extern' ? (m._node!.params as ExternParams) : null;
    const producer = mp === 'matmul' || (isReduce(mp) && mp !== 'argmax' && mp !== 'argmin') || (!!ext?.op.epilogue && ext.call.outs.length === 1);
    if (!producer || needed.has(m) || consumers.get(m) !== 1 || !floatKind(m)) continue;
    let c = readers.get(m);
    let prev = m;
    let ok = !!c;
    // climb through inlined elementwise nodes and reshapes of the same size to the root
    while (ok && c) {
      const p = c._node!.prim;
      const sameElems = c.size === m.size && (SAME_INDEX(p) || (p === 'reshape' && c._node!.inputs[0] === prev));
      if (!sameElems || c._node!.inputs.filter((x) => x === prev).length > 1 || p === 'reshape' && !inline.has(c)) {
        ok = false;
        break;
      }
      if (!inline.has(c)) break;
      const next = readers.get(c);
      if (!next || consumers.get(c) !== 1) {
        ok = false;
        break;
      }
      prev = c;
      c = next;
    }
    // the producer's operands and the root's other leaves share the kernel's bindings
    if (ok && c && !out.has(c) && (leaves.get(c)?.size ?? 0) + 2 <= budget) out.set(c, m);
  }
  return out;
}
