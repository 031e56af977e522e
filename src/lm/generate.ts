// Text generation: chunked prefill into a KV cache, then one token per step through the
// logits processors and the sampler; streamed as text pieces that never split a character.
import * as mx from '../index.ts';
import { evalCache, makePromptCache, trimPromptCache, type Cache } from './cache.ts';
import type { CausalLM } from './models/blocks.ts';
import { makeLogitsProcessors, makeSampler, type ProcessorOptions, type SamplerOptions, type Sampler, type LogitsProcessor } from './sample.ts';
import type { Tokenizer } from './tokenizer.ts';

type MxArray = mx.MxArray;

/** Options of `streamGenerate` / `generate`. */
export interface GenerateOptions extends SamplerOptions, ProcessorOptions {
  /** Tokens to generate at most (default 256). */
  maxTokens?: number;
  /** Stop when the text contains one of these (the stop string is not emitted). */
  stopStrings?: string[];
  /** Prompt tokens per prefill step (default 512). */
  prefillStepSize?: number;
  /** Bound the KV cache to this many tokens (a rotating cache). */
  maxKvSize?: number;
  /** Quantize the KV cache to this many bits (needs mx.quantize). */
  kvBits?: number;
  kvGroupSize?: number;
  /** A cache to continue from (and extend); the prompt is what follows its contents. */
  promptCache?: Cache[];
  /** Custom sampler / processors, replacing the ones built from the options. */
  sampler?: Sampler;
  logitsProcessors?: LogitsProcessor[];
  /** Stops generation (the stream ends, its last piece has no finishReason). */
  signal?: AbortSignal;
}

/** One streamed piece. */
export interface GenerationResponse {
  /** New text (may be empty while a multi-byte character or a possible stop string is pending). */
  text: string;
  token: number;
  /** Log-probabilities over the vocabulary [V] for this step (after the processors). */
  logprobs?: MxArray;
  finishReason?: 'stop' | 'length';
}

/** One decode step's lazy outputs, and its submission when pipelined. */
interface Step {
  tok: MxArray;
  logprobs: MxArray;
  ready?: Promise<void>;
}

/** Longest suffix of `s` that is a proper prefix of a stop string (held back until resolved). */
function heldBack(s: string, stops: string[]): number {
  let best = 0;
  for (const st of stops) for (let n = Math.min(st.length - 1, s.length); n > best; n--) if (s.endsWith(st.slice(0, n))) { best = n; break; }
  return best;
}

/**
 * Runs the prompt into the cache in chunks and returns the logits of its last position [1, V].
 * @internal
 */
async function prefill(model: CausalLM, ids: number[], cache: Cache[], step: number): Promise<MxArray> {
  let rest = ids;
  while (rest.length > step) {
    model.forward(mx.array([rest.slice(0, step)], mx.int32), cache);
    await evalCache(cache);
    rest = rest.slice(step);
  }
  const logits = model.forward(mx.array([rest], mx.int32), cache);
  return mx.squeeze(mx.sliceAxes(logits, [1], [rest.length - 1], [rest.length]), 1);
}

/**
 * Generates text token by token, yielding each new piece of text with its token id.
 * The last piece carries `finishReason`: 'stop' (EOS or a stop string) or 'length'.
 * @example
 * for await (const r of streamGenerate(model, tokenizer, 'Once upon a time', { maxTokens: 50, temperature: 0.7, seed: 1 })) {
 *   process.stdout.write(r.text);
 * }
 */
