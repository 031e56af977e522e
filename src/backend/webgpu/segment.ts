// Runs one segment: plan fusion, build every kernel (freeing temporaries after their last
// use so the pool reuses them), then encode all dispatches in one command encoder and
// submit once. WebGPU errors become thrown Errors naming the ops.
import type { MxArray, Realized } from '../../core/array.ts';
import type { Dtype } from '../../core/dtype.ts';
import { Storage } from '../../core/memory.ts';
import { debugState, inspecting } from '../../core/debug.ts';
import { contiguousStrides } from '../../core/shape.ts';
import { realizedOf, type RunOptions } from '../../ir/eval.ts';
import { ExprGen } from './codegen.ts';
import { currentContext, getContext, openScopes, type GpuContext } from './context.ts';
import { planSegment } from './fuse.ts';
import { upload, writeHost } from './io.ts';
import { KernelBuilder, type Dispatch } from './kernel.ts';
import { perWord } from './layout.ts';
import { sizeClass } from './pool.ts';
import { buildNode, packKernel } from './kernels/build.ts';
import { instantiate, objId, record, signature, stableBuffers, writesInPlace, type Copy, type HostInput, type Plan, type Signature } from './replay.ts';

/** What node builders use: kernels, outputs, and the segment's values. */
export class BuildCtx {
  readonly dispatches: Dispatch[] = [];
  /** Values of materialized nodes (each holding one reference). */
  readonly local = new Map<MxArray, Realized>();
  /** Outputs of extern calls built in this segment (siblings not read are freed at the end). */
  readonly externs = new Map<object, Realized[]>();
  /** Elementwise roots built as the epilogue of a matmul (from the fusion plan). */
  epilogues = new Map<MxArray, MxArray>();
  private temps: Storage[] = [];

  constructor(readonly ctx: GpuContext, private readonly inSeg: Set<MxArray>, private readonly env: Map<MxArray, Realized>) {}

  valueOf = (n: MxArray): Realized | null => {
    const v = this.local.get(n);
    if (v) return v;
    if (this.inSeg.has(n)) return null;
    // nodes made by builders (split concatenations) are neither in the segment nor realized
    return n._data ?? this.env.get(n) ?? null;
  };

  private readerCount: Map<MxArray, number> | null = null;

  /** How many nodes of this segment read x (for in-place updates). */
  readers(x: MxArray): number {
    if (!this.readerCount) {
      this.readerCount = new Map();
      for (const n of this.inSeg) for (const i of new Set(n._node!.inputs)) this.readerCount.set(i, (this.readerCount.get(i) ?? 0) + 1);
    }
    return this.readerCount.get(x) ?? 0;
  }

  kernel(label: string): { k: KernelBuilder; g: ExprGen } {
    const k = new KernelBuilder(label);
    k.f16 = this.ctx.features.shaderF16;
    return { k, g: new ExprGen(k, this.valueOf) };
  }

  /** Where each buffer was last handed out (dispatch count then), for recording the run. */
  readonly allocAt = new Map<GPUBuffer, number>();

  /** A fresh GPU storage of `size` elements of dtype, packed as the dtype stores. */
  storage(dtype: Dtype, size: number, label: string): Storage {
    const st = new Storage(dtype, size);
    const words = Math.ceil(size / perWord(dtype));
    st.setGpu(this.ctx.pool.alloc(words * 4, label));
    this.allocAt.set(st.gpu!.buffer, this.dispatches.length);
    return st;
  }

  /** A storage freed once the run is encoded (reduction partials and the like). */
  temp(dtype: Dtype, size: number, label: string): Storage {
    const st = this.storage(dtype, size, label);
    this.temps.push(st);
    return st;
  }

  push(d: Dispatch): void {
    this.dispatches.push(d);
  }

  releaseTemps(): void {
    for (const t of this.temps) t.release();
    this.temps = [];
    for (const outs of this.externs.values()) for (const r of outs) if (r.storage.refs === 0) r.storage.release();
    this.externs.clear();
  }

