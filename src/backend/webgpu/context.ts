// The WebGPU device webmlx runs on: found once (navigator.gpu, or dawn.node in Node) or
// handed in with mx.gpu.use(); features and limits recorded so kernels can pick paths.
import { BufferPool } from './pool.ts';
import { PipelineCache } from './pipelines.ts';

/** Optional features webmlx asks for when the adapter has them. */
export interface GpuFeatures {
  shaderF16: boolean;
  subgroups: boolean;
  timestampQuery: boolean;
  /** chromium-experimental-subgroup-matrix (tensor cores / simdgroup matrices; an unsafe API in Dawn). */
  subgroupMatrix: boolean;
}

/** One matrix shape the adapter's subgroup-matrix units multiply (left M x K, right K x N). */
export interface SubgroupMatrixConfig {
  componentType: string;
  resultComponentType: string;
  M: number;
  N: number;
  K: number;
}

/** What the subgroup-matrix matmul needs to know: shapes, subgroup size, builtin spelling. */
export interface SubgroupMatrixInfo {
  configs: SubgroupMatrixConfig[];
  /** The one subgroup size of this adapter (the kernel lays out its subgroups by it). */
  subgroupSize: number;
  /** Majorness as a template argument (current Dawn) rather than a bool argument (first releases). */
  templateMajor: boolean;
}

export interface GpuLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupsPerDimension: number;
  minUniformBufferOffsetAlignment: number;
}

/** Tiles from which the 128x128 matmul kernel runs before any tuning (1024^2 is faster as 64x64 tiles). */
export const DEFAULT_BIG_MIN_TILES = 192;

/** Per-thread blocks of the 128x128 f32 kernel: 16 (16x8, shaders/matmul_big.wgsl) or 8 (8x8, matmul_big8.wgsl). */
export type BigBlocks = 8 | 16;

/**
 * 16x8 blocks on NVIDIA (0.62 of the H100's FP32 peak at 4096^3 against 0.55 with 8x8); 8x8
 * elsewhere: a 16x8 thread holds ~190 live values, more than Apple or Intel GPUs give a
 * thread before spilling. mx.gpu.tuneMatmul measures both on the adapter in hand.
 */
export function defaultBigBlocks(vendor: string): BigBlocks {
  return /nvidia/i.test(vendor) ? 16 : 8;
}

/** Everything tied to one GPUDevice. */
export class GpuContext {
  readonly features: GpuFeatures;
  readonly limits: GpuLimits;
  readonly pool: BufferPool;
  readonly pipelines: PipelineCache;
  /** Set when the device is lost; every later use throws it. */
  lost: string | null = null;
  /** The GPU and adapter objects, kept alive: dawn.node aborts if its instance is collected. */
  keep: unknown[] = [];
  /**
   * Kernel choices measured on this adapter (mx.gpu.tuneMatmul): float products use the
   * 128x128 tile kernel from this many tiles up (Infinity: never), else 64x64 tiles; that
   * kernel's per-thread blocks (bigBlocks) start from the adapter's default.
   */
  tuning: { bigMinTiles: number; subgroupMatrix: boolean; bigBlocks: BigBlocks };
  /** The 128x128 kernel's per-thread blocks before any tuning (defaultBigBlocks). */
  readonly bigBlocksDefault: BigBlocks;
  /**
   * The adapter's one subgroup size where its subgroups are runs of consecutive invocations
   * (probeSubgroupRuns), else 0: workgroup sums may then give each subgroup its own slot.
   */
  subgroupRun = 0;
  /** Set once the subgroup-matrix probe has run on a device with the feature (see probeSubgroupMatrix). */
  subgroupMatrix: SubgroupMatrixInfo | null = null;
  /** Pending until that probe is done; getContext waits for it. */
  ready: Promise<void> | null = null;

