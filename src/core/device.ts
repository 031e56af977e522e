// Devices (MLX's streams collapse to one per device here) and the default device.

export type DeviceType = 'cpu' | 'gpu';

/** A place arrays are computed: `mx.cpu` or `mx.gpu`. @example mx.add(a, b, { stream: mx.cpu }) */
export class Device {
  /** @internal */
  constructor(readonly type: DeviceType) {}
  toString(): string {
    return `Device(${this.type}, 0)`;
  }
}

/** Hooks the WebGPU backend installs so `mx.gpu` can hand out and take devices. */
export interface GpuHooks {
  use(device: GPUDevice): void;
  init(): Promise<GPUDevice>;
  current(): GPUDevice | null;
  /** Adapter description and limits (opens the device). */
  info(): Promise<Record<string, string | number>>;
  /** The matmul kernel choice in force, with the adapter's name and timestamp support. */
  tuning(): Promise<{ adapter: string; timestamps: boolean; bigMinTiles: number; subgroupMatrix: boolean; bigBlocks: 8 | 16 }>;
  /** Changes it, null: the default (recorded replays are dropped, as they hold the old kernels). */
  setTuning(bigMinTiles: number | null, bigBlocks?: 8 | 16 | null): Promise<void>;
  /** Turns the subgroup-matrix matmul on or off; resolves to whether the device has it. */
  setSubgroupMatrix(on: boolean): Promise<boolean>;
}

/** @internal The backend's hooks, for the tuner (src/api/tune.ts). */
export function gpuHooks(): GpuHooks {
  if (!hooks) throw new Error('[gpu] The WebGPU backend is not loaded.');
  return hooks;
}
/** What mx.gpu.tuneMatmul measured and chose (see src/api/tune.ts). */
export interface MatmulTuning {
  /** The adapter it was measured on. */
  adapter: string;
  /** Tiles (batch x ceil(M/128) x ceil(N/128)) from which the 128x128 kernel runs; null: never. */
  bigMinTiles: number | null;
  /**
   * Per-thread blocks of the 128x128 kernel: 16 (16x8 blocks, 128 threads) or 8 (8x8 blocks,
   * 256 threads); absent in results cached by older versions (the adapter's default then).
   */
  bigBlocks?: 8 | 16;
  /**
   * Per size: microseconds of the 64x64 kernel and of the 128x128 kernel with the chosen
   * blocks, and with each (GPU time, or wall time without timestamps).
   */
  measured: { m: number; n: number; k: number; tiles: number; small: number; big: number; big8?: number; big16?: number }[];
  /** 'measured' now, 'cache' from an earlier measurement on this adapter, 'given' by setMatmulTuning. */
  source: 'measured' | 'cache' | 'given';
}

/** Options of mx.gpu.tuneMatmul. */
export interface TuneOptions {
  /** [m, n, k] products to time (defaults: squares 256..4096 and two prefill shapes). */
  sizes?: [number, number, number][];
  /** Timed runs per size and kernel (median; default 5). */
  reps?: number;
  /** Measure again even when this adapter has a cached result. */
  force?: boolean;
  /** Called after each size with (done, total). */
  progress?: (done: number, total: number) => void;
}

interface Tuner {
  tune(opts: TuneOptions): Promise<MatmulTuning>;
  set(t: Pick<MatmulTuning, 'bigMinTiles' | 'bigBlocks'> | null): Promise<void>;
}
let tuner: Tuner | null = null;
/** @internal */
export function installTuner(t: Tuner): void {
  tuner = t;
}

let hooks: GpuHooks | null = null;
/** @internal */
export function installGpuHooks(h: GpuHooks): void {
  hooks = h;
}

