// Replaying recorded segments: a graph evaluated again with the same structure (primitives,
// parameters, shapes, dtypes, and the same layout of its inputs) reuses the dispatches of
// its first run (pipelines, parameter blocks, workgroup grids) with new input and output
// buffers: no fusion planning, code generation or module assembly. Its temporaries stay
// with the plan, so bind groups that name them are reused too. A structure is recorded the
// second time it is seen (one-off graphs keep using the pool).
import type { MxArray, Realized } from '../../core/array.ts';
import { Storage } from '../../core/memory.ts';
import type { ExternParams } from '../../ir/extern.ts';
import type { Dispatch } from './kernel.ts';

/** Where a recorded buffer comes from in a replay. */
type Ref = { kind: 'ext'; slot: number } | { kind: 'out'; index: number } | { kind: 'own'; buffer: GPUBuffer } | { kind: 'take'; slot: number };

interface OutSpec {
  dtype: Storage['dtype'];
  size: number;
  nbytes: number;
}

/** A recorded segment. */
export interface Plan {
  dispatches: { d: Dispatch; output: Ref; inputs: Ref[]; extra: Ref[] }[];
  outs: OutSpec[];
  /** Per needed node (by position): its value as a ref with strides and offset. */
  results: { node: number; ref: Ref; strides: readonly number[]; offset: number }[];
  owned: GPUBuffer[];
  bytes: number;
}

/** A segment's structure and its external inputs in first-use order. */
export interface Signature {
  key: string;
  ext: MxArray[];
}

// Small ids of objects (ops, buffers) for keys built from them.
const objIds = new WeakMap<object, number>();
let nextObj = 1;
export const objId = (o: object): number => {
  let i = objIds.get(o);
  if (i === undefined) objIds.set(o, (i = nextObj++));
  return i;
};

// Bumped by switches that change generated code without changing the graph.
let version = 0;
let enabled = true;
/** @internal Turns segment replay on or off (benchmarks compare both). */
export function setReplay(on: boolean): void {
  enabled = on;
  version++;
}
/** Drops every recorded plan (e.g. after a setting that changes kernel generation). */
export function invalidatePlans(): void {
  version++;
}

/**
 * The structure of a segment, or null when it cannot be replayed (custom functions).
 * `realized(x)` gives an external input's data.
 */
export function signature(nodes: MxArray[], needed: Set<MxArray>, realized: (x: MxArray) => Realized): Signature | null {
  if (!enabled) return null;
  const pos = new Map<MxArray, number>();
  nodes.forEach((n, i) => pos.set(n, i));
  const ext: MxArray[] = [];
  const extPos = new Map<MxArray, number>();
  const storages = new Map<Storage, number>();
  const calls = new Map<object, number>();
  const parts: string[] = [`v${version}`];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    const node = n._node!;
    if (node.prim === 'custom') return null;
    let params: string;
    if (node.prim === 'extern') {
      const p = node.params as ExternParams;
      let c = calls.get(p.call);
      if (c === undefined) calls.set(p.call, (c = i));
      try {
        params = `${p.op.name}#${objId(p.op)}:${JSON.stringify(p.attrs)}:${p.index}:${c}`;
      } catch {
        return null;
      }
    } else params = JSON.stringify(node.params);
    let ins = '';
    for (const x of node.inputs) {
      const j = pos.get(x);
      if (j !== undefined) {
        ins += `n${j},`;
        continue;
      }
      let e = extPos.get(x);
      if (e === undefined) {
        e = ext.length;
        extPos.set(x, e);
        ext.push(x);
        const r = realized(x);
        // storages shared by several inputs must be shared again
        let s = storages.get(r.storage);
        if (s === undefined) storages.set(r.storage, (s = e));
        parts.push(`e${e}:${x.shape}:${x.dtype.name}:${r.storage.dtype.name}:${r.storage.size}:${r.strides}:${r.offset}:${s}`);
      }
      ins += `e${e},`;
    }
    parts.push(`${node.prim}|${n.shape}|${n.dtype.name}|${params}|${ins}${needed.has(n) ? '|N' : ''}`);
  }
  return { key: parts.join('\n'), ext };
}

/**
 * Builds a plan from a finished run: `local` holds the needed results; the inputs' storages
 * and buffers are as they were before the run (an in-place update moves a buffer away).
 * Returns null when a buffer cannot be attributed (then the segment is not replayed).
 */
