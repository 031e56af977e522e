// Buffer: an indexable dataset of known size (mlx-data's Buffer). Ops return new buffers
// that compute samples lazily, on access.
import { Ops, type SampleFn } from './ops.ts';
import { Stream, type PrefetchOptions } from './stream.ts';
import { type Sample, type BatchOptions, collate } from './sample.ts';
import { rngFor, permutation, type Rng } from './rng.ts';

type Get = (i: number) => Sample | Promise<Sample>;
type GetBatch = (indices: number[], opts: BatchOptions) => Sample | Promise<Sample>;

/**
 * A dataset with random access: `size` samples, `await buf.get(i)`. Build one with
 * `dx.fromArrays`, `dx.fromVector`, `dx.fromFiles` or `dx.fromUrls`.
 * @example
 * const train = dx.fromArrays({ x, y }).shuffle(0).batch(64);
 * for await (const { x, y } of train) step(x, y);
 */
export class Buffer extends Ops<Buffer> implements AsyncIterable<Sample> {
  /** @internal */
  constructor(
    /** The number of samples. */
    readonly size: number,
    private readonly getOne: Get,
    /** Builds a whole batch at once (e.g. one gather), when the source can. */
    private readonly getMany?: GetBatch,
  ) {
    super();
  }

  /** The number of samples (as `size`). */
  get length(): number {
    return this.size;
  }

  private index(i: number): number {
    if (!Number.isInteger(i) || i < -this.size || i >= this.size) throw new RangeError(`[Buffer] Index ${i} is out of range for a buffer of size ${this.size}.`);
    return i < 0 ? i + this.size : i;
  }

  /**
   * The i-th sample (negative indices count from the end).
   * @example
   * const first = await buf.get(0);
   */
  async get(i: number): Promise<Sample> {
    return this.getOne(this.index(i));
  }

  /**
   * Several samples collated into one batch.
   * @example
   * const b = await buf.getBatch([0, 5, 9]);
   */
  async getBatch(indices: number[], opts: BatchOptions = {}): Promise<Sample> {
    const idx = indices.map((i) => this.index(i));
    if (this.getMany) return this.getMany(idx, opts);
    return collate(await Promise.all(idx.map((i) => this.getOne(i))), opts);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Sample> {
    for (let i = 0; i < this.size; i++) yield await this.getOne(i);
  }

  /**
   * Collects all samples.
   * @example
   * const samples = await buf.toArray();
   */
  async toArray(): Promise<Sample[]> {
    const out: Sample[] = [];
    for await (const s of this) out.push(s);
    return out;
  }

  /** Applies fn to every sample on access. @example buf.map((s) => ({ ...s, y: s.y + 1 })) */
  map(fn: SampleFn): Buffer {
    return new Buffer(this.size, async (i) => fn(await this.getOne(i)));
  }

  /**
   * Reorders (or selects) samples: sample i of the result is sample `indices[i]`.
   * @example
   * buf.perm([2, 0, 1])
   */
  perm(indices: number[]): Buffer {
    const idx = indices.map((i) => this.index(i));
    return new Buffer(idx.length, (i) => this.getOne(idx[i]), (is, o) => this.getBatch(is.map((i) => idx[i]), o));
  }

  /**
   * A random permutation of the samples, reproducible with a seed.
   * @example
   * buf.shuffle(42)
   */
  shuffle(seed?: number | Rng): Buffer {
    return this.perm(permutation(this.size, rngFor(seed)));
  }

  /**
   * Every `numPartitions`-th sample starting at `partition`.
   * @example
   * buf.partition(4, rank)
   */
  partition(numPartitions: number, partition: number): Buffer {
    if (!(partition >= 0 && partition < numPartitions)) throw new Error(`[partition] partition ${partition} is not in [0, ${numPartitions}).`);
    const idx: number[] = [];
    for (let i = partition; i < this.size; i += numPartitions) idx.push(i);
    return this.perm(idx);
  }

  /**
   * The `index`-th of `numShards` contiguous chunks (sizes differ by at most one).
   * @example
   * buf.shard(8, rank)
   */
  shard(numShards: number, index: number): Buffer {
    if (!(index >= 0 && index < numShards)) throw new Error(`[shard] index ${index} is not in [0, ${numShards}).`);
    const lo = Math.floor((this.size * index) / numShards), hi = Math.floor((this.size * (index + 1)) / numShards);
    return this.perm(Array.from({ length: hi - lo }, (_, i) => lo + i));
  }

  /**
   * The samples repeated `times` times.
   * @example
   * buf.repeat(2).size // 2 * buf.size
   */
  repeat(times: number): Buffer {
    if (!Number.isInteger(times) || times < 0) throw new Error(`[repeat] times must be a non-negative integer, got ${times}.`);
    return this.perm(Array.from({ length: this.size * times }, (_, i) => i % this.size));
  }

  /**
   * Batches of `size` consecutive samples (arrays stacked, padded to a common shape).
   * @example
   * buf.shuffle().batch(32)
   */
  batch(size: number, opts: BatchOptions = {}): Buffer {
    if (!Number.isInteger(size) || size < 1) throw new Error(`[batch] Batch size must be a positive integer, got ${size}.`);
    const n = opts.dropLast ? Math.floor(this.size / size) : Math.ceil(this.size / size);
    const range = (b: number) => Array.from({ length: Math.min(size, this.size - b * size) }, (_, k) => b * size + k);
    return new Buffer(n, (b) => this.getBatch(range(b), opts));
  }

  /**
   * A stream over the samples in order.
   * @example
   * buf.toStream().prefetch(8)
   */
  toStream(): Stream {
    return new Stream(() => this[Symbol.asyncIterator]());
  }

  /**
   * A stream that loads up to `n` samples concurrently and ahead of the consumer, keeping
   * their order (mlx-data's ordered_prefetch).
   * @example
   * for await (const b of buf.batch(32).prefetch(8)) step(b);
   */
  prefetch(n: number, opts: PrefetchOptions = {}): Stream {
    if (!Number.isInteger(n) || n < 1) throw new Error(`[prefetch] n must be a positive integer, got ${n}.`);
    const self = this;
    return new Stream(async function* () {
      const inflight: Promise<Sample>[] = [];
      let next = 0;
      const fill = () => {
        while (next < self.size && inflight.length < n) {
          const p = Promise.resolve(self.getOne(next++));
          p.catch(() => {});
          inflight.push(p);
        }
      };
      fill();
      while (inflight.length) {
        const s = await inflight.shift()!;
        fill();
        yield s;
      }
    }).prefetch(1, opts);
  }
}
