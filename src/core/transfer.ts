// Moving bytes between devices: each Storage keeps the copies it has, so a transfer
// happens at most once per direction.
import type { Storage } from './memory.ts';
import type { TypedArray } from './numeric.ts';
import { viewTyped } from './numeric.ts';

type Download = (s: Storage, byteStart?: number, byteEnd?: number) => Promise<ArrayBuffer>;
let download: Download | null = null;
/** @internal The WebGPU backend installs its readback. */
export function installDownload(f: Download): void {
  download = f;
}

/**
 * Reads elements [first, last] of a GPU-only storage without caching a full host copy:
 * a small view of a large buffer moves only its own bytes. Returns the data and the
 * element index its first entry holds.
 */
export async function readSpan(s: Storage, first: number, last: number): Promise<{ data: TypedArray; base: number }> {
  if (!download) throw new Error('internal: no GPU readback installed');
  const isz = s.dtype.size;
  const b0 = Math.floor((first * isz) / 4) * 4;
  const b1 = Math.min(Math.ceil(((last + 1) * isz) / 4) * 4, Math.ceil(s.nbytes / 4) * 4);
  const buf = await download(s, b0, b1);
  const n = Math.floor(buf.byteLength / isz);
  return { data: viewTyped(s.dtype, buf, 0, n), base: b0 / isz };
}

/** Makes sure a storage has its CPU copy, reading the GPU buffer back if needed. */
export async function ensureCpu(s: Storage): Promise<TypedArray> {
  if (s.cpu) return s.cpu;
  if (!s.gpu) throw new Error('internal: storage has no data (released?)');
  if (!s.pendingRead) {
    if (!download) throw new Error('internal: no GPU readback installed');
    s.pendingRead = download(s).then((buf) => {
      const t = viewTyped(s.dtype, buf, 0, s.size);
      if (s.gpu || s.refs > 0) s.setCpu(t);
      s.pendingRead = null;
      return t;
    });
  }
  return s.pendingRead;
}