  dropAll(): void {
    for (const r of this.local.values()) r.storage.drop();
    this.local.clear();
    this.releaseTemps();
  }
}

const contiguous = (st: Storage, shape: readonly number[]): Realized => ({ storage: st, strides: contiguousStrides(shape), offset: 0 });

function describe(nodes: MxArray[]): string {
  const ops = [...new Set(nodes.map((n) => n._node!.prim))];
  return ops.length > 6 ? `${ops.slice(0, 6).join(', ')}, ...` : ops.join(', ');
}

export async function runSegment(nodes: MxArray[], env: Map<MxArray, Realized>, needed: Set<MxArray>, opts: RunOptions = { wait: true }): Promise<void> {
  const ctx = await getContext();
  ctx.check(() => `running ${describe(nodes)}`);
  // a structure seen before runs its recorded dispatches (replay.ts); logging needs codegen
  const ext = (x: MxArray) => realizedOf(x, env);
  const sig = inspecting() ? null : signature(nodes, needed, ext);
  const recorded = sig ? ctx.pool.plans.get(sig.key) : undefined;
  lastRun = sig ? { sig, nodes } : null;
  if (sig && recorded) return replaySegment(ctx, recorded, sig, nodes, env, opts);
  const inSeg = new Set(nodes);
  const plan = planSegment(nodes, needed, ctx.inputBudget);
  const cx = new BuildCtx(ctx, inSeg, env);
  cx.epilogues = plan.epilogues;
  // uploads first: queue writes land before the one submit below
  for (const n of plan.live) {
    for (const x of n._node!.inputs) {
      if (!inSeg.has(x)) {
        const r = realizedOf(x, env);
        if (!r.storage.gpu) upload(ctx, r.storage);
      }
    }
  }
  // the inputs as they are before the run (for recording it)
  const extStorages = sig ? sig.ext.map((x) => ext(x).storage) : [];
  const extBuffers = extStorages.map((s) => s.gpu?.buffer);
  ctx.pool.beginBatch();
  try {
    plan.steps.forEach((n, i) => {
      const r = n.size === 0 ? contiguous(cx.storage(n.dtype, 0, 'empty'), n.shape) : buildNode(cx, n);
      r.storage.retain();
      cx.local.set(n, r);
      for (const x of plan.frees[i]) {
        if (!needed.has(x)) {
          cx.local.get(x)?.storage.drop();
          cx.local.delete(x);
        }
      }
    });
    // results leave in their own dtype's layout (routine kernels may hold 32-bit temporaries)
    for (const n of needed) {
      const r = cx.local.get(n);
      if (r && r.storage.dtype !== n.dtype && n.dtype.kind !== 'c') {
        const st = packKernel(cx, n, r);
        st.retain();
        r.storage.drop();
        cx.local.set(n, contiguous(st, n.shape));
      }
    }
    if (debugState.logKernels) {
      for (const d of cx.dispatches) debugState.log(`[gpu] ${d.label}: ${d.groups[0]}x${d.groups[1]} workgroups\n${d.code}`);
    }
    await submitDispatches(ctx, cx.dispatches, nodes, opts.wait);
  } catch (e) {
    cx.dropAll();
    throw e;
  } finally {
    // after the submit: buffers released while encoding may now be trimmed
    cx.releaseTemps();
    ctx.pool.endBatch();
  }
  for (const [k, r] of cx.local) {
    if (needed.has(k)) env.set(k, r);
    else r.storage.drop();
  }
  if (sig && ctx.pool.plans.repeat(sig.key)) {
    const made: GPUBuffer[] = [];
    const makeBuffer = (size: number) => {
      const b = ctx.pool.createOwned(size, 'mx replay temp');
      made.push(b);
      return b;
    };
    const rec = record(sig, nodes, needed, cx.dispatches, env, extStorages, extBuffers, cx.allocAt, makeBuffer);
    if (rec && ctx.pool.plans.wants(rec.plan.bytes) && ctx.pool.steal(rec.owned)) ctx.pool.plans.add(sig.key, rec.plan);
    else for (const b of made) b.destroy();
  }
}

