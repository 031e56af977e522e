// Moving bytes between devices: each Storage keeps the copies it has, so a transfer
// happens at most once per direction.
import type { Storage } from './memory.ts';
import type { TypedArray } from './numeric.ts';
import { viewTyped } from './numeric.ts';

let download: ((s: Storage) => Promise<ArrayBuffer>) | null = null;
/** @internal The WebGPU backend installs its readback. */
export function installDownload(f: (s: Storage) => Promise<ArrayBuffer>): void {
  download = f;
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
