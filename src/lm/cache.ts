// Per-layer key/value caches for generation: a growing cache written in place with
// sliceUpdate, a rotating one bounded by maxKvSize, and prompt-cache files (safetensors).
import * as mx from '../index.ts';
import { QuantizedKVCache } from './qcache.ts';
import { scatterAxisDonated, sliceUpdateDonated } from '../ops/indexing.ts';

type MxArray = mx.MxArray;

/** What attention needs from a cache. Keys/values are [B, heads, T, headDim]. */
export interface Cache {
  /** Tokens seen so far (the position of the next token). */
  offset: number;
  /** Appends keys/values and returns every key/value attention should see, in order. */
  updateAndFetch(keys: MxArray, values: MxArray): [MxArray, MxArray];
  /** Whether `trim` can remove tokens. */
  isTrimmable(): boolean;
  /** Removes the last n tokens; returns how many were removed. */
  trim(n: number): number;
  /** The arrays to save: [keys, values] (empty when nothing is cached). */
  readonly state: MxArray[];
  /** String fields a prompt-cache file needs to rebuild the cache. */
  metaState(): Record<string, string>;
  /** The stored arrays; evaluate them after each step so the graph does not grow. */
  readonly buffers: MxArray[];
}

/**
 * Evaluates every cache's buffers (call after a forward pass that updated them).
 * @example
 * model.forward(ids, cache); await evalCache(cache);
 */
export async function evalCache(cache: Cache[], ...more: MxArray[]): Promise<void> {
  await mx.eval(...more, ...cache.flatMap((c) => c.buffers));
}

/**
 * MLX-LM's KVCache: grows in chunks of `step` tokens and writes new keys in place.
 * @example
 * const c = new KVCache();
 * const [k, v] = c.updateAndFetch(keys, values);
 */
export class KVCache implements Cache {
  keys: MxArray | null = null;
  values: MxArray | null = null;
  offset = 0;
  constructor(readonly step = 256) {}

  updateAndFetch(keys: MxArray, values: MxArray): [MxArray, MxArray] {
    const prev = this.offset, n = keys.shape[2];
    this.reserve(keys, values);
    this.offset += n;
    // the old arrays are dropped: the update may write into their buffers
    this.keys = sliceUpdateDonated(this.keys!, keys, [prev], [2]);
    this.values = sliceUpdateDonated(this.values!, values, [prev], [2]);
    return [mx.sliceAxes(this.keys, [2], [0], [this.offset]), mx.sliceAxes(this.values, [2], [0], [this.offset])];
  }

  /**
   * One decode token written at `pos` (int32 [1], the current offset) and the whole buffers
   * returned: the caller masks positions >= offset. Shapes then stay the same from step to
   * step (until the cache grows), so the step's recorded kernels are replayed.
   */
  updateAtPosition(keys: MxArray, values: MxArray, pos: MxArray): [MxArray, MxArray] {
    this.reserve(keys, values);
    this.offset += 1;
    this.keys = scatterAxisDonated(this.keys!, pos, keys, 2);
    this.values = scatterAxisDonated(this.values!, pos, values, 2);
    return [this.keys, this.values];
  }

  /** Grows the buffers (in `step`-token chunks) to hold the next keys.shape[2] tokens. */
  private reserve(keys: MxArray, values: MxArray): void {
    const prev = this.offset, n = keys.shape[2];
    if (this.keys === null || this.values === null || prev + n > this.keys.shape[2]) {
      const [B, H, , Dk] = keys.shape, Dv = values.shape[3];
      const grow = Math.ceil((prev + n) / this.step) * this.step - (this.keys ? this.keys.shape[2] : 0);
      const nk = mx.zeros([B, H, grow, Dk], keys.dtype), nv = mx.zeros([B, H, grow, Dv], values.dtype);
      if (this.keys && this.values) {
        this.keys = mx.concatenate([mx.sliceAxes(this.keys, [2], [0], [prev]), nk], 2);
        this.values = mx.concatenate([mx.sliceAxes(this.values, [2], [0], [prev]), nv], 2);
      } else {
        this.keys = nk;
        this.values = nv;
      }
    }
  }

  isTrimmable(): boolean {
    return true;
  }