/** Runs a recorded segment on this evaluation's inputs, with fresh output buffers. */
async function replaySegment(ctx: GpuContext, plan: Plan, sig: Signature, nodes: MxArray[], env: Map<MxArray, Realized>, opts: RunOptions): Promise<void> {
  const res = await replayPlan(ctx, plan, sig.ext.map((x) => realizedOf(x, env)), nodes, opts);
  plan.results.forEach((r, i) => env.set(nodes[r.node], res[i]));
}

/** Runs a plan over the given inputs; its results in plan order, each holding one reference. */
async function replayPlan(ctx: GpuContext, plan: Plan, ext: Realized[], nodes: MxArray[], opts: RunOptions): Promise<Realized[]> {
  // small inputs still on the host (a position, a mask) are written into the plan's stand-ins
  const srcs = ext.map((r, slot): GPUBuffer | HostInput => {
    const s = r.storage;
    if (s.gpu) return s.gpu.buffer;
    if (s.cpu && s.nbytes <= 4096 && !writesInPlace(plan, slot)) return { size: sizeClass(s.nbytes), write: (dst) => writeHost(ctx.device, dst, s.cpu!) };
    upload(ctx, s);
    return s.gpu!.buffer;
  });
  ctx.pool.beginBatch();
  const outs = plan.outs.map((o) => {
    const st = new Storage(o.dtype, o.size);
    st.setGpu(ctx.pool.alloc(o.nbytes, 'mx replay'));
    return st;
  });
  try {
    const bufs = stableBuffers(ctx.pool, plan, srcs, outs.map((s) => s.gpu!.buffer));
    const ds = instantiate(plan, bufs.ext, bufs.outs);
    await submitReplay(ctx, plan, ds, nodes, opts.wait, bufs.before, bufs.after);
  } catch (e) {
    for (const s of outs) s.release();
    throw e;
  } finally {
    ctx.pool.endBatch();
  }
  const taken = new Map<number, Storage>();
  const take = (slot: number): Storage => {
    let st = taken.get(slot);
    if (!st) {
      const from = ext[slot].storage;
      st = new Storage(from.dtype, from.size);
      st.setGpu(from.detachGpu());
      taken.set(slot, st);
    }
    return st;
  };
  return plan.results.map((r) => {
    const ref = r.ref;
    const storage = ref.kind === 'ext' ? ext[ref.slot].storage : ref.kind === 'take' ? take(ref.slot) : outs[(ref as { index: number }).index];
    storage.retain();
    return { storage, strides: r.strides, offset: r.offset };
  });
}

// The last segment run (its structure and nodes), and the structure of the graph being
// evaluated, for linking whole graphs to recorded segments.
let lastRun: { sig: Signature; nodes: MxArray[] } | null = null;
let pending: { sorted: MxArray[]; pre: Signature } | null = null;

/**
 * Whole-graph replay (Backend.replayGraph): a graph whose structure, before deduplication,
 * was linked to a recorded segment runs that segment's plan directly.
 */
export async function replayGraph(sorted: MxArray[], outs: MxArray[], opts: RunOptions): Promise<Map<MxArray, Realized> | null> {
  if (inspecting()) return null;
  const ctx = await getContext();
  const pre = signature(sorted, new Set(outs), (x) => x._data!);
  const link = pre && ctx.pool.plans.linkOf(pre.key);
  const plan = link && ctx.pool.plans.get(link.key);
  // the structure is taken now: after the run the graph's nodes are realized
  pending = pre && !plan ? { sorted, pre } : null;
  if (!pre || !link || !plan) return null;
  ctx.check(() => `running ${describe(sorted)}`);
  const res = await replayPlan(ctx, plan, link.extMap.map((p) => pre.ext[p]._data!), sorted, opts);
  const out = new Map<MxArray, Realized>();
  for (const o of link.outs) {
    res[o.res].storage.retain();
    out.set(sorted[o.pre], res[o.res]);
  }
  for (const r of res) r.storage.drop();
  return out;
}

