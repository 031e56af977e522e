// GPU buffer pool: size classes reused across evaluations, trimmed to the cache limit.
// Buffers released while a run is being encoded stay alive until it is submitted.
import { type GpuAlloc, getCacheLimit, getMemoryLimit, getActiveMemory } from '../../core/memory.ts';
import { PlanCache } from './replay.ts';

const STORAGE_USAGE = 0x80 | 0x4 | 0x8; // STORAGE | COPY_SRC | COPY_DST
const STAGING_USAGE = 0x1 | 0x8; // MAP_READ | COPY_DST
const UNIFORM_USAGE = 0x40 | 0x8; // UNIFORM | COPY_DST

/** Bytes a request of n bytes occupies: 256 minimum, then at most 1/8 over. */
export function sizeClass(n: number): number {
  if (n <= 256) return 256;
  const p = 2 ** Math.ceil(Math.log2(n));
  const step = Math.max(256, p / 8);
  return Math.ceil(n / step) * step;
}

class FreeLists {
  private lists = new Map<number, GPUBuffer[]>();
  bytes = 0;
  /** Counts destroyed buffers, so caches of objects that reference buffers can drop them. */
  destroyed = 0;
  /** Takes a specific free buffer out of its list; false when it is not free. */
  remove(b: GPUBuffer): boolean {
    const l = this.lists.get(b.size);
    const i = l ? l.lastIndexOf(b) : -1;
    if (i < 0) return false;
    l!.splice(i, 1);
    this.bytes -= b.size;
    return true;
  }
  take(size: number): GPUBuffer | undefined {
    const l = this.lists.get(size);
    const b = l?.pop();
    if (b) this.bytes -= b.size;
    return b;
  }
  put(b: GPUBuffer): void {
    let l = this.lists.get(b.size);
    if (!l) this.lists.set(b.size, (l = []));
    l.push(b);
    this.bytes += b.size;
  }
  /** Destroys buffers (largest classes first) until at most `limit` bytes stay. */
  trim(limit: number, keep: Set<GPUBuffer>): void {
    const sizes = [...this.lists.keys()].sort((a, b) => b - a);
    for (const s of sizes) {
      const l = this.lists.get(s)!;
      for (let i = l.length - 1; i >= 0 && this.bytes > limit; i--) {
        const b = l[i];
        if (keep.has(b)) continue;
        l.splice(i, 1);
        this.bytes -= b.size;
        b.destroy();
        this.destroyed++;
      }
      if (this.bytes <= limit) break;
    }
  }
}

export class BufferPool {
  /** Recorded segments (replay.ts); their temporaries are taken out of the pool. */
  readonly plans = new PlanCache(256 * 2 ** 20);
  private storage = new FreeLists();
  private staging = new FreeLists();
  private uniforms = new FreeLists();
  private batchDepth = 0;
  /** Released during the current batch: maybe referenced by unsubmitted commands. */
  private inFlight = new Set<GPUBuffer>();

  constructor(private readonly device: GPUDevice, private readonly maxSize: number) {}

  /** Changes whenever a buffer is destroyed (bind groups naming it are then stale). */
  get generation(): number {
    return this.storage.destroyed + this.staging.destroyed + this.uniforms.destroyed;
  }

  /** Bytes of free buffers held for reuse. */
  cachedBytes(): number {
    return this.storage.bytes + this.staging.bytes + this.plans.bytes;
  }

  private freeBytes(): number {
    return this.storage.bytes + this.staging.bytes;
  }

  /** Moves free buffers to a plan's ownership; all or none (false if one is not free). */
  steal(bufs: Set<GPUBuffer>): boolean {
    const taken: GPUBuffer[] = [];
    for (const b of bufs) {
      if (this.inFlight.has(b) && this.batchDepth > 0) break;
      if (!this.storage.remove(b)) break;
      taken.push(b);
    }
    if (taken.length === bufs.size) return true;
    for (const b of taken) this.storage.put(b);
    return false;
  }

  /** A storage buffer outside the pool, for a recorded plan to own (destroyed with the plan). */
  createOwned(size: number, label: string): GPUBuffer {
    return this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
  }

  /** A storage buffer of at least `nbytes` (16 minimum; rounded to a size class). */
  alloc(nbytes: number, label = 'mx'): GpuAlloc {
    const want = Math.max(16, Math.ceil(nbytes / 4) * 4);
    if (want > this.maxSize) {
      throw new Error(`[gpu] ${label}: an array of ${nbytes} bytes exceeds this device's largest storage buffer (${this.maxSize} bytes).`);
    }
    const size = Math.min(sizeClass(want), this.maxSize);
    let buf = this.storage.take(size);
    if (!buf) {
      this.makeRoom(size);
      buf = this.device.createBuffer({ size, usage: STORAGE_USAGE, label });
    }
    return this.wrap(buf, nbytes);
  }

  /** A MAP_READ staging buffer for readback; give it back with `putStaging`. */
  takeStaging(nbytes: number): GPUBuffer {
    const size = sizeClass(Math.max(16, Math.ceil(nbytes / 4) * 4));
    const b = this.staging.take(size);
    if (b) return b;
    this.makeRoom(size);
    return this.device.createBuffer({ size, usage: STAGING_USAGE, label: 'mx readback' });
  }

  putStaging(b: GPUBuffer): void {
    this.staging.put(b);
    this.trim();
  }

  /** A uniform buffer for a run's parameters; give it back once the run is submitted. */
  takeUniform(nbytes: number): GPUBuffer {
    const size = sizeClass(nbytes);
    return this.uniforms.take(size) ?? this.device.createBuffer({ size, usage: UNIFORM_USAGE, label: 'mx params' });
  }

  /** Later writes are queued after the submit that reads it, so it is reusable at once. */
  putUniform(b: GPUBuffer): void {
    this.uniforms.put(b);
    this.uniforms.trim(1 << 20, new Set());
  }

  private wrap(buffer: GPUBuffer, nbytes: number): GpuAlloc {
    let live = true;
    return {
      buffer,
      nbytes,
      release: () => {
        if (!live) return;
        live = false;
        if (this.batchDepth > 0) this.inFlight.add(buffer);
        this.storage.put(buffer);
        this.trim();
      },
    };
  }

  /** Frees the cache first when a new buffer would pass the memory limit. */
  private makeRoom(size: number): void {
    const lim = getMemoryLimit();
    if (lim > 0 && getActiveMemory() + this.freeBytes() + size > lim) this.trimTo(0);
  }

  private trim(): void {
    const lim = getCacheLimit();
    if (this.freeBytes() > lim) this.trimTo(lim);
  }

  private trimTo(limit: number): void {
    const keep = this.batchDepth > 0 ? this.inFlight : new Set<GPUBuffer>();
    this.staging.trim(Math.max(0, limit - this.storage.bytes), keep);
    this.storage.trim(Math.max(0, limit - this.staging.bytes), keep);
  }

  /** Marks the start of encoding a run: nothing released from here on is destroyed. */
  beginBatch(): void {
    this.batchDepth++;
  }

  /** After submit: buffers released meanwhile may go, down to the cache limit. */
  endBatch(): void {
    if (--this.batchDepth > 0) return;
    this.inFlight.clear();
    this.trim();
  }

  /** Destroys every cached buffer (mx.clearCache). */
  clear(): void {
    this.plans.clear();
    this.trimTo(0);
    this.uniforms.trim(0, new Set());
  }
}
