// Storage of realized arrays (a CPU copy, a GPU copy, or both) and MLX's memory API.
import type { Dtype } from './dtype.ts';
import type { TypedArray } from './numeric.ts';

/** A GPU allocation handed out by the WebGPU backend's pool. */
export interface GpuAlloc {
  readonly buffer: GPUBuffer;
  /** Bytes the caller asked for (the buffer may be larger, from the pool). */
  readonly nbytes: number;
  /** Returns the buffer to the pool. */
  release(): void;
}

const stats = { active: 0, peak: 0 };
let cacheBytes = () => 0;
let clearCacheHook = () => {};
let memoryLimit = 0;
let cacheLimit = Infinity;

/** @internal The GPU pool reports its cached bytes and its clear function here. */
export function installCacheHooks(bytes: () => number, clear: () => void): void {
  cacheBytes = bytes;
  clearCacheHook = clear;
}

/** @internal */
export function trackAlloc(n: number): void {
  stats.active += n;
  if (stats.active > stats.peak) stats.peak = stats.active;
}
/** @internal */
export function trackFree(n: number): void {
  stats.active -= n;
}

/**
 * The bytes held by live arrays (GPU buffers and CPU copies), as MLX's `get_active_memory`.
 * @example
 * const before = mx.getActiveMemory();
 */
export function getActiveMemory(): number {
  return stats.active;
}
/**
 * The largest active memory seen since start or the last `resetPeakMemory`.
 * @example
 * mx.resetPeakMemory(); await mx.eval(y); mx.getPeakMemory();
 */
export function getPeakMemory(): number {
  return stats.peak;
}
/** Resets the peak to the current active memory. @example mx.resetPeakMemory(); */
export function resetPeakMemory(): void {
  stats.peak = stats.active;
}
/** Bytes held in the buffer pool for reuse. @example mx.getCacheMemory(); */
export function getCacheMemory(): number {
  return cacheBytes();
}
/** Frees the buffer pool. @example mx.clearCache(); */
export function clearCache(): void {
  clearCacheHook();
}
/**
 * Sets the memory limit in bytes; returns the previous one. Evaluations that would pass it
 * first free the cache. 0 means no limit.
 * @example
 * mx.setMemoryLimit(2 ** 30);
 */
export function setMemoryLimit(bytes: number): number {
  const prev = memoryLimit;
  memoryLimit = bytes;
  return prev;
}
/** @internal */
export function getMemoryLimit(): number {
  return memoryLimit;
}
/**
 * Sets how many bytes the buffer pool may keep; returns the previous limit.
 * @example
 * mx.setCacheLimit(0); // no caching
 */
export function setCacheLimit(bytes: number): number {
  const prev = cacheLimit;
  cacheLimit = bytes;
  if (cacheBytes() > bytes) clearCacheHook();
  return prev;
}
/** @internal */
export function getCacheLimit(): number {
  return cacheLimit;
}

/**
 * Bytes of one realized buffer: `size` elements of `dtype`, row-major, possibly on both
 * devices. Views share a Storage; it is released when the last array using it goes.
 */
export class Storage {
  cpu: TypedArray | null = null;
  gpu: GpuAlloc | null = null;
  /** Arrays holding this storage; it is freed at zero. */
  refs = 0;
  /** A pending GPU->CPU copy, so two readers share one transfer. */
  pendingRead: Promise<TypedArray> | null = null;

  constructor(readonly dtype: Dtype, readonly size: number) {}

  get nbytes(): number {
    return this.size * this.dtype.size;
  }

  setCpu(a: TypedArray): void {
    if (!this.cpu) trackAlloc(a.byteLength);
    this.cpu = a;
  }

  setGpu(g: GpuAlloc): void {
    if (this.gpu) throw new Error('internal: storage already has a GPU buffer');
    trackAlloc(g.nbytes);
    this.gpu = g;
  }

  /**
   * Hands this storage's GPU buffer to a new owner (an in-place update of a donated array);
   * a CPU copy stays here with the old values.
   */
  detachGpu(): GpuAlloc {
    const g = this.gpu;
    if (!g) throw new Error('internal: no GPU buffer to detach');
    trackFree(g.nbytes);
    this.gpu = null;
    return g;
  }

  /** Frees both copies. */
  release(): void {
    if (this.cpu) {
      trackFree(this.cpu.byteLength);
      this.cpu = null;
    }
    if (this.gpu) {
      trackFree(this.gpu.nbytes);
      this.gpu.release();
      this.gpu = null;
    }
  }

  retain(): void {
    this.refs++;
  }

  drop(): void {
    if (--this.refs <= 0) this.release();
  }
}