/** Backend.linkGraph: after a graph ran as the one segment just recorded or replayed. */
export function linkGraph(sorted: MxArray[], outs: MxArray[], alias: Map<MxArray, MxArray>): void {
  const ctx = currentContext();
  const run = lastRun;
  const pre = pending?.sorted === sorted ? pending.pre : null;
  lastRun = null;
  pending = null;
  if (!ctx || !run || !pre || inspecting()) return;
  const plan = ctx.pool.plans.peek(run.sig.key);
  if (!plan || ctx.pool.plans.linkOf(pre.key)) return;
  const extMap = run.sig.ext.map((x) => pre.ext.indexOf(x));
  if (extMap.some((p) => p < 0)) return;
  const pos = new Map<MxArray, number>();
  run.nodes.forEach((n, i) => pos.set(n, i));
  const at = new Map<MxArray, number>();
  sorted.forEach((n, i) => at.set(n, i));
  const links: { pre: number; res: number }[] = [];
  for (const o of new Set(outs)) {
    const p = at.get(o);
    const node = pos.get(alias.get(o) ?? o);
    const res = node === undefined ? -1 : plan.results.findIndex((r) => r.node === node);
    if (p === undefined || res < 0) return;
    links.push({ pre: p, res });
  }
  ctx.pool.plans.link(pre.key, { key: run.sig.key, extMap, outs: links });
}

/** What a plan keeps on the device: resolved pipelines, its parameter buffer, last bind groups. */
interface PlanGpu {
  pipes: GPUComputePipeline[];
  ubuf: GPUBuffer;
  stride: number;
  bindSize: number;
  groups: ({ bg: GPUBindGroup; bufs: GPUBuffer[] } | null)[];
}
const planGpu = new WeakMap<Plan, PlanGpu>();

const buffersOf = (d: Dispatch): GPUBuffer[] => [d.output, ...d.inputs, ...(d.extraOutputs ?? [])];
const outputCount = (d: Dispatch): number => 1 + (d.extraOutputs?.length ?? 0);

/**
 * Encodes a replayed plan: its parameters never change, so they sit in a buffer of the plan's
 * own; pipelines are resolved; a dispatch's bind group is reused while its buffers are the same.
 */
async function submitReplay(ctx: GpuContext, plan: Plan, ds: Dispatch[], nodes: MxArray[], wait: boolean, before: Copy[] = [], after: Copy[] = []): Promise<void> {
  if (ds.length === 0) return;
  const dev = ctx.device;
  let pg = planGpu.get(plan);
  if (!pg) {
    const pipes = await Promise.all(ds.map((d) => ctx.pipelines.get(d.code, d.entry, d.label, d.inputs.length, outputCount(d))));
    const { prm, stride, bindSize } = packParams(ctx, ds);
    const ubuf = dev.createBuffer({ size: Math.ceil(prm.byteLength / 16) * 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST, label: 'mx replay params' });
    dev.queue.writeBuffer(ubuf, 0, prm);
    plan.owned.push(ubuf);
    pg = { pipes, ubuf, stride, bindSize, groups: ds.map(() => null) };
    planGpu.set(plan, pg);
  }
  ctx.check(() => `running ${describe(nodes)}`);
  const close = openScopes(dev);
  const enc = dev.createCommandEncoder({ label: 'mx replay' });
  for (const [src, dst, size] of before) enc.copyBufferToBuffer(src, 0, dst, 0, size);
  const pass = enc.beginComputePass({ label: 'mx replay' });
  for (let i = 0; i < ds.length; i++) {
    const d = ds[i];
    const bufs = buffersOf(d);
    let g = pg.groups[i];
    if (!g || g.bufs.length !== bufs.length || g.bufs.some((b, j) => b !== bufs[j])) {
      g = { bg: makeBindGroup(ctx, d, pg.ubuf, i * pg.stride, pg.bindSize), bufs };
      pg.groups[i] = g;
    }
    pass.setPipeline(pg.pipes[i]);
    pass.setBindGroup(0, g.bg);
    pass.dispatchWorkgroups(d.groups[0], d.groups[1]);
  }
  pass.end();
  for (const [src, dst, size] of after) enc.copyBufferToBuffer(src, 0, dst, 0, size);
  dev.queue.submit([enc.finish()]);
  await settle(ctx, close(), ds, nodes, wait);
}

