// Stream: an async-iterable pipeline of samples (mlx-data's Stream). Iterating it again
// restarts it from its source (when the source can restart).
import { MxArray } from '../core/array.ts';
import { evalArrays } from '../ir/eval.ts';
import { normAxis } from '../core/shape.ts';
import { sliceAxes } from '../ops/shape.ts';
import { Ops, type SampleFn } from './ops.ts';
import { type Sample, type BatchOptions, collate } from './sample.ts';
import { rngFor, permutation, type Rng } from './rng.ts';

type Source = () => AsyncIterator<Sample> | Iterator<Sample>;

/** Options of prefetch. */
export interface PrefetchOptions {
  /** Start evaluating the arrays of prefetched samples right away (default true). */
  eval?: boolean;
}

/** Options of dynamicBatch. */
export interface DynamicBatchOptions {
  /** Pad value per key (default 0). */
  pad?: Record<string, number>;
  /** Shuffle the order of the batches made from each buffer (default false). */
  shuffle?: boolean;
  /** Seed (or generator) of that shuffle. */
  seed?: number | Rng;
}

async function* iterate(src: Source): AsyncGenerator<Sample> {
  const it = src();
  try {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  } finally {
    await it.return?.();
  }
}

/**
 * A pipeline of samples read one after the other. Build one with `dx.fromIterable`,
 * `dx.fromTextLines`, `dx.fromCsv` or `buffer.toStream()`, then chain ops.
 * @example
 * for await (const batch of dx.fromIterable(gen).map(f).batch(32).prefetch(4)) train(batch);
 */
export class Stream extends Ops<Stream> implements AsyncIterable<Sample> {
  /** @internal */
  constructor(private readonly source: Source) {
    super();
  }

  [Symbol.asyncIterator](): AsyncIterator<Sample> {
    return iterate(this.source);
  }

  /** Derives a stream from an async generator over this one. */
  private derive(fn: (up: AsyncIterable<Sample>) => AsyncGenerator<Sample>): Stream {
    return new Stream(() => fn(this));
  }