  constructor(readonly device: GPUDevice, readonly adapterName = '', info?: GPUAdapterInfo) {
    const f = device.features;
    this.features = {
      shaderF16: f.has('shader-f16'),
      subgroups: f.has('subgroups'),
      timestampQuery: f.has('timestamp-query'),
      subgroupMatrix: f.has(SUBGROUP_MATRIX) && f.has('subgroups'),
    };
    info ??= (device as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    this.bigBlocksDefault = defaultBigBlocks(info?.vendor ?? '');
    this.tuning = { bigMinTiles: DEFAULT_BIG_MIN_TILES, subgroupMatrix: true, bigBlocks: this.bigBlocksDefault };
    if (this.features.subgroups && info) {
      // a probe that fails (a lost device, say) leaves the portable kernels, not a broken context
      const sm = this.features.subgroupMatrix ? probeSubgroupMatrix(device, info).catch(() => null) : null;
      const runs = probeSubgroupRuns(device, info).catch(() => 0);
      this.ready = Promise.all([sm, runs]).then(([m, r]) => {
        this.subgroupMatrix = m;
        this.subgroupRun = r;
        this.ready = null;
      });
    }
    const l = device.limits;
    this.limits = {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      minUniformBufferOffsetAlignment: l.minUniformBufferOffsetAlignment,
    };
    this.pool = new BufferPool(device, Math.min(this.limits.maxBufferSize, this.limits.maxStorageBufferBindingSize));
    this.pipelines = new PipelineCache(device);
    device.lost.then((info) => {
      this.lost = `The WebGPU device was lost (${info.reason}): ${info.message}`;
    });
  }

  /** Throws if the device is gone, naming what was attempted. */
  check(what: string | (() => string)): void {
    if (!this.lost && !this.deferred) return;
    if (typeof what === 'function') what = what();
    if (this.lost) throw new Error(`[gpu] ${what}: ${this.lost}`);
    if (this.deferred) {
      const e = this.deferred;
      this.deferred = null;
      throw e;
    }
  }

  /** An error of work submitted without waiting (asyncEval), thrown by the next use. */
  deferred: Error | null = null;
  /** Error checks of submissions nobody waited for; readbacks settle them first. */
  private unsettled = new Set<Promise<void>>();

  /** Tracks a submission's error check without waiting for it. */
  defer(check: Promise<Error | null>): void {
    const p: Promise<void> = check.then((e) => {
      if (e && !this.deferred) this.deferred = e;
      this.unsettled.delete(p);
    });
    this.unsettled.add(p);
  }

  /** Waits for the error checks of earlier submissions, then throws the first error. */
  async settle(what: string): Promise<void> {
    if (this.unsettled.size) await Promise.all([...this.unsettled]);
    this.check(what);
  }

  /** Inputs a kernel may bind besides its output. */
  get inputBudget(): number {
    return Math.max(2, this.limits.maxStorageBuffersPerShaderStage - 1);
  }
}

const SUBGROUP_MATRIX = 'chromium-experimental-subgroup-matrix' as GPUFeatureName;

/**
 * Reads the adapter's subgroup-matrix shapes and finds which builtin spelling its WGSL
 * compiler takes, by compiling a one-line module each way; null when neither compiles or
 * subgroups vary in size (the kernel's layout assumes one size).
 */
async function probeSubgroupMatrix(device: GPUDevice, info: GPUAdapterInfo): Promise<SubgroupMatrixInfo | null> {
  const i = info as GPUAdapterInfo & { subgroupMatrixConfigs?: Iterable<SubgroupMatrixConfig>; subgroupMinSize?: number; subgroupMaxSize?: number };
  const configs = [...(i.subgroupMatrixConfigs ?? [])].map((c) => ({ componentType: c.componentType, resultComponentType: c.resultComponentType, M: c.M, N: c.N, K: c.K }));
  const size = i.subgroupMaxSize ?? 0;
  const c = configs.find((x) => x.componentType === 'f32' || (x.componentType === 'f16' && device.features.has('shader-f16')));
  if (!c || !size || i.subgroupMinSize !== size) return null;
  const head = `${c.componentType === 'f16' ? 'enable f16;\n' : ''}enable chromium_experimental_subgroup_matrix;\n@group(0) @binding(0) var<storage, read_write> o: array<${c.componentType}>;\n@compute @workgroup_size(${size}) fn main() {\n`;
  const ty = `subgroup_matrix_left<${c.componentType}, ${c.K}, ${c.M}>`;
  const forms = [`  let a = subgroupMatrixLoad<${ty}, row_major>(&o, 0u, ${c.K}u);\n  subgroupMatrixStore<row_major>(&o, 0u, a, ${c.K}u);\n}`, `  let a = subgroupMatrixLoad<${ty}>(&o, 0u, false, ${c.K}u);\n  subgroupMatrixStore(&o, 0u, a, false, ${c.K}u);\n}`];
  for (const [j, body] of forms.entries()) {
    device.pushErrorScope('validation');
    const m = device.createShaderModule({ code: head + body });
    const msgs = await m.getCompilationInfo().then((ci) => ci.messages.filter((x) => x.type === 'error').length, () => 1);
    const err = await device.popErrorScope();
    if (!msgs && !err) return { configs, subgroupSize: size, templateMajor: j === 0 };
  }
  return null;
}

/**
 * The subgroup size when the adapter has one size only and a 128-thread workgroup's subgroups
 * are runs of consecutive invocations (each thread checks its lane against lid % size), else 0.
 */
async function probeSubgroupRuns(device: GPUDevice, info: GPUAdapterInfo): Promise<number> {
  const i = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const size = i.subgroupMaxSize ?? 0;
  if (!size || i.subgroupMinSize !== size || 128 % size !== 0) return 0;
  const T = 256;
  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: `enable subgroups;
@group(0) @binding(0) var<storage, read_write> o: array<u32>;
@compute @workgroup_size(128) fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) w: vec3<u32>,
    @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) n: u32) {
  let first = subgroupBroadcastFirst(lid);
  o[w.x * 128u + lid] = select(0u, 1u, n == ${size}u && lane == lid % ${size}u && first == lid - lane);
}` });
  const pipe = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const out = device.createBuffer({ size: T * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const read = device.createBuffer({ size: T * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  const enc = device.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipe);
  pass.setBindGroup(0, device.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: out } }] }));
  pass.dispatchWorkgroups(T / 128);
  pass.end();
  enc.copyBufferToBuffer(out, 0, read, 0, T * 4);
  device.queue.submit([enc.finish()]);
  const err = await device.popErrorScope();
  await read.mapAsync(GPUMapMode.READ);
  const ok = new Uint32Array(read.getMappedRange()).every((v) => v === 1);
  read.unmap();
  out.destroy();
  read.destroy();
  return !err && ok ? size : 0;
}