/** Every dispatch's parameters in one block, each at an aligned offset, bound at the largest size. */
function packParams(ctx: GpuContext, ds: Dispatch[]): { prm: Uint8Array<ArrayBuffer>; stride: number; bindSize: number } {
  const align = ctx.limits.minUniformBufferOffsetAlignment;
  const bindSize = Math.max(...ds.map((d) => d.params.byteLength));
  const stride = Math.ceil(bindSize / align) * align;
  const prm = new Uint8Array(stride * (ds.length - 1) + bindSize);
  ds.forEach((d, i) => prm.set(new Uint8Array(d.params.buffer, d.params.byteOffset, d.params.byteLength), i * stride));
  return { prm, stride, bindSize };
}

/** Waits for (or, without `wait`, defers) a submission's validation errors. */
async function settle(ctx: GpuContext, errors: Promise<string | null>, ds: Dispatch[], nodes: MxArray[], wait: boolean): Promise<void> {
  const labels = () => ds.map((d) => d.label).join(', ');
  if (!wait) {
    ctx.defer(errors.then((err) => (err ? new Error(`[gpu] WebGPU error while running ${labels()}: ${err}`) : null)));
    return;
  }
  const err = await errors;
  if (err) throw new Error(`[gpu] WebGPU error while running ${labels()}: ${err}`);
  ctx.check(() => `running ${describe(nodes)}`);
}

async function submitDispatches(ctx: GpuContext, ds: Dispatch[], nodes: MxArray[], wait: boolean): Promise<void> {
  if (ds.length === 0) return;
  const pipes = await Promise.all(ds.map((d) => ctx.pipelines.get(d.code, d.entry, d.label, d.inputs.length, outputCount(d))));
  ctx.check(() => `running ${describe(nodes)}`);
  const dev = ctx.device;
  // all parameters in one uniform buffer; every block is bound at the largest size, as
  // wgpu checks a bind group's size against pipelines it was not made for
  const { prm, stride, bindSize } = packParams(ctx, ds);
  const close = openScopes(dev);
  const ubuf = ctx.pool.takeUniform(prm.byteLength);
  dev.queue.writeBuffer(ubuf, 0, prm);
  const enc = dev.createCommandEncoder({ label: 'mx run' });
  // with setDebug({timeKernels}) each dispatch gets its own pass with timestamps; with
  // timeRuns the one pass does
  const timing = debugState.timeKernels && ctx.features.timestampQuery ? timestamps(dev, ds.length) : null;
  const whole = !timing && debugState.timeRuns && ctx.features.timestampQuery ? timestamps(dev, 1) : null;
  let pass: GPUComputePassEncoder | null = timing ? null
    : enc.beginComputePass({ label: 'mx run', timestampWrites: whole ? { querySet: whole.set, beginningOfPassWriteIndex: 0, endOfPassWriteIndex: 1 } : undefined });
  ds.forEach((d, i) => {
    if (timing) {
      pass?.end();
      pass = enc.beginComputePass({ label: d.label, timestampWrites: { querySet: timing.set, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 } });
    }
    const bg = bindGroup(ctx, d, ubuf, i * stride, bindSize);
    pass!.setPipeline(pipes[i]);
    pass!.setBindGroup(0, bg);
    pass!.dispatchWorkgroups(d.groups[0], d.groups[1]);
  });
  pass?.end();
  (timing ?? whole)?.resolve(enc);
  dev.queue.submit([enc.finish()]);
  if (timing) {
    const ns = await timing.read();
    ds.forEach((d, i) => debugState.log(`[gpu time] ${d.label}: ${(Number(ns[2 * i + 1] - ns[2 * i]) / 1e3).toFixed(1)} us (${d.groups[0]}x${d.groups[1]} workgroups)`));
  } else if (whole) {
    const ns = await whole.read();
    debugState.log(`[gpu time] run: ${(Number(ns[1] - ns[0]) / 1e3).toFixed(1)} us (${ds.length} dispatches)`);
  } else if (debugState.timeKernels || debugState.timeRuns) debugState.log('[gpu time] this adapter has no timestamp-query feature; kernels are not timed');
  const errors = close();
  ctx.pool.putUniform(ubuf);
  await settle(ctx, errors, ds, nodes, wait);
}

