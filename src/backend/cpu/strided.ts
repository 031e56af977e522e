// Strided access helpers for the CPU backend.
import type { Realized } from '../../core/array.ts';
import type { Dtype } from '../../core/dtype.ts';
import { Storage } from '../../core/memory.ts';
import { allocTyped, reader, writer, type TypedArray } from '../../core/numeric.ts';
import { contiguousStrides, sizeOf, type Shape } from '../../core/shape.ts';

/** Memory offsets of every element of a strided view, in row-major logical order. */
export function offsets(shape: Shape, strides: readonly number[], offset: number): Int32Array | Float64Array {
  const n = sizeOf(shape);
  const out = n < 2 ** 31 ? new Int32Array(n) : new Float64Array(n);
  const nd = shape.length;
  if (n === 0) return out;
  const idx = new Array<number>(nd).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    out[i] = off;
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      off += strides[d];
      if (idx[d] < shape[d]) break;
      off -= strides[d] * shape[d];
      idx[d] = 0;
    }
  }
  return out;
}

/** A realized input read as numbers in logical order. */
export interface CpuIn {
  readonly shape: Shape;
  readonly dtype: Dtype;
  readonly data: TypedArray;
  readonly offs: Int32Array | Float64Array;
  /** Element i in logical row-major order. */
  get(i: number): number;
}

export function cpuIn(r: Realized, shape: Shape, dtype: Dtype): CpuIn {
  const data = r.storage.cpu!;
  const offs = offsets(shape, r.strides, r.offset);
  const rd = reader(dtype, data);
  return { shape, dtype, data, offs, get: (i) => rd(offs[i]) };
}

/** A fresh contiguous output. */
export function cpuOut(shape: Shape, dtype: Dtype): { data: TypedArray; set: (i: number, v: number) => void; realized: () => Realized } {
  const n = sizeOf(shape);
  const data = allocTyped(dtype, n);
  const set = writer(dtype, data);
  return {
    data,
    set,
    realized: () => {
      const st = new Storage(dtype, n);
      st.setCpu(data);
      return { storage: st, strides: contiguousStrides(shape), offset: 0 };
    },
  };
}

/** Unravels a row-major linear index into a multi-index. */
export function unravel(i: number, shape: Shape, out: number[]): number[] {
  for (let d = shape.length - 1; d >= 0; d--) {
    const s = shape[d];
    out[d] = s === 0 ? 0 : i % s;
    i = s === 0 ? 0 : Math.floor(i / s);
  }
  return out;
}
