// Samplers and logits processors over log-probabilities [B, V]. Top-p and top-k find
// their threshold by bisection on values (a few lazy reductions), so no sort is needed;
// mx.topk is used for top-k when the build has it.
import * as mx from '../index.ts';

type MxArray = mx.MxArray;

/** Options of `makeSampler`. */
export interface SamplerOptions {
  /** 0 (default) is greedy (argmax). */
  temperature?: number;
  /** Keep the smallest set of tokens whose probability mass reaches topP (0 < topP < 1). */
  topP?: number;
  /** Drop tokens whose probability is below minP times the top token's. */
  minP?: number;
  /** Keep only the topK most likely tokens. */
  topK?: number;
  /** Seed of the sampling keys: equal seeds give equal samples. */
  seed?: number;
}

const BISECT_STEPS = 32;

/** The largest threshold t with f(t) still true, by bisection in [lo, hi] per row. */
function bisect(lo: MxArray, hi: MxArray, ok: (t: MxArray) => MxArray): MxArray {
  for (let i = 0; i < BISECT_STEPS; i++) {
    const mid = mx.divide(mx.add(lo, hi), 2);
    const good = ok(mid);
    lo = mx.where(good, mid, lo);
    hi = mx.where(good, hi, mid);
  }
  return lo;
}

/**
 * Keeps the topK largest log-probs of each row (others become -inf).
 * @example
 * applyTopK(logprobs, 40)
 */
export function applyTopK(logprobs: MxArray, k: number): MxArray {
  const V = logprobs.shape[logprobs.ndim - 1];
  if (!(Number.isInteger(k) && k > 0)) throw new Error(`[sample] topK must be a positive integer, got ${k}.`);
  if (k >= V) return logprobs;
  const topk = (mx as unknown as { topk?: (a: MxArray, k: number, axis?: number) => MxArray }).topk;
  let kth: MxArray;
  if (topk) kth = mx.min(topk(logprobs, k, -1), -1, true);
  else {
    const x = mx.astype(logprobs, mx.float32);
    const finite = mx.where(mx.isfinite(x), x, Infinity);
    kth = bisect(mx.min(finite, -1, true), mx.add(mx.max(x, -1, true), 1e-6),
      (t) => mx.greaterEqual(mx.sum(mx.greaterEqual(x, t), -1, true), k));
  }
  return mx.where(mx.greaterEqual(logprobs, kth), logprobs, -Infinity);
}

/**
 * Keeps the most likely tokens whose total probability reaches p (nucleus sampling).
 * @example
 * applyTopP(logprobs, 0.9)
 */
export function applyTopP(logprobs: MxArray, p: number): MxArray {
  if (!(p > 0 && p <= 1)) throw new Error(`[sample] topP must be in (0, 1], got ${p}.`);
  if (p === 1) return logprobs;
  const probs = mx.softmax(mx.astype(logprobs, mx.float32), -1);
  // The largest t whose kept mass sum(probs >= t) still reaches p.
  const t = bisect(mx.zeros([...probs.shape.slice(0, -1), 1]), mx.add(mx.max(probs, -1, true), 1e-7),
    (t) => mx.greaterEqual(mx.sum(mx.where(mx.greaterEqual(probs, t), probs, 0), -1, true), p));
  return mx.where(mx.greaterEqual(probs, t), logprobs, -Infinity);
}

/**
 * Drops tokens with probability below minP times the most likely token's.
 * @example
 * applyMinP(logprobs, 0.05)
 */
export function applyMinP(logprobs: MxArray, minP: number): MxArray {
  if (!(minP >= 0 && minP <= 1)) throw new Error(`[sample] minP must be in [0, 1], got ${minP}.`);
  if (minP === 0) return logprobs;
  const thresh = mx.add(mx.max(logprobs, -1, true), Math.log(minP));
  return mx.where(mx.greaterEqual(logprobs, thresh), logprobs, -Infinity);
}

/** A sampler: log-probs [B, V] to token ids [B]. */
export type Sampler = (logprobs: MxArray) => MxArray;

