// A KV cache stored quantized (MLX's affine packing, mx.quantize) to cut its memory by
// 2-4x: new keys/values are quantized on arrival, and attention reads them dequantized.
import * as mx from '../index.ts';
import type { Cache } from './cache.ts';

type MxArray = mx.MxArray;

/**
 * MLX-LM's QuantizedKVCache (`kvBits`, `kvGroupSize`): head dims must be a multiple of the
 * group size.
 * @example
 * const cache = Array.from({ length: model.numLayers }, () => new QuantizedKVCache(64, 8));
 */
export class QuantizedKVCache implements Cache {
  private k: MxArray[] | null = null;
  private v: MxArray[] | null = null;
  private dtype: mx.Dtype = mx.float32;
  offset = 0;
  constructor(readonly groupSize = 64, readonly bits = 8) {
    if (![32, 64, 128].includes(groupSize)) throw new Error(`[QuantizedKVCache] kvGroupSize must be 32, 64 or 128, got ${groupSize}.`);
    if (![2, 3, 4, 5, 6, 8].includes(bits)) throw new Error(`[QuantizedKVCache] kvBits must be 2, 3, 4, 5, 6 or 8, got ${bits}.`);
  }

  private quant(x: MxArray): MxArray[] {
    const d = x.shape[x.ndim - 1];
    if (d % this.groupSize !== 0) throw new Error(`[QuantizedKVCache] The head dimension ${d} is not a multiple of kvGroupSize ${this.groupSize}.`);
    return mx.quantize(x, this.groupSize, this.bits);
  }

  private deq(parts: MxArray[]): MxArray {
    return mx.dequantize(parts[0], parts[1], parts[2], this.groupSize, this.bits, 'affine', { dtype: this.dtype });
  }

  updateAndFetch(keys: MxArray, values: MxArray): [MxArray, MxArray] {
    this.dtype = keys.dtype;
    const qk = this.quant(keys), qv = this.quant(values);
    const join = (old: MxArray[] | null, add: MxArray[]) => (old ? old.map((a, i) => mx.concatenate([a, add[i]], 2)) : add);
    this.k = join(this.k, qk);
    this.v = join(this.v, qv);
    this.offset += keys.shape[2];
    return [this.deq(this.k), this.deq(this.v)];
  }

  isTrimmable(): boolean {
    return true;
  }

  trim(n: number): number {
    const t = Math.min(this.offset, Math.max(0, n));
    this.offset -= t;
    const cut = (p: MxArray[] | null) => p && p.map((a) => mx.sliceAxes(a, [2], [0], [this.offset]));
    this.k = cut(this.k);
    this.v = cut(this.v);
    return t;
  }

  /** Keys and values dequantized (a prompt-cache file stores them so; loading quantizes again). */
  get state(): MxArray[] {
    return this.k && this.v ? [this.deq(this.k), this.deq(this.v)] : [];
  }

  set state(s: MxArray[]) {
    if (s.length === 0) return;
    this.dtype = s[0].dtype;
    this.k = this.quant(s[0]);
    this.v = this.quant(s[1]);
    this.offset = s[0].shape[2];
  }

  metaState(): Record<string, string> {
    return { groupSize: String(this.groupSize), bits: String(this.bits) };
  }

  get buffers(): MxArray[] {
    return [...(this.k ?? []), ...(this.v ?? [])];
  }
}