export async function* streamGenerate(
  model: CausalLM, tokenizer: Tokenizer, prompt: string | number[], options: GenerateOptions = {},
): AsyncGenerator<GenerationResponse> {
  const ids = typeof prompt === 'string' ? tokenizer.encode(prompt) : [...prompt];
  if (ids.length === 0) throw new Error('[generate] The prompt is empty.');
  const maxTokens = options.maxTokens ?? 256;
  const cache = options.promptCache ?? makePromptCache(model, { maxKvSize: options.maxKvSize, kvBits: options.kvBits, kvGroupSize: options.kvGroupSize });
  const sampler = options.sampler ?? makeSampler(options);
  const procs = options.logitsProcessors ?? makeLogitsProcessors(options);
  const stops = (options.stopStrings ?? []).filter((s) => s.length > 0);
  const detok = tokenizer.detokenizer();
  const history = [...ids];
  const sample = (lg: MxArray): Step => {
    for (const p of procs) lg = p(history, lg);
    const lf = mx.astype(lg, mx.float32);
    const logprobs = mx.subtract(lf, mx.logsumexp(lf, -1, true));
    return { tok: sampler(logprobs), logprobs };
  };
  // Without logits processors (which read the token history) the next step is built from the
  // lazy sampled token and submitted before this token is read, so building step n + 1 in
  // JavaScript overlaps step n on the GPU (mlx-lm's async_eval pipelining).
  const pipelined = procs.length === 0 && cache.every((c) => c.isTrimmable());
  const submit = (s: Step): Step => ({ ...s, ready: mx.asyncEval(s.tok, s.logprobs, ...cache.flatMap((c) => c.buffers)) });
  let cur = sample(await prefill(model, ids, cache, Math.max(1, options.prefillStepSize ?? 512)));
  if (pipelined) cur = submit(cur);
  let text = '', sent = 0;
  for (let n = 0; n < maxTokens; n++) {
    // the token's readback is queued before the next step, so it does not wait for that step
    const early = pipelined ? cur.tok.item() : null;
    let next: Step | null = null;
    if (pipelined && n < maxTokens - 1) {
      const ids1 = mx.reshape(mx.astype(cur.tok, mx.int32), [1, 1]);
      next = submit(sample(mx.squeeze(model.forward(ids1, cache), 1)));
    }
    // a step built ahead and not used leaves one token too many in the cache
    const unwind = async () => {
      if (!next) return;
      await next.ready?.catch(() => {});
      trimPromptCache(cache, 1);
    };
    if (options.signal?.aborted) {
      cur.ready?.catch(() => {});
      early?.catch(() => {});
      return await unwind();
    }
    if (cur.ready) await cur.ready;
    else await evalCache(cache, cur.tok, cur.logprobs);
    const token = Number(await (early ?? cur.tok.item()));
    const lp = mx.squeeze(cur.logprobs, 0);
    if (tokenizer.eosTokenIds.has(token)) {
      await unwind();
      detok.finalize();
      text += detok.lastSegment;
      yield { text: text.slice(sent), token, logprobs: lp, finishReason: 'stop' };
      return;
    }
    history.push(token);
    detok.add(token);
    const last = n === maxTokens - 1;
    if (last) detok.finalize();
    text += detok.lastSegment;
    if (stops.length) {
      const hit = stops.map((s) => text.indexOf(s, Math.max(0, sent - s.length))).filter((i) => i >= 0);
      if (hit.length) {
        await unwind();
        yield { text: text.slice(sent, Math.min(...hit)), token, logprobs: lp, finishReason: 'stop' };
        return;
      }
    }
    const upto = last ? text.length : text.length - heldBack(text, stops);
    const piece = text.slice(sent, Math.max(sent, upto));
    sent = Math.max(sent, upto);
    let resumed = false;
    try {
      yield { text: piece, token, logprobs: lp, ...(last ? { finishReason: 'length' as const } : {}) };
      resumed = true;
    } finally {
      // the consumer stopped iterating (break or return) while a step was ahead
      if (!resumed) await unwind();
    }
    if (last) return;
    cur = next ?? sample(mx.squeeze(model.forward(mx.array([[token]], mx.int32), cache), 1));
    next = null;
  }
}

/**
 * Generates and returns the whole completion text (see `streamGenerate` for the options).
 * @example
 * const text = await generate(model, tokenizer, 'Hello', { maxTokens: 20 });
 */
export async function generate(model: CausalLM, tokenizer: Tokenizer, prompt: string | number[], options: GenerateOptions = {}): Promise<string> {
  let out = '';
  for await (const r of streamGenerate(model, tokenizer, prompt, options)) out += r.text;
  return out;
}

/**
 * Greedy or sampled token ids only (no detokenizing): the ids that follow the prompt.
 * @example
 * const ids = await generateTokens(model, [1], { maxTokens: 10 });
 */
export async function generateTokens(model: CausalLM, prompt: number[], options: GenerateOptions & { eosTokenIds?: number[] } = {}): Promise<number[]> {
  const tok = { encode: () => prompt, eosTokenIds: new Set(options.eosTokenIds ?? []), detokenizer: () => ({ add() {}, finalize() {}, lastSegment: '' }) };
  const out: number[] = [];
  for await (const r of streamGenerate(model, tok as unknown as Tokenizer, prompt, options)) out.push(r.token);
  return out;
}

/**
 * Perplexity of a text under the model: exp(mean negative log-likelihood of each token
 * given the ones before it).
 * @example
 * const ppl = await perplexity(model, tokenizer, 'The quick brown fox');
 */
export async function perplexity(model: CausalLM, tokenizer: Tokenizer | null, text: string | number[]): Promise<number> {
  const ids = typeof text === 'string' ? tokenizer!.encode(text) : text;
  if (ids.length < 2) throw new Error('[perplexity] Need at least two tokens.');
  const logits = mx.astype(model.forward(mx.array([ids.slice(0, -1)], mx.int32)), mx.float32);
  const lp = mx.subtract(logits, mx.logsumexp(logits, -1, true));
  const tgt = mx.reshape(mx.array(ids.slice(1), mx.int32), [1, ids.length - 1, 1]);
  const nll = mx.negative(mx.mean(mx.takeAlongAxis(lp, tgt, -1)));
  return Math.exp(Number(await nll.item()));
}
