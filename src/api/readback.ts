// Reading values back to JS: evaluation, then a host copy in logical order.
import type { MxArray } from '../core/array.ts';
import { evalArrays } from '../ir/eval.ts';
import { ensureCpu, readSpan } from '../core/transfer.ts';
import { offsets } from '../backend/cpu/strided.ts';
import { allocTyped, reader, type TypedArray } from '../core/numeric.ts';
import { isContiguous } from '../core/shape.ts';
import { toPairs } from '../ops/complex.ts';

/** Values of a realized array as a TypedArray in row-major order. */
export async function hostData(a: MxArray): Promise<TypedArray> {
  // complex64 reads as its float32 (re, im) pairs
  if (a.dtype.kind === 'c') return hostData(toPairs(a));
  await evalArrays(a);
  const r = a._data;
  if (!r) throw new Error(`[data] Array ${a.toString()} was disposed.`);
  let src: TypedArray;
  let base = 0;
  // a small view of a GPU buffer reads only its span; otherwise the whole copy is kept
  let lo = r.offset, hi = r.offset;
  a.shape.forEach((d, i) => {
    if (d === 0) return;
    const e = r.strides[i] * (d - 1);
    if (e < 0) lo += e;
    else hi += e;
  });
  if (!r.storage.cpu && r.storage.gpu && a.size > 0 && (hi - lo + 1) * 4 < r.storage.size) {
    ({ data: src, base } = await readSpan(r.storage, lo, hi));
  } else src = r.storage.cpu ?? (await ensureCpu(r.storage));
  if (isContiguous(a.shape, r.strides)) return src.slice(r.offset - base, r.offset - base + a.size) as TypedArray;
  const offs = offsets(a.shape, r.strides, r.offset - base);
  const out = allocTyped(a.dtype, a.size);
  for (let i = 0; i < offs.length; i++) out[i] = src[offs[i]] as never;
  return out;
}

type F16Ctor = new (n: number) => globalThis.ArrayLike<number> & { [i: number]: number };

/**
 * Values as a TypedArray: float16 as Float16Array where the runtime has it (else
 * Float32Array), bfloat16 as Float32Array, bool as Uint8Array.
 * @example
 * const f32 = await mx.data(mx.ones([4])); // Float32Array [1, 1, 1, 1]
 */
export async function data(a: MxArray): Promise<TypedArray | globalThis.ArrayLike<number>> {
  const raw = await hostData(a);
  if (a.dtype.name === 'float16' || a.dtype.name === 'bfloat16') {
    const rd = reader(a.dtype, raw);
    const F16 = (globalThis as { Float16Array?: F16Ctor }).Float16Array;
    const out = a.dtype.name === 'float16' && F16 ? new F16(raw.length) : new Float32Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = rd(i);
    return out;
  }
  return raw;
}

/** A complex64 element as read back (JS has no complex number type). */
export interface Complex {
  re: number;
  im: number;
}

export type Nested = number | boolean | Complex | Nested[];

/** Values as nested JS arrays (numbers, booleans for bool, {re, im} for complex64). @example await mx.tolist(mx.eye(2)) // [[1, 0], [0, 1]] */
export async function tolist(a: MxArray): Promise<Nested> {
  const raw = await hostData(a);
  const rd = reader(a.dtype, raw);
  const isBool = a.dtype.name === 'bool';
  const isComplex = a.dtype.kind === 'c';
  let i = 0;
  const build = (d: number): Nested => {
    if (d === a.ndim) {
      if (isComplex) return { re: raw[2 * i] as number, im: raw[2 * i++ + 1] as number };
      const v = rd(i++);
      return isBool ? v !== 0 : v;
    }
    const out: Nested[] = [];
    for (let k = 0; k < a.shape[d]; k++) out.push(build(d + 1));
    return out;
  };
  return build(0);
}

/** The single value of a size-1 array. @example await mx.item(mx.sum(mx.ones([3]))) // 3 */
export async function item(a: MxArray): Promise<number | boolean | Complex> {
  if (a.size !== 1) throw new Error(`[item] Only size-1 arrays can be converted to a scalar; got shape (${a.shape.join(',')}).`);
  if (a.dtype.kind === 'c') {
    const p = await hostData(a);
    return { re: p[0] as number, im: p[1] as number };
  }
  const v = reader(a.dtype, await hostData(a))(0);
  return a.dtype.name === 'bool' ? v !== 0 : v;
}