let ctx: GpuContext | null = null;
let pending: Promise<GpuContext> | null = null;

const OPTIONAL: GPUFeatureName[] = ['shader-f16', 'subgroups' as GPUFeatureName, 'timestamp-query', SUBGROUP_MATRIX];
const LIMITS = [
  'maxStorageBufferBindingSize', 'maxBufferSize', 'maxStorageBuffersPerShaderStage', 'maxComputeWorkgroupStorageSize',
] as const;

async function findGpu(): Promise<GPU | null> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  if (!proc?.versions?.node) return null;
  // a computed specifier, so browser bundlers leave dawn.node alone
  const spec = ['web', 'gpu'].join('');
  const mod = (await import(/* @vite-ignore */ spec)) as { create(opts: string[]): GPU; globals: object };
  Object.assign(globalThis, mod.globals);
  // extra Dawn flags, e.g. WEBMLX_DAWN_FLAGS=disable-dawn-features=timestamp_quantization
  // for unrounded kernel times in benchmarks
  const extra = (proc as { env?: Record<string, string | undefined> }).env?.WEBMLX_DAWN_FLAGS;
  return mod.create(['backend=vulkan', ...(extra ? extra.split(/\s+/).filter(Boolean) : [])]);
}

async function acquire(): Promise<GpuContext> {
  let gpu: GPU | null;
  try {
    gpu = await findGpu();
  } catch (e) {
    throw new Error(`[gpu] No WebGPU adapter found: loading the 'webgpu' package (dawn.node) failed: ${(e as Error).message}`);
  }
  if (!gpu) throw new Error('[gpu] No WebGPU adapter found: this runtime has no navigator.gpu. Use {stream: mx.cpu} or mx.setDefaultDevice(mx.cpu).');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('[gpu] No WebGPU adapter found (requestAdapter returned null). Use mx.setDefaultDevice(mx.cpu) to run on the CPU.');
  const requiredFeatures = OPTIONAL.filter((f) => adapter.features.has(f));
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS) requiredLimits[k] = adapter.limits[k];
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info = adapter.info;
  const c = new GpuContext(device, info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') : '', info);
  c.keep.push(gpu, adapter);
  if (c.ready) await c.ready;
  return c;
}

/** The current context, opening the device on first use. */
export async function getContext(): Promise<GpuContext> {
  if (ctx) {
    if (ctx.ready) await ctx.ready;
    return ctx;
  }
  pending ??= acquire().then(
    (c) => (ctx = c),
    (e) => {
      pending = null;
      throw e;
    },
  );
  return pending;
}

/** Switches to a device the caller opened; buffers of the previous device are dropped. */
export function useDevice(device: GPUDevice): void {
  if (ctx?.device === device) return;
  ctx?.pool.clear();
  ctx = new GpuContext(device);
  pending = null;
}

export function currentDevice(): GPUDevice | null {
  return ctx?.device ?? null;
}

export function currentContext(): GpuContext | null {
  return ctx;
}

type Scoped = 'validation' | 'out-of-memory' | 'internal';
const SCOPES: Scoped[] = ['internal', 'out-of-memory', 'validation'];

/** Opens error scopes; call the returned function (synchronously later) to close them. */
export function openScopes(device: GPUDevice): () => Promise<string | null> {
  for (const s of SCOPES) device.pushErrorScope(s);
  return () => {
    const pops = SCOPES.map(() => device.popErrorScope());
    return Promise.all(pops).then((errs) => {
      const msgs = errs.filter((e): e is GPUError => !!e).map((e) => e.message);
      return msgs.length ? msgs.join('\n') : null;
    });
  };
}