  /**
   * Collects every sample (or the first `limit`) into a list.
   * @example
   * const samples = await stream.toArray();
   */
  async toArray(limit = Infinity): Promise<Sample[]> {
    const out: Sample[] = [];
    if (limit <= 0) return out;
    for await (const s of this) {
      out.push(s);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Applies fn to every sample. @example stream.map((s) => ({ ...s, n: s.line.length })) */
  map(fn: SampleFn): Stream {
    return this.derive(async function* (up) {
      for await (const s of up) yield await fn(s);
    });
  }

  /** Keeps the samples for which pred is true. @example stream.filter((s) => s.line !== '') */
  filter(pred: (s: Sample) => boolean | Promise<boolean>): Stream {
    return this.derive(async function* (up) {
      for await (const s of up) if (await pred(s)) yield s;
    });
  }

  /** The first n samples. @example stream.take(100) */
  take(n: number): Stream {
    return this.derive(async function* (up) {
      if (n <= 0) return;
      let i = 0;
      for await (const s of up) {
        yield s;
        if (++i >= n) return;
      }
    });
  }

  /**
   * Groups samples into batches (arrays stacked and padded to a common shape).
   * @example
   * stream.batch(32, { pad: { tokens: -1 } })
   */
  batch(size: number, opts: BatchOptions = {}): Stream {
    if (!Number.isInteger(size) || size < 1) throw new Error(`[batch] Batch size must be a positive integer, got ${size}.`);
    return this.derive(async function* (up) {
      let buf: Sample[] = [];
      for await (const s of up) {
        buf.push(s);
        if (buf.length === size) {
          yield collate(buf, opts);
          buf = [];
        }
      }
      if (buf.length && !opts.dropLast) yield collate(buf, opts);
    });
  }

  /**
   * Batches samples of similar size: reads `bufferSize` samples, sorts them by the size
   * of the array under `key`, and cuts batches whose padded size (count x largest) stays
   * within `maxDataSize` elements.
   * @example
   * stream.dynamicBatch(500, 'tokens', 16 * 1024, { pad: { tokens: 0 } })
   */
  dynamicBatch(bufferSize: number, key: string, maxDataSize: number, opts: DynamicBatchOptions = {}): Stream {
    const rng = rngFor(opts.seed);
    const emit = (buf: Sample[]): Sample[] => {
      const sizes = buf.map((s) => {
        const v = s[key];
        if (!(v instanceof MxArray)) throw new TypeError(`[dynamicBatch] '${key}' is not an array.`);
        return v.size;
      });
      const order = sizes.map((_, i) => i).sort((a, b) => sizes[a] - sizes[b]);
      const groups: number[][] = [];
      let cur: number[] = [];
      for (const i of order) {
        const biggest = Math.max(sizes[i], ...cur.map((j) => sizes[j]));
        if (cur.length && (cur.length + 1) * biggest > maxDataSize) {
          groups.push(cur);
          cur = [];
        }
        cur.push(i);
      }
      if (cur.length) groups.push(cur);
      const ord = opts.shuffle ? permutation(groups.length, rng).map((i) => groups[i]) : groups;
      return ord.map((g) => collate(g.map((i) => buf[i]), opts));
    };
    return this.derive(async function* (up) {
      let buf: Sample[] = [];
      for await (const s of up) {
        buf.push(s);
        if (buf.length === bufferSize) {
          yield* emit(buf);
          buf = [];
        }
      }
      if (buf.length) yield* emit(buf);
    });
  }

  /**
   * Shuffles with a buffer: each output is a random pick among the next `bufferSize` samples.
   * @example
   * stream.shuffle(1000, 42)
   */
  shuffle(bufferSize: number, seed?: number | Rng): Stream {
    const seedOrRng = seed;
    return this.derive(async function* (up) {
      const rng = rngFor(seedOrRng);
      const buf: Sample[] = [];
      for await (const s of up) {
        if (buf.length < bufferSize) {
          buf.push(s);
          continue;
        }
        const j = Math.floor(rng() * bufferSize);
        yield buf[j];
        buf[j] = s;
      }
      for (const i of permutation(buf.length, rng)) yield buf[i];
    });
  }

  /**
   * Reads up to `n` samples ahead of the consumer, so loading and decoding overlap with
   * whatever consumes the stream; by default their arrays start evaluating too.
   * @example
   * for await (const b of stream.batch(32).prefetch(4)) await step(b);
   */
  prefetch(n: number, opts: PrefetchOptions = {}): Stream {
    if (!Number.isInteger(n) || n < 1) throw new Error(`[prefetch] n must be a positive integer, got ${n}.`);
    const doEval = opts.eval ?? true;
    return new Stream(() => {
      const it = this[Symbol.asyncIterator]();
      const queue: Promise<IteratorResult<Sample>>[] = [];
      let done = false;
      const fill = () => {
        while (!done && queue.length < n) {
          const p = it.next().then((r) => {
            if (r.done) done = true;
            else if (doEval) {
              const arrays = Object.values(r.value).filter((v): v is MxArray => v instanceof MxArray);
              if (arrays.length) evalArrays(...arrays).catch(() => {}); // errors surface when the consumer evaluates
            }
            return r;
          });
          p.catch(() => {});
          queue.push(p);
        }
      };
      return {
        async next() {
          fill();
          const r = await queue.shift()!;
          if (r.done) done = true;
          fill();
          return r;
        },
        async return() {
          done = true;
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    });
  }

  /**
   * Repeats the stream `times` times (forever by default), restarting its source.
   * @example
   * stream.repeat(3)
   */
  repeat(times = Infinity): Stream {
    return this.derive(async function* (up) {
      for (let k = 0; k < times; k++) {
        let any = false;
        for await (const s of up) {
          any = true;
          yield s;
        }
        if (!any) return; // an exhausted, non-restartable source
      }
    });
  }

  /**
   * Splits the array under `key` into windows of `size` along `dim` every `stride`; each
   * window is a sample (other keys are copied). Shorter arrays give one window.
   * @example
   * stream.slidingWindow('tokens', 128, 64)
   */
  slidingWindow(key: string, size: number, stride: number, dim = 0): Stream {
    if (size < 1 || stride < 1) throw new Error(`[slidingWindow] size and stride must be positive, got ${size} and ${stride}.`);
    return this.derive(async function* (up) {
      for await (const s of up) {
        const a = s[key];
        if (!(a instanceof MxArray)) throw new TypeError(`[slidingWindow] '${key}' is not an array.`);
        const d = normAxis('slidingWindow', dim, a.ndim);
        const n = a.shape[d];
        if (n <= size) {
          yield s;
          continue;
        }
        for (let st = 0; st + size <= n; st += stride) yield { ...s, [key]: sliceAxes(a, [d], [st], [st + size]) };
      }
    });
  }

  /**
   * Keeps every `numPartitions`-th sample starting at `partition` (for data-parallel workers).
   * @example
   * stream.partition(4, rank)
   */
  partition(numPartitions: number, partition: number): Stream {
    if (!(partition >= 0 && partition < numPartitions)) throw new Error(`[partition] partition ${partition} is not in [0, ${numPartitions}).`);
    return this.derive(async function* (up) {
      let i = 0;
      for await (const s of up) if (i++ % numPartitions === partition) yield s;
    });
  }

  /** The same as partition for streams (their length is unknown). @example stream.shard(8, rank) */
  shard(numShards: number, index: number): Stream {
    return this.partition(numShards, index);
  }
}

/** @internal A stream over a plain (async) iterable or a function returning one. */
export function streamOf(src: Iterable<Sample> | AsyncIterable<Sample> | (() => Iterable<Sample> | AsyncIterable<Sample>)): Stream {
  const get = typeof src === 'function' ? src : () => src;
  return new Stream(() => {
    const it = get();
    return Symbol.asyncIterator in it ? (it as AsyncIterable<Sample>)[Symbol.asyncIterator]() : (it as Iterable<Sample>)[Symbol.iterator]();
  });
}