/**
 * A sampler with MLX-LM's options: greedy at temperature 0, otherwise top-k, min-p and
 * top-p filtering, then a categorical draw at `temperature` (keys from `seed`).
 * @example
 * const sampler = makeSampler({ temperature: 0.7, topP: 0.9, seed: 0 });
 * const token = sampler(logprobs);
 */
export function makeSampler(options: SamplerOptions = {}): Sampler {
  const { temperature = 0, topP, minP, topK, seed } = options;
  if (!(temperature >= 0)) throw new Error(`[sample] temperature must be >= 0, got ${temperature}.`);
  if (temperature === 0) return (lp) => mx.argmax(lp, -1);
  let key = seed === undefined ? undefined : mx.random.key(seed);
  return (lp) => {
    let x = lp;
    if (topK !== undefined && topK > 0) x = applyTopK(x, topK);
    if (minP !== undefined && minP > 0) x = applyMinP(x, minP);
    if (topP !== undefined && topP > 0 && topP < 1) x = applyTopP(x, topP);
    let sub: MxArray | undefined;
    if (key) [key, sub] = mx.random.split(key);
    return mx.random.categorical(mx.multiply(mx.astype(x, mx.float32), 1 / temperature), -1, sub ? { key: sub } : {});
  };
}

/** A logits processor: (tokens so far, logits [B, V]) to new logits. */
export type LogitsProcessor = (tokens: number[], logits: MxArray) => MxArray;

/** Options of `makeLogitsProcessors`. */
export interface ProcessorOptions {
  /** Divide positive / multiply negative logits of recent tokens by this (> 1 discourages). */
  repetitionPenalty?: number;
  /** How many recent tokens the penalties look at (default 20). */
  repetitionContextSize?: number;
  /** Subtracted once from the logit of every recent token. */
  presencePenalty?: number;
  /** Subtracted per occurrence of a recent token. */
  frequencyPenalty?: number;
  /** Added to the logits of the given token ids. */
  logitBias?: Record<number, number>;
}

function scatter(logits: MxArray, ids: number[], f: (sel: MxArray) => MxArray): MxArray {
  const idx = mx.array([ids], mx.int32);
  const b = mx.broadcastTo(idx, [logits.shape[0], ids.length]);
  return mx.putAlongAxis(logits, b, f(mx.takeAlongAxis(logits, b, -1)), -1);
}

/**
 * The logits processors for MLX-LM's repetition/presence/frequency penalties and logit bias.
 * @example
 * const procs = makeLogitsProcessors({ repetitionPenalty: 1.2 });
 * for (const p of procs) logits = p(tokens, logits);
 */
export function makeLogitsProcessors(options: ProcessorOptions = {}): LogitsProcessor[] {
  const out: LogitsProcessor[] = [];
  const ctx = options.repetitionContextSize ?? 20;
  const recent = (t: number[]) => t.slice(Math.max(0, t.length - ctx));
  const { repetitionPenalty: rp, presencePenalty: pp, frequencyPenalty: fp, logitBias } = options;
  if (logitBias && Object.keys(logitBias).length) {
    const ids = Object.keys(logitBias).map(Number), vals = ids.map((i) => logitBias[i]);
    out.push((_t, l) => scatter(l, ids, (s) => mx.add(s, mx.astype(mx.array([vals]), s.dtype))));
  }
  if (rp !== undefined && rp !== 1) {
    if (!(rp > 0)) throw new Error(`[sample] repetitionPenalty must be positive, got ${rp}.`);
    out.push((t, l) => {
      const ids = [...new Set(recent(t))];
      return ids.length ? scatter(l, ids, (s) => mx.where(mx.less(s, 0), mx.multiply(s, rp), mx.divide(s, rp))) : l;
    });
  }
  if ((pp !== undefined && pp !== 0) || (fp !== undefined && fp !== 0)) {
    out.push((t, l) => {
      const counts = new Map<number, number>();
      for (const id of recent(t)) counts.set(id, (counts.get(id) ?? 0) + 1);
      const ids = [...counts.keys()];
      if (!ids.length) return l;
      const pen = ids.map((i) => (pp ?? 0) + (fp ?? 0) * counts.get(i)!);
      return scatter(l, ids, (s) => mx.subtract(s, mx.astype(mx.array([pen]), s.dtype)));
    });
  }
  return out;
}