  get buffers(): MxArray[] {
    return this.keys && this.values ? [this.keys, this.values] : [];
  }

  trim(n: number): number {
    const k = Math.min(this.offset, Math.max(0, n));
    this.offset -= k;
    return k;
  }

  get state(): MxArray[] {
    if (!this.keys || !this.values) return [];
    return [mx.sliceAxes(this.keys, [2], [0], [this.offset]), mx.sliceAxes(this.values, [2], [0], [this.offset])];
  }

  set state(s: MxArray[]) {
    if (s.length === 0) return;
    [this.keys, this.values] = s;
    this.offset = s[0].shape[2];
  }

  metaState(): Record<string, string> {
    return {};
  }
}

/**
 * A cache that holds at most `maxSize` tokens: the first `keep` tokens (attention sinks)
 * plus the most recent ones. During a multi-token update the new tokens attend over the
 * retained window plus themselves.
 * @example
 * const c = new RotatingKVCache(512, 4);
 */
export class RotatingKVCache implements Cache {
  keys: MxArray | null = null;
  values: MxArray | null = null;
  offset = 0;
  constructor(readonly maxSize: number, readonly keep = 0) {
    if (!(Number.isInteger(maxSize) && maxSize > 0)) throw new Error(`[RotatingKVCache] maxSize must be a positive integer, got ${maxSize}.`);
    if (!(Number.isInteger(keep) && keep >= 0 && keep < maxSize)) throw new Error(`[RotatingKVCache] keep must be in [0, maxSize), got ${keep}.`);
  }

  private bound(x: MxArray): MxArray {
    const T = x.shape[2];
    if (T <= this.maxSize) return x;
    const tail = mx.sliceAxes(x, [2], [T - (this.maxSize - this.keep)], [T]);
    return this.keep ? mx.concatenate([mx.sliceAxes(x, [2], [0], [this.keep]), tail], 2) : tail;
  }

  updateAndFetch(keys: MxArray, values: MxArray): [MxArray, MxArray] {
    const k = this.keys ? mx.concatenate([this.keys, keys], 2) : keys;
    const v = this.values ? mx.concatenate([this.values, values], 2) : values;
    this.keys = this.bound(k);
    this.values = this.bound(v);
    this.offset += keys.shape[2];
    // A single new token sees exactly the retained window; a chunk sees the window before it too.
    return keys.shape[2] === 1 ? [this.keys, this.values] : [k, v];
  }

  /** Number of cached tokens (at most maxSize). */
  get size(): number {
    return this.keys ? this.keys.shape[2] : 0;
  }

  isTrimmable(): boolean {
    return this.offset < this.maxSize;
  }

  get buffers(): MxArray[] {
    return this.state;
  }

  trim(n: number): number {
    if (!this.isTrimmable() || !this.keys || !this.values) return 0;
    const k = Math.min(this.offset, Math.max(0, n));
    this.offset -= k;
    this.keys = mx.sliceAxes(this.keys, [2], [0], [this.offset]);
    this.values = mx.sliceAxes(this.values, [2], [0], [this.offset]);
    return k;
  }

  get state(): MxArray[] {
    return this.keys && this.values ? [this.keys, this.values] : [];
  }

  set state(s: MxArray[]) {
    if (s.length === 0) return;
    [this.keys, this.values] = s;
  }

  metaState(): Record<string, string> {
    return { maxSize: String(this.maxSize), keep: String(this.keep), offset: String(this.offset) };
  }
}

/** Options of `makePromptCache`. */
export interface PromptCacheOptions {
  /** Bound every layer's cache to this many tokens (a RotatingKVCache). */
  maxKvSize?: number;
  /** Tokens a rotating cache always keeps at the start (default 4, as MLX-LM). */
  keep?: number;
  /** Store keys/values quantized with this many bits (a QuantizedKVCache). */
  kvBits?: number;
  /** The quantization group size along the head dimension (default 64). */
  kvGroupSize?: number;
}

/**
 * One cache per layer for a model (`model.layers.length` of them, or the model's own
 * `makeCache`).
 * @example
 * const cache = makePromptCache(model, { maxKvSize: 1024 });
 */