/** A query set for n dispatches (begin and end each) and its readback. */
function timestamps(dev: GPUDevice, n: number): { set: GPUQuerySet; resolve(enc: GPUCommandEncoder): void; read(): Promise<BigUint64Array> } {
  const set = dev.createQuerySet({ type: 'timestamp', count: 2 * n });
  const bytes = 16 * n;
  const res = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC });
  const out = dev.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  return {
    set,
    resolve(enc) {
      enc.resolveQuerySet(set, 0, 2 * n, res, 0);
      enc.copyBufferToBuffer(res, 0, out, 0, bytes);
    },
    async read() {
      await out.mapAsync(GPUMapMode.READ);
      const v = new BigUint64Array(out.getMappedRange().slice(0));
      out.unmap();
      for (const b of [res, out]) b.destroy();
      set.destroy();
      return v;
    },
  };
}

// Bind groups are cached by the buffers they name: a decode step re-runs the same kernels
// over the same pooled buffers, and creating hundreds of bind groups per step dominated the
// encoding time. The cache is dropped whenever the pool destroys a buffer.
const groups = new WeakMap<GpuContext, { generation: number; map: Map<string, GPUBindGroup> }>();
const GROUPS_MAX = 16384;

function bindGroup(ctx: GpuContext, d: Dispatch, ubuf: GPUBuffer, offset: number, size: number): GPUBindGroup {
  let c = groups.get(ctx);
  const gen = ctx.pool.generation;
  if (!c || c.generation !== gen || c.map.size >= GROUPS_MAX) groups.set(ctx, (c = { generation: gen, map: new Map() }));
  let key = `${d.inputs.length}/${outputCount(d)}|${objId(ubuf)}:${offset}:${size}|${objId(d.output)}`;
  for (const b of d.inputs) key += `,${objId(b)}`;
  for (const b of d.extraOutputs ?? []) key += `;${objId(b)}`;
  let bg = c.map.get(key);
  if (!bg) {
    bg = makeBindGroup(ctx, d, ubuf, offset, size);
    c.map.set(key, bg);
  }
  return bg;
}

function makeBindGroup(ctx: GpuContext, d: Dispatch, ubuf: GPUBuffer, offset: number, size: number): GPUBindGroup {
  const entries: GPUBindGroupEntry[] = [
    { binding: 0, resource: { buffer: ubuf, offset, size } },
    { binding: 1, resource: { buffer: d.output } },
    ...d.inputs.map((b, j) => ({ binding: j + 2, resource: { buffer: b } })),
    ...(d.extraOutputs ?? []).map((b, j) => ({ binding: d.inputs.length + j + 2, resource: { buffer: b } })),
  ];
  return ctx.device.createBindGroup({ layout: ctx.pipelines.layout(d.inputs.length, outputCount(d)).group, entries, label: d.label });
}