export function record(
  sig: Signature, nodes: MxArray[], needed: Set<MxArray>, dispatches: Dispatch[], local: Map<MxArray, Realized>,
  extStorages: Storage[], extBuffers: (GPUBuffer | undefined)[], allocAt: Map<GPUBuffer, number>, makeBuffer: (size: number) => GPUBuffer,
): { plan: Plan; owned: Set<GPUBuffer> } | null {
  const refs = new Map<GPUBuffer, Ref>();
  extBuffers.forEach((b, slot) => {
    if (b && !refs.has(b)) refs.set(b, { kind: 'ext', slot });
  });
  const outs: OutSpec[] = [];
  const outOf = new Map<Storage, number>();
  const results: Plan['results'] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (!needed.has(n)) continue;
    const r = local.get(n);
    const b = r?.storage.gpu?.buffer;
    if (!r || !b) return null;
    let ref = refs.get(b);
    // an input's buffer under a new storage: an in-place update took it over
    if (ref?.kind === 'ext' && extStorages[ref.slot] !== r.storage) ref = { kind: 'take', slot: ref.slot };
    if (!ref || ref.kind === 'own') {
      let k = outOf.get(r.storage);
      if (k === undefined) {
        k = outs.length;
        outOf.set(r.storage, k);
        outs.push({ dtype: r.storage.dtype, size: r.storage.size, nbytes: r.storage.gpu!.nbytes });
      }
      ref = { kind: 'out', index: k };
      refs.set(b, ref);
    }
    results.push({ node: i, ref, strides: r.strides, offset: r.offset });
  }
  const owned = new Set<GPUBuffer>();
  const made: GPUBuffer[] = [];
  // a result's buffer may have served as a temporary before the result took it (the pool
  // reuses freed buffers): those earlier uses get a buffer of the plan's own
  const shadows = new Map<GPUBuffer, GPUBuffer>();
  const refAt = (b: GPUBuffer, i: number): Ref => {
    const r = refs.get(b);
    if (r?.kind === 'out' && i < (allocAt.get(b) ?? 0)) {
      let s = shadows.get(b);
      if (!s) {
        shadows.set(b, (s = makeBuffer(b.size)));
        made.push(s);
      }
      return { kind: 'own', buffer: s };
    }
    return refOf(b);
  };
  const refOf = (b: GPUBuffer): Ref => {
    let r = refs.get(b);
    if (!r) {
      r = { kind: 'own', buffer: b };
      refs.set(b, r);
      owned.add(b);
    }
    return r;
  };
  const ds = dispatches.map((d, i) => ({
    d, output: refAt(d.output, i), inputs: d.inputs.map((b) => refAt(b, i)), extra: (d.extraOutputs ?? []).map((b) => refAt(b, i)),
  }));
  let bytes = 0;
  for (const b of [...owned, ...made]) bytes += b.size;
  return { plan: { dispatches: ds, outs, results, owned: [...owned, ...made], bytes }, owned };
}

/** The dispatches of a plan over this run's buffers. */
export function instantiate(plan: Plan, ext: GPUBuffer[], outs: GPUBuffer[]): Dispatch[] {
  const buf = (r: Ref): GPUBuffer => (r.kind === 'ext' || r.kind === 'take' ? ext[r.slot] : r.kind === 'out' ? outs[r.index] : r.buffer);
  return plan.dispatches.map(({ d, output, inputs, extra }) => ({
    ...d,
    output: buf(output),
    inputs: inputs.map(buf),
    ...(extra.length ? { extraOutputs: extra.map(buf) } : {}),
  }));
}

/** A buffer-to-buffer copy encoded around a replay's compute pass. */
export type Copy = [src: GPUBuffer, dst: GPUBuffer, size: number];

// Inputs and outputs whose buffer changes between replays (a new token, a position array, a
// fresh result) and that are small get a stand-in buffer of the plan's own, filled or read by
// a copy: the dispatches then always see the same buffers and keep their bind groups.
const SHADOW_MAX = 1 << 20;
interface Volatile {
  ext: (GPUBuffer | undefined)[];
  out: (GPUBuffer | undefined)[];
  shadowExt: Map<number, GPUBuffer>;
  shadowOut: Map<number, GPUBuffer>;
  /** Slots written in place (donated): they must stay the caller's buffer. */
  takes: Set<number>;
}
const volatiles = new WeakMap<Plan, Volatile>();

function volatileOf(plan: Plan): Volatile {
  let v = volatiles.get(plan);
  if (!v) {
    const takes = new Set<number>();
    const note = (r: Ref) => r.kind === 'take' && takes.add(r.slot);
    for (const d of plan.dispatches) [d.output, ...d.inputs, ...d.extra].forEach(note);
    for (const r of plan.results) note(r.ref);
    volatiles.set(plan, (v = { ext: [], out: [], shadowExt: new Map(), shadowOut: new Map(), takes }));
  }
  return v;
}

/** Whether a plan writes external input `slot` in place (a donated buffer). */
export function writesInPlace(plan: Plan, slot: number): boolean {
  return volatileOf(plan).takes.has(slot);
}

