// Evaluation: sort the pending graph, cut it into per-device segments, run each on its
// backend, and attach results to the requested arrays. Intermediates stay lazy (their
// buffers are temporaries), so nothing but what the user holds outlives an eval.
import { MxArray, type Realized } from '../core/array.ts';
import type { DeviceType } from '../core/device.ts';
import { externOnCpu, type ExternParams } from './extern.ts';

/** How an evaluation waits: `wait: false` (asyncEval) returns once the GPU work is submitted. */
export interface RunOptions {
  wait: boolean;
}

/** What a backend sees: nodes in topological order, all on its device. */
export interface Backend {
  /**
   * Computes `nodes`. Inputs outside the segment are in `env` (or realized on the array);
   * results that `needed` lists must be put into `env`, each holding one reference
   * (`storage.retain()`) that the caller drops when done.
   */
  run(nodes: MxArray[], env: Map<MxArray, Realized>, needed: Set<MxArray>, opts?: RunOptions): Promise<void>;
  /**
   * Whole-graph replay before deduplication: the graph's results (one reference each), or
   * null when this structure has not been linked to a recorded run.
   */
  replayGraph?(sorted: MxArray[], outs: MxArray[], opts: RunOptions): Promise<Map<MxArray, Realized> | null>;
  /** Links a graph that ran as one segment to that segment's recorded run. */
  linkGraph?(sorted: MxArray[], outs: MxArray[], alias: Map<MxArray, MxArray>): void;
}

const backends: Partial<Record<DeviceType, Backend>> = {};
/** @internal */
export function registerBackend(t: DeviceType, b: Backend): void {
  backends[t] = b;
}

/** The realized data of an input, from `env` or the array itself. */
export function realizedOf(x: MxArray, env: Map<MxArray, Realized>): Realized {
  const r = x._data ?? env.get(x);
  if (!r) throw new Error(`internal: input ${x.toString()} is not realized`);
  return r;
}

/** Topological order of the unrealized nodes reachable from `outs` (iterative DFS). */
export function topoSort(outs: MxArray[]): MxArray[] {
  const order: MxArray[] = [];
  const seen = new Set<MxArray>();
  const stack: [MxArray, number][] = [];
  for (const o of outs) {
    if (o._data || seen.has(o)) continue;
    seen.add(o);
    stack.push([o, 0]);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [n, i] = top;
      const ins = n._node?.inputs ?? [];
      if (i < ins.length) {
        top[1]++;
        const c = ins[i];
        if (!c._data && !seen.has(c)) {
          seen.add(c);
          stack.push([c, 0]);
        }
      } else {
        stack.pop();
        order.push(n);
      }
    }
  }
  return order;
}

let evalChain: Promise<void> = Promise.resolve();

/** Resolves once every evaluation started so far has finished (or failed). */
export function evalsDone(): Promise<void> {
  return evalChain;
}

/**
 * Evaluates arrays (one graph for all of them). Returns when their values are ready.
 * @example
 * const y = mx.exp(x).sum();
 * await mx.eval(y);
 */
export function evalArrays(...arrays: unknown[]): Promise<void> {
  return evalWith({ wait: true }, arrays);
}

/** @internal evalArrays with a choice of waiting for the GPU (asyncEval does not). */
export function evalWith(opts: RunOptions, arrays: unknown[]): Promise<void> {
  const outs = collectArrays(arrays);
  for (const o of outs) if (o._disposed) throw new Error('[eval] Cannot evaluate a disposed array.');
  // evaluations run one after another so shared nodes are computed once
  const p = evalChain.then(() => runEval(outs, opts));
  evalChain = p.catch(() => {});
  return p;
}

/** Pulls arrays out of nested JS arrays/objects (pytrees). */
export function collectArrays(xs: unknown[], out: MxArray[] = []): MxArray[] {
  for (const x of xs) {
    if (x instanceof MxArray) out.push(x);
    else if (Array.isArray(x)) collectArrays(x, out);
    else if (x && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype) collectArrays(Object.values(x), out);
  }
  return out;
}