export function makePromptCache(model: { numLayers: number; makeCache?: () => Cache[] }, opts: PromptCacheOptions = {}): Cache[] {
  if (opts.kvBits !== undefined) {
    if (opts.maxKvSize !== undefined) throw new Error('[makePromptCache] kvBits and maxKvSize cannot be combined (as in MLX-LM).');
    return Array.from({ length: model.numLayers }, () => new QuantizedKVCache(opts.kvGroupSize ?? 64, opts.kvBits!));
  }
  if (opts.maxKvSize !== undefined) {
    const keep = Math.min(opts.keep ?? 4, opts.maxKvSize - 1);
    return Array.from({ length: model.numLayers }, () => new RotatingKVCache(opts.maxKvSize!, keep));
  }
  if (model.makeCache) return model.makeCache();
  return Array.from({ length: model.numLayers }, () => new KVCache());
}

/**
 * Whether every cache of a prompt cache can be trimmed.
 * @example
 * if (canTrimPromptCache(cache)) trimPromptCache(cache, 3);
 */
export function canTrimPromptCache(cache: Cache[]): boolean {
  return cache.every((c) => c.isTrimmable());
}

/**
 * Removes the last n tokens from every layer's cache; returns how many were removed.
 * @example
 * trimPromptCache(cache, 2);
 */
export function trimPromptCache(cache: Cache[], n: number): number {
  if (!canTrimPromptCache(cache) || cache.length === 0) return 0;
  return cache.map((c) => c.trim(n))[0];
}

/**
 * Saves a prompt cache as safetensors (`cache.{layer}.{keys|values}`; the cache kinds
 * and user metadata in the header). Returns the bytes; with a path also writes the file.
 * @example
 * const bytes = await savePromptCache(null, cache, { model: 'qwen3' });
 */
export async function savePromptCache(file: string | null, cache: Cache[], metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const arrays: Record<string, MxArray> = {};
  const kinds = cache.map((c, i) => {
    const s = c.state;
    if (s.length) [arrays[`cache.${i}.keys`], arrays[`cache.${i}.values`]] = s;
    return { kind: c instanceof RotatingKVCache ? 'rotating' : c instanceof QuantizedKVCache ? 'quantized' : 'kv', offset: c.offset, meta: c.metaState() };
  });
  const meta = { ...metadata, __prompt_cache__: JSON.stringify(kinds) };
  return file === null ? mx.saveSafetensors(arrays, meta) : mx.saveSafetensors(file, arrays, meta);
}

/**
 * Loads a prompt cache written by `savePromptCache`; returns the caches and the user
 * metadata.
 * @example
 * const { cache, metadata } = await loadPromptCache(bytes);
 */
export async function loadPromptCache(src: string | Uint8Array | Blob): Promise<{ cache: Cache[]; metadata: Record<string, string> }> {
  const { arrays, metadata } = await mx.loadSafetensors(src);
  const raw = metadata.__prompt_cache__;
  if (raw === undefined) throw new Error('[loadPromptCache] Not a prompt cache: the safetensors metadata has no __prompt_cache__ entry.');
  let kinds: { kind: string; offset: number; meta: Record<string, string> }[];
  try {
    kinds = JSON.parse(raw);
  } catch {
    throw new Error('[loadPromptCache] The __prompt_cache__ metadata is not valid JSON.');
  }
  const cache = kinds.map((k, i) => {
    let c: KVCache | RotatingKVCache | QuantizedKVCache;
    if (k.kind === 'rotating') c = new RotatingKVCache(Number(k.meta.maxSize), Number(k.meta.keep));
    else if (k.kind === 'quantized') c = new QuantizedKVCache(Number(k.meta.groupSize), Number(k.meta.bits));
    else if (k.kind === 'kv') c = new KVCache();
    else throw new Error(`[loadPromptCache] Unknown cache kind '${k.kind}' for layer ${i}.`);
    const keys = arrays[`cache.${i}.keys`], values = arrays[`cache.${i}.values`];
    if (keys && values) c.state = [keys, values];
    c.offset = k.offset;
    return c;
  });
  const user = { ...metadata };
  delete user.__prompt_cache__;
  return { cache, metadata: user };
}