/** Host data a replay writes straight into a stand-in (a small input not on the GPU yet). */
export interface HostInput {
  /** Bytes of its stand-in (a pool size class, so vec4 bindings fit). */
  size: number;
  write(dst: GPUBuffer): void;
}

/**
 * The buffers a replay binds for its external inputs and outputs, with the copies that move
 * data into (before the pass) and out of (after it) the plan's stand-ins. A host input is
 * written into its stand-in (no pooled buffer, no upload).
 */
export function stableBuffers(
  pool: { plans: PlanCache; createOwned(size: number, label: string): GPUBuffer }, plan: Plan, ext: (GPUBuffer | HostInput)[], outs: GPUBuffer[],
): { ext: GPUBuffer[]; outs: GPUBuffer[]; before: Copy[]; after: Copy[] } {
  const v = volatileOf(plan);
  const before: Copy[] = [], after: Copy[] = [];
  const standIn = (i: number, shadows: Map<number, GPUBuffer>, size: number): GPUBuffer => {
    let sh = shadows.get(i);
    if (sh && sh.size !== size) {
      shadows.delete(i);
      sh = undefined;
    }
    if (!sh) {
      sh = pool.createOwned(size, 'mx replay stand-in');
      plan.owned.push(sh);
      pool.plans.grow(plan, size);
      shadows.set(i, sh);
    }
    return sh;
  };
  const pick = (b: GPUBuffer, i: number, seen: (GPUBuffer | undefined)[], shadows: Map<number, GPUBuffer>, fixed: boolean, copies: Copy[], into: boolean): GPUBuffer => {
    const volatile = shadows.has(i) || (!fixed && seen[i] !== undefined && seen[i] !== b);
    seen[i] = b;
    if (!volatile || fixed || b.size > SHADOW_MAX) return b;
    const sh = standIn(i, shadows, b.size);
    copies.push(into ? [b, sh, b.size] : [sh, b, b.size]);
    return sh;
  };
  return {
    ext: ext.map((b, i) => {
      if (!isHost(b)) return pick(b, i, v.ext, v.shadowExt, v.takes.has(i), before, true);
      const sh = standIn(i, v.shadowExt, b.size);
      b.write(sh);
      v.ext[i] = sh;
      return sh;
    }),
    outs: outs.map((b, i) => pick(b, i, v.out, v.shadowOut, false, after, false)),
    before,
    after,
  };
}
const isHost = (b: GPUBuffer | HostInput): b is HostInput => typeof (b as HostInput).write === 'function';

/** Recorded plans by signature, with the structures seen once (recorded when seen again). */
/** A whole graph (before deduplication) tied to a recorded segment: input and result maps. */
export interface Link {
  key: string;
  /** Segment input slot -> graph input slot. */
  extMap: number[];
  /** Graph output position -> plan result index. */
  outs: { pre: number; res: number }[];
}

export class PlanCache {
  private plans = new Map<string, Plan>();
  private links = new Map<string, Link>();
  private seen = new Set<string>();
  bytes = 0;
  hits = 0;
  constructor(private readonly maxBytes: number, private readonly maxPlans = 64) {}

  get(key: string): Plan | undefined {
    const p = this.plans.get(key);
    if (p) {
      // most recently used last
      this.plans.delete(key);
      this.plans.set(key, p);
      this.hits++;
    }
    return p;
  }

  /** A plan without counting a use. */
  peek(key: string): Plan | undefined {
    return this.plans.get(key);
  }

  linkOf(key: string): Link | undefined {
    return this.links.get(key);
  }

  link(key: string, l: Link): void {
    if (this.links.size > 256) this.links.clear();
    this.links.set(key, l);
  }

  /** Whether a structure has been seen before (and notes it). */
  repeat(key: string): boolean {
    if (this.seen.has(key)) return true;
    if (this.seen.size > 256) this.seen.clear();
    this.seen.add(key);
    return false;
  }

  /** A plan took another buffer of its own (counted until the plan is dropped). */
  grow(plan: Plan, bytes: number): void {
    plan.bytes += bytes;
    if ([...this.plans.values()].includes(plan)) this.bytes += bytes;
  }

  wants(bytes: number): boolean {
    return bytes <= this.maxBytes / 4;
  }

  add(key: string, plan: Plan): void {
    this.plans.set(key, plan);
    this.bytes += plan.bytes;
    while (this.plans.size > this.maxPlans || this.bytes > this.maxBytes) {
      const [k, old] = this.plans.entries().next().value as [string, Plan];
      this.plans.delete(k);
      this.drop(old);
    }
  }

  clear(): void {
    for (const p of this.plans.values()) this.drop(p);
    this.plans.clear();
    this.seen.clear();
    this.links.clear();
  }

  private drop(p: Plan): void {
    this.bytes -= p.bytes;
    // submitted work that uses them completes first (WebGPU defers the free)
    for (const b of p.owned) b.destroy();
  }
}