/** The WebGPU device. It is found on first use; `use` hands one in. */
export class GpuDevice extends Device {
  /** @internal */
  constructor() {
    super('gpu');
  }
  /**
   * Hands webmlx a GPUDevice to use instead of finding one.
   * @example
   * const adapter = await navigator.gpu.requestAdapter();
   * mx.gpu.use(await adapter!.requestDevice());
   */
  use(device: GPUDevice): void {
    if (!hooks) throw new Error('[gpu.use] The WebGPU backend is not loaded.');
    hooks.use(device);
  }
  /**
   * Finds and opens the WebGPU device now (otherwise it happens on the first GPU eval).
   * Throws a clear error when the runtime has no WebGPU adapter.
   * @example
   * const dev = await mx.gpu.init();
   */
  init(): Promise<GPUDevice> {
    if (!hooks) throw new Error('[gpu.init] The WebGPU backend is not loaded.');
    return hooks.init();
  }
  /** Adapter name, limits and features of the WebGPU device (opens it). @example await mx.gpu.info() */
  info(): Promise<Record<string, string | number>> {
    if (!hooks) throw new Error('[gpu.info] The WebGPU backend is not loaded.');
    return hooks.info();
  }
  /**
   * Times the matmul kernels (64x64 tiles, and 128x128 tiles with 16x8 or 8x8 blocks per
   * thread) over a set of sizes on this adapter and keeps the faster blocks and the crossover
   * it finds for later products; the result is cached per adapter (in memory, and in
   * localStorage where there is one), so later calls return at once.
   * @example
   * const t = await mx.gpu.tuneMatmul();   // t.bigMinTiles, t.bigBlocks, t.measured
   */
  tuneMatmul(opts: TuneOptions = {}): Promise<MatmulTuning> {
    if (!tuner) throw new Error('[gpu.tuneMatmul] The tuner is not loaded.');
    return tuner.tune(opts);
  }
  /**
   * Sets the matmul kernel choice directly (e.g. a saved tuneMatmul result); null restores
   * the default.
   * @example
   * await mx.gpu.setMatmulTuning({ bigMinTiles: 64 });
   * await mx.gpu.setMatmulTuning({ bigMinTiles: 256, bigBlocks: 8 });   // 8x8 blocks per thread
   */
  setMatmulTuning(t: Pick<MatmulTuning, 'bigMinTiles' | 'bigBlocks'> | null): Promise<void> {
    if (!tuner) throw new Error('[gpu.setMatmulTuning] The tuner is not loaded.');
    return tuner.set(t);
  }
  /**
   * Lets float matmuls use the device's subgroup-matrix units (tensor cores, Apple simdgroup
   * matrices) where it exposes `chromium-experimental-subgroup-matrix` (on by default), or
   * keeps them on the tile kernels. Resolves to whether this device has such units.
   * @example
   * const has = await mx.gpu.setSubgroupMatrix(false);   // tile kernels only
   */
  setSubgroupMatrix(on: boolean): Promise<boolean> {
    if (!hooks) throw new Error('[gpu.setSubgroupMatrix] The WebGPU backend is not loaded.');
    if (typeof on !== 'boolean') throw new Error(`[gpu.setSubgroupMatrix] expects true or false; got ${String(on)}.`);
    return hooks.setSubgroupMatrix(on);
  }
  /** The GPUDevice in use, or null before the first GPU evaluation. */
  get device(): GPUDevice | null {
    return hooks?.current() ?? null;
  }
}

/** The CPU device: a TypeScript implementation, also the reference oracle. */
export const cpu = new Device('cpu');
/** The WebGPU device. */
export const gpu = new GpuDevice();

let defaultDev: Device = gpu;

/**
 * Sets the device ops run on when no `stream` option is given.
 * @example
 * mx.setDefaultDevice(mx.cpu);
 */
export function setDefaultDevice(d: Device): void {
  if (d !== cpu && d !== gpu) throw new TypeError('[setDefaultDevice] Expected mx.cpu or mx.gpu.');
  defaultDev = d;
}

/**
 * The device ops run on by default (`mx.gpu` unless changed).
 * @example
 * mx.defaultDevice().type; // 'gpu'
 */
export function defaultDevice(): Device {
  return defaultDev;
}

/** Per-op option, as MLX's `stream=` keyword. */
export interface StreamOpt {
  stream?: Device;
}

/** Resolves an op's device from its options. */
export function resolveDevice(opts?: StreamOpt): Device {
  const s = opts?.stream;
  if (s === undefined) return defaultDev;
  if (s !== cpu && s !== gpu) throw new TypeError('[stream] Expected mx.cpu or mx.gpu as stream.');
  return s;
}
