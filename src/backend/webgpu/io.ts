// Host <-> GPU copies. Uploads happen once per Storage (the GPU copy stays on it);
// readback goes through a pooled MAP_READ buffer and waits on mapAsync (never on
// onSubmittedWorkDone, which crashed dawn.node).
import type { Storage } from '../../core/memory.ts';
import { currentContext, openScopes, type GpuContext } from './context.ts';

/** Gives a CPU-only storage its GPU copy. */
export function upload(ctx: GpuContext, s: Storage): void {
  if (s.gpu) return;
  const cpu = s.cpu;
  if (!cpu) throw new Error('internal: storage has no data (released?)');
  const alloc = ctx.pool.alloc(s.nbytes, `mx upload ${s.dtype.name}`);
  writeHost(ctx.device, alloc.buffer, cpu);
  s.setGpu(alloc);
}

/** Writes host data at the start of a buffer (padded to whole words). */
export function writeHost(device: GPUDevice, dst: GPUBuffer, cpu: ArrayBufferView): void {
  const n = cpu.byteLength;
  if (n === 0) return;
  const padded = Math.ceil(n / 4) * 4;
  const shared = typeof SharedArrayBuffer !== 'undefined' && cpu.buffer instanceof SharedArrayBuffer;
  // writeBuffer wants whole words, and Deno/dawn.node reject views of shared memory
  if (padded !== n || shared) {
    const tmp = new Uint8Array(padded);
    tmp.set(new Uint8Array(cpu.buffer, cpu.byteOffset, n));
    device.queue.writeBuffer(dst, 0, tmp);
  } else {
    device.queue.writeBuffer(dst, 0, cpu.buffer as ArrayBuffer, cpu.byteOffset, n);
  }
}

/**
 * Reads a storage's GPU buffer back (installed as the core's download), or only the
 * word-aligned byte range [start, end) of it, for small views of large buffers.
 */
export async function download(s: Storage, start = 0, end = s.nbytes): Promise<ArrayBuffer> {
  const ctx = currentContext();
  if (!ctx || !s.gpu) throw new Error('internal: reading back an array that has no GPU buffer');
  const nbytes = end - start;
  if (nbytes <= 0) {
    await ctx.settle('reading an array back');
    return new ArrayBuffer(0);
  }
  const size = Math.ceil(nbytes / 4) * 4;
  const dev = ctx.device;
  const staging = ctx.pool.takeStaging(size);
  const close = openScopes(dev);
  const enc = dev.createCommandEncoder({ label: 'mx readback' });
  enc.copyBufferToBuffer(s.gpu.buffer, start, staging, 0, size);
  // the copy is queued at once (work submitted later does not delay it); earlier
  // submissions' errors are checked before the values are used
  dev.queue.submit([enc.finish()]);
  const errors = close();
  try {
    await ctx.settle('reading an array back');
  } catch (e) {
    void errors.then(() => ctx.pool.putStaging(staging));
    throw e;
  }
  try {
    await staging.mapAsync(1 /* GPUMapMode.READ */, 0, size);
  } catch (e) {
    ctx.check('reading an array back');
    const err = await errors;
    throw new Error(`[gpu] Reading an array back failed: ${err ?? (e as Error).message}`);
  }
  const out = staging.getMappedRange(0, size).slice(0, nbytes);
  staging.unmap();
  ctx.pool.putStaging(staging);
  const err = await errors;
  if (err) throw new Error(`[gpu] Reading an array back failed: ${err}`);
  return out;
}
