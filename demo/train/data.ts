// Character-level data: a vocabulary of the text's characters, the encoded text split
// into train/validation, and batches that depend only on (seed, step), so a resumed
// run sees exactly the batches the uninterrupted run would have.
import * as mx from '../../src/index.ts';

export class CharData {
  readonly vocab: string[];
  readonly train: Uint8Array;
  readonly val: Uint8Array;
  private readonly index: Map<string, number>;
  /** `vocab` may be given (e.g. from a checkpoint) to keep ids stable. */
  constructor(text: string, vocab?: string[], valFraction = 0.1) {
    this.vocab = vocab ?? [...new Set(text)].sort();
    if (this.vocab.length > 256) throw new Error(`vocabulary of ${this.vocab.length} characters; at most 256 fit a byte`);
    this.index = new Map(this.vocab.map((c, i) => [c, i]));
    const ids = this.encode(text);
    const n = Math.floor(ids.length * (1 - valFraction));
    this.train = ids.subarray(0, n);
    this.val = ids.subarray(n);
  }
  get vocabSize(): number {
    return this.vocab.length;
  }
  encode(s: string): Uint8Array {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = this.index.get(s[i]) ?? 0;
    return out;
  }
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) s += this.vocab[ids[i]] ?? '?';
    return s;
  }
  /**
   * Inputs and next-character targets [B, T] (int32) from random windows of the split;
   * the windows are a function of (seed, step) only.
   */
  batch(step: number, batchSize: number, T: number, seed = 0, split: 'train' | 'val' = 'train'): [mx.MxArray, mx.MxArray] {
    const src = split === 'train' ? this.train : this.val;
    const rnd = mulberry32(hash(seed, step, split === 'train' ? 1 : 2));
    const x = new Int32Array(batchSize * T), y = new Int32Array(batchSize * T);
    for (let b = 0; b < batchSize; b++) {
      const o = Math.floor(rnd() * (src.length - T - 1));
      for (let t = 0; t < T; t++) {
        x[b * T + t] = src[o + t];
        y[b * T + t] = src[o + t + 1];
      }
    }
    return [mx.reshape(mx.array(x, mx.int32), [batchSize, T]), mx.reshape(mx.array(y, mx.int32), [batchSize, T])];
  }
}

function hash(a: number, b: number, c: number): number {
  let h = 0x811c9dc5 ^ a;
  for (const v of [b, c]) h = Math.imul(h ^ v, 0x01000193) ^ (h >>> 13);
  return h >>> 0;
}

/** A small seeded PRNG (uniform in [0, 1)). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