async function runEval(outs0: MxArray[], opts: RunOptions): Promise<void> {
  const sorted = topoSort(outs0);
  if (sorted.length === 0) return;
  for (const n of sorted) {
    if (!n._node) throw new Error(`internal: unrealized array ${n.toString()} has no node (was it disposed?)`);
  }
  // an in-place update took its input's buffer: its result is kept, as nothing can recompute it
  const donated = sorted.filter((n) => n._node!.prim === 'scatter' && (n._node!.params as { donate?: boolean }).donate);
  // a complex result's (re, im) pairs are realized with it: graphs built before it finished
  // (after asyncEval) read the pairs, which would otherwise be computed again
  const pairs = outs0.filter((o) => o._node?.prim === 'complexView' && (o._node.params as { toComplex?: boolean }).toComplex).map((o) => o._node!.inputs[0]);
  const outs = donated.length || pairs.length ? [...outs0, ...donated, ...pairs] : outs0;
  // a graph on one backend that ran before with this structure is replayed as it is
  const dev0 = sorted[0].device.type;
  const whole = sorted.every((n) => n.device.type === dev0 && !(n._node!.prim === 'extern' && externOnCpu(n._node!.params as ExternParams)));
  const be0 = whole ? backends[dev0] : undefined;
  if (be0?.replayGraph) {
    const res = await be0.replayGraph(sorted, outs, opts);
    if (res) {
      for (const o of outs) if (!o._data) o._realize(res.get(o)!);
      for (const r of res.values()) r.storage.drop();
      return;
    }
  }
  const { order, alias } = dedupe(sorted, new Set(outs));
  // segment by device, keeping topological order
  const segments: { dev: DeviceType; nodes: MxArray[] }[] = [];
  for (const n of order) {
    // extern ops without a WebGPU kernel run on the CPU; their results move on demand
    const node = n._node!;
    const dev = node.prim === 'extern' && externOnCpu(node.params as ExternParams) ? 'cpu' : n.device.type;
    const last = segments[segments.length - 1];
    if (last && last.dev === dev) last.nodes.push(n);
    else segments.push({ dev, nodes: [n] });
  }
  const segOf = new Map<MxArray, number>();
  segments.forEach((s, i) => s.nodes.forEach((n) => segOf.set(n, i)));
  const targets = new Set(outs.map((o) => alias.get(o) ?? o));
  // a segment must hand on what later segments read, and everything requested
  const neededBy: Set<MxArray>[] = segments.map(() => new Set());
  const lastUse = new Map<MxArray, number>();
  segments.forEach((s, i) => {
    for (const n of s.nodes) {
      for (const x of n._node!.inputs) {
        const j = segOf.get(x);
        if (j !== undefined && j !== i) {
          neededBy[j].add(x);
          lastUse.set(x, Math.max(lastUse.get(x) ?? 0, i));
        }
      }
      if (targets.has(n)) neededBy[i].add(n);
    }
  });
  const env = new Map<MxArray, Realized>();
  try {
    for (let i = 0; i < segments.length; i++) {
      const s = segments[i];
      const be = backends[s.dev];
      if (!be) throw new Error(`[eval] No backend for device '${s.dev}'.`);
      const before = new Set(env.keys());
      await be.run(s.nodes, env, neededBy[i], opts);
      // hand-offs whose last reader has run are dropped now
      for (const [k, r] of [...env]) {
        if (!targets.has(k) && (lastUse.get(k) ?? -1) <= i && before.has(k)) {
          r.storage.drop();
          env.delete(k);
        }
      }
    }
    for (const o of outs) {
      const r = env.get(alias.get(o) ?? o);
      if (r && !o._data) o._realize(r);
    }
    if (be0?.linkGraph && segments.length === 1) be0.linkGraph(sorted, outs, alias);
  } finally {
    for (const r of env.values()) r.storage.drop();
  }
}

// JSON drops the difference between -0 and 0, and writes NaN and infinities as null.
const exact = (_k: string, v: unknown): unknown => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `n:${Object.is(v, -0) ? '-0' : String(v)}` : v);

// Signatures compare inputs by identity (each array has a unique id).
const idOf = (a: MxArray): number => a.id;

/**
 * Common-subexpression elimination: nodes with the same primitive, parameters, inputs,
 * shape, dtype and device are computed once. Later nodes read the first one; a requested
 * duplicate takes the first one's result (`alias`). Custom and extern calls keep their
 * identity (their outputs are grouped per call).
 */
function dedupe(order: MxArray[], outs: Set<MxArray>): { order: MxArray[]; alias: Map<MxArray, MxArray> } {
  const seen = new Map<string, MxArray>();
  const rep = new Map<MxArray, MxArray>();
  const kept: MxArray[] = [];
  for (const n of order) {
    const node = n._node!;
    const remapped = rep.size > 0 && node.inputs.some((x) => rep.has(x));
    if (remapped) (node as { inputs: MxArray[] }).inputs = node.inputs.map((x) => rep.get(x) ?? x);
    const candidate = node.prim !== 'custom' && node.prim !== 'extern';
    let key: string | null = null;
    if (candidate) {
      let hasParams = false;
      for (const _ in node.params as object) {
        hasParams = true;
        break;
      }
      try {
        key = `${node.prim}|${n.shape.join(',')}|${n.dtype.name}|${n.device.type}|${node.inputs.map(idOf).join(',')}|${hasParams ? JSON.stringify(node.params, exact) : ''}`;
      } catch {
        key = null;
      }
    }
    const first = key === null ? undefined : seen.get(key);
    if (first) {
      rep.set(n, first);
      continue;
    }
    if (key !== null) seen.set(key, n);
    kept.push(n);
  }
  const alias = new Map<MxArray, MxArray>();
  for (const o of outs) if (rep.has(o)) alias.set(o, rep.get(o)!);
  return { order: kept, alias };
}
