// webmlx/lm: Hugging Face checkpoints against transformers' own logits and greedy ids,
// llama2.c's stories260K, tokenizer/chat template, streaming detokenizer, samplers,
// caches, rope scaling and malformed inputs.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as lm from '../../src/lm/index.ts';
import { readFile } from '../../src/io/fs.ts';
import { suite, type TestCtx } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import { CPU_ONLY, onDevice } from './common.ts';

interface Ref {
  prompt: string; input_ids: number[]; logits_first: number[]; logits_last: number[]; argmax_all: number[];
  greedy24: number[]; chat_text: string; chat_ids: number[];
}
const FAMILIES = ['llama', 'qwen2', 'qwen3', 'gemma', 'phi3'];
const HF = 'test/fixtures/hf';
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// Deno and Node read the fixture folders; the Chromium page gets them embedded (base64).
let embedded: Promise<typeof import('../fixtures/lm/lm_fixtures.gen.ts')> | null = null;
const emb = () => (embedded ??= import('../fixtures/lm/lm_fixtures.gen.ts'));
async function source(ctx: TestCtx, fam: string): Promise<string | lm.FileMap> {
  if (ctx.runtime !== 'chromium') return `${HF}/${fam}`;
  const f = (await emb()).files[fam];
  return Object.fromEntries(Object.entries(f).map(([k, v]) => [k, fromB64(v)]));
}
async function ref(ctx: TestCtx, fam: string): Promise<Ref> {
  const bytes = ctx.runtime === 'chromium' ? fromB64((await emb()).refs[fam]) : await readFile(`${HF}/${fam}.ref.json`);
  return JSON.parse(new TextDecoder().decode(bytes));
}
async function fileMap(ctx: TestCtx, fam: string): Promise<lm.FileMap> {
  const s = await source(ctx, fam);
  if (typeof s !== 'string') return s;
  const names = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'chat_template.jinja'];
  return Object.fromEntries(await Promise.all(names.map(async (n) => [n, await readFile(`${s}/${n}`)] as const)));
}

const rowArgmax = (r: number[]) => r.indexOf(Math.max(...r));
const logitsOf = async (model: lm.CausalLM, ids: number[]) =>
  (await mx.astype(model.forward(mx.array([ids], mx.int32)), mx.float32).tolist()) as number[][][];

/** A tiny random model of an architecture without a reference checkpoint. */
function tiny(modelType: string, extra: Record<string, unknown> = {}): lm.CausalLM {
  mx.random.seed(7);
  const model = lm.modelFromConfig({
    model_type: modelType, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 2, head_dim: 8, vocab_size: 40, rms_norm_eps: 1e-6, max_position_embeddings: 64, ...extra,
  });
  model.eval();
  return model;
}

export const lmSuite = suite('lm', (t) => {
  const test = onDevice(t);

  for (const fam of FAMILIES) {
    test(`${fam}: logits, argmax, chat template and ids`, async (ctx) => {
      const r = await ref(ctx, fam);
      // qwen2 is stored in bfloat16: float32 reproduces the reference, bfloat16 within its precision.
      const { model, tokenizer, config } = await lm.loadModel(await source(ctx, fam), fam === 'qwen2' ? { dtype: 'float32' } : {});
      assertEqual(config.model_type, fam);
      assertEqual(tokenizer.encode(r.prompt), r.input_ids);
      const l = (await logitsOf(model, r.input_ids))[0];
      // qwen2's reference rotated with bfloat16-rounded rope frequencies (torch casts the buffer).
      const atol = fam === 'qwen2' ? 5e-3 : 1e-3;
      assertClose(l[0], r.logits_first, { atol, rtol: 0 });
      assertClose(l[l.length - 1], r.logits_last, { atol, rtol: 0 });
      assertEqual(l.map(rowArgmax), r.argmax_all);
      const chat = tokenizer.applyChatTemplate([{ role: 'user', content: 'Who is Juliet?' }], { addGenerationPrompt: true });
      assertEqual(chat, r.chat_text);
      assertEqual(tokenizer.encode(chat, { addSpecialTokens: false }), r.chat_ids);
    });
    test(`${fam}: greedy24`, async (ctx) => {
      const r = await ref(ctx, fam);
      const { model } = await lm.loadModel(await source(ctx, fam), fam === 'qwen2' ? { dtype: 'float32' } : {});
      assertEqual(await lm.generateTokens(model, r.input_ids, { maxTokens: 24 }), r.greedy24);
    }, CPU_ONLY); // on the GPU, greedy decoding is covered by stories260K and streamGenerate
  }

  test('qwen2 in bfloat16 and from a FileMap', async (ctx) => {
    const r = await ref(ctx, 'qwen2');
    const { model } = await lm.loadModel(await fileMap(ctx, 'qwen2'));
    assertEqual(model.model.embed_tokens.weight.dtype, mx.bfloat16);
    const l = (await logitsOf(model, r.input_ids))[0];
    assertClose(l[l.length - 1], r.logits_last, { atol: 0.1, rtol: 0.02 });
  }, CPU_ONLY);

  test('llama2.c stories260K greedy ids', async (ctx) => {
    const src = ctx.runtime === 'chromium' ? fromB64((await emb()).stories260K) : 'test/fixtures/lm/stories260K.bin';
    const { model, config } = await lm.loadLlama2c(src);
    assertEqual([config.hidden_size, config.num_hidden_layers, config.num_key_value_heads], [64, 5, 4]);
    assertEqual(await lm.generateTokens(model, [1], { maxTokens: 10 }), [461, 461, 401, 401, 401, 461, 378, 455, 473, 456]);
    await assertRejects(() => lm.loadLlama2c(new Uint8Array(12)), /too short/);
    await assertRejects(() => lm.loadLlama2c(fromB64('QAAAAKwAAAAFAAAACAAAAAQAAAAAAgAAAAIAAA==').slice(0, 28)), /truncated/);
  });

  test('streaming detokenizer keeps multi-byte characters whole', async (ctx) => {
    const { tokenizer } = await lm.loadModel(await source(ctx, 'llama'));
    const text = 'héllo wörld — 世界 🎉 done\nnext line ñ';
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    const d = tokenizer.detokenizer();
    const pieces: string[] = [];
    let held = 0;
    for (const id of ids) {
      d.add(id);
      const p = d.lastSegment;
      if (p === '') held++;
      pieces.push(p);
    }
    d.finalize();
    pieces.push(d.lastSegment);
    for (const p of pieces) assert(!p.includes('\uFFFD'), `piece ${JSON.stringify(p)} splits a character`);
    assertEqual(pieces.join(''), tokenizer.decode(ids));
    assertEqual(pieces.join(''), text);
    assert(held > 0, 'some tokens end inside a character and are held back');
    // An incomplete character at the end is released by finalize.
    const d2 = tokenizer.detokenizer();
    const partial = tokenizer.encode('🎉', { addSpecialTokens: false });
    d2.add(partial[0]);
    assertEqual(partial.length > 1 ? d2.lastSegment : '', '');
  }, CPU_ONLY);

  test('fuseProjections: one qkv and one gate/up layer, same logits', async (ctx) => {
    const r = await ref(ctx, 'llama');
    const ids = mx.array([r.input_ids], mx.int32);
    for (const quant of [false, true]) {
      const { model } = await lm.loadModel(await source(ctx, 'llama'));
      if (quant) nn.quantize(model, { groupSize: 32, bits: 4 });
      const before = model.forward(ids);
      await mx.eval(before);
      const layers = model.model.layers.length;
      assertEqual(await lm.fuseProjections(model), 2 * layers);
      const attn = model.model.layers[0].self_attn;
      assert(attn.qkv_proj !== undefined && attn.q_proj === undefined, 'q/k/v fused');
      assert(model.model.layers[0].mlp.gate_up_proj !== undefined && model.model.layers[0].mlp.gate_proj === undefined, 'gate/up fused');
      assertClose(await model.forward(ids).tolist(), await before.tolist(), { rtol: 1e-4, atol: 1e-4, msg: quant ? '4-bit' : 'float' });
      // decode steps through the fused layer (one rope over q and k): transformers' greedy ids
      if (!quant) {
        const { tokenizer } = await lm.loadModel(await source(ctx, 'llama'));
        const ids8: number[] = [];
        for await (const p of lm.streamGenerate(model, tokenizer, r.input_ids, { maxTokens: 8 })) ids8.push(p.token);
        assertEqual(ids8, r.greedy24.slice(0, 8));
      }
    }
  });

  test('streamGenerate: finish reasons, stop strings, abort, penalties and seeds', async (ctx) => {
    const { model, tokenizer } = await lm.loadModel(await source(ctx, 'llama'));
    const r = await ref(ctx, 'llama');
    const greedyText = tokenizer.decode(r.greedy24.slice(0, 8));
    const pieces = [];
    for await (const p of lm.streamGenerate(model, tokenizer, r.prompt, { maxTokens: 8, prefillStepSize: 5 })) pieces.push(p);
    assertEqual(pieces.map((p) => p.token), r.greedy24.slice(0, 8));
    assertEqual(pieces.map((p) => p.finishReason), [...Array(7).fill(undefined), 'length']);
    assertEqual(pieces.map((p) => p.text).join(''), greedyText);
    assertEqual(pieces[0].logprobs!.shape, [512]);
    // a stop string inside the greedy text ends generation before it
    const stop = greedyText.slice(3, 6);
    const out = await lm.generate(model, tokenizer, r.input_ids, { maxTokens: 8, stopStrings: [stop] });
    assertEqual(out, greedyText.slice(0, greedyText.indexOf(stop)));
    // decode is pipelined (the next step is built before a token is read); a cache holds the
    // prompt and every fed token, with the step built ahead trimmed on a stop or a break
    const pc = lm.makePromptCache(model);
    const stopped = [];
    for await (const p of lm.streamGenerate(model, tokenizer, r.input_ids, { maxTokens: 8, stopStrings: [stop], promptCache: pc })) stopped.push(p);
    assertEqual(pc[0].offset, r.input_ids.length + stopped.length - 1);
    const pc2 = lm.makePromptCache(model);
    let k = 0;
    for await (const _ of lm.streamGenerate(model, tokenizer, r.input_ids, { maxTokens: 8, promptCache: pc2 })) if (++k === 3) break;
    assertEqual(pc2[0].offset, r.input_ids.length + 2);
    // EOS: a logit bias makes token 0 (eos) certain
    const eos = [];
    for await (const p of lm.streamGenerate(model, tokenizer, r.input_ids, { maxTokens: 8, logitBias: { 0: 1000 } })) eos.push(p);
    assertEqual(eos.map((p) => [p.token, p.finishReason]), [[0, 'stop']]);
    const ac = new AbortController();
    let n = 0;
    for await (const _ of lm.streamGenerate(model, tokenizer, r.input_ids, { maxTokens: 8, signal: ac.signal })) if (++n === 2) ac.abort();
    assertEqual(n, 2);
    // the fixtures' head dim (16) is smaller than any quantization group: a clear error
    await assertRejects(() => lm.generate(model, tokenizer, r.input_ids, { kvBits: 4 }), /head dimension 16 is not a multiple of kvGroupSize 64/);
    if (ctx.device === 'gpu') return; // the rest is device-independent logic; keeps GPU time low
    // seeded sampling is deterministic; different seeds differ
    const s = (seed: number) => lm.generateTokens(model, r.input_ids, { maxTokens: 6, temperature: 1.5, seed, topK: 50, topP: 0.95, minP: 0.01 });
    const [a, b, c] = [await s(1), await s(1), await s(2)];
    assertEqual(a, b);
    assert(JSON.stringify(a) !== JSON.stringify(c), 'seeds 1 and 2 gave the same samples');
    // a strong repetition penalty never repeats a recent token under greedy decoding
    const rep = await lm.generateTokens(model, r.input_ids, { maxTokens: 12, repetitionPenalty: 1e6, repetitionContextSize: 100 });
    assertEqual(new Set(rep).size, rep.length);
  });

  test('samplers and logits processors', async () => {
    const lp = mx.log(mx.array([[0.4, 0.3, 0.2, 0.05, 0.05], [0.1, 0.1, 0.6, 0.1, 0.1]]));
    const kept = async (x: mx.MxArray) => ((await mx.isfinite(x).tolist()) as boolean[][]).map((r) => r.map(Number));
    // ties at the threshold are kept
    assertEqual(await kept(lm.applyTopK(lp, 2)), [[1, 1, 0, 0, 0], [1, 1, 1, 1, 1]]);
    assertEqual(await kept(lm.applyTopK(lp, 1)), [[1, 0, 0, 0, 0], [0, 0, 1, 0, 0]]);
    assertEqual(await kept(lm.applyTopP(lp, 0.55)), [[1, 1, 0, 0, 0], [0, 0, 1, 0, 0]]);
    assertEqual(await kept(lm.applyTopP(lp, 0.75)), [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    assertEqual(await kept(lm.applyMinP(lp, 0.4)), [[1, 1, 1, 0, 0], [0, 0, 1, 0, 0]]);
    assertEqual(await lm.makeSampler().call(null, lp).tolist(), [0, 2]);
    assertThrows(() => lm.applyTopP(lp, 1.5), /topP/);
    // seeded categorical draws follow the probabilities
    const draw = lm.makeSampler({ temperature: 1, seed: 5 });
    const counts = [0, 0, 0, 0, 0];
    const big = mx.broadcastTo(mx.sliceAxes(lp, [0], [0], [1]), [400, 5]);
    for (const v of (await draw(big).tolist()) as number[]) counts[v]++;
    assertClose(counts.map((c) => c / 400), [0.4, 0.3, 0.2, 0.05, 0.05], { atol: 0.08 });
    const same = async (seed: number) => lm.makeSampler({ temperature: 1, seed })(big).tolist();
    assertEqual(await same(3), await same(3));
    // penalties: logits [2, -2, 1]; token 0 twice and 1 once in context
    const logits = mx.array([[2, -2, 1]], mx.float32);
    const [rep] = lm.makeLogitsProcessors({ repetitionPenalty: 2 });
    assertClose(await rep([0, 1, 0], logits).tolist(), [[1, -4, 1]]);
    const [pf] = lm.makeLogitsProcessors({ presencePenalty: 0.5, frequencyPenalty: 0.25 });
    assertClose(await pf([0, 1, 0], logits).tolist(), [[1, -2.75, 1]]);
    const [ctxWin] = lm.makeLogitsProcessors({ repetitionPenalty: 2, repetitionContextSize: 1 });
    assertClose(await ctxWin([1, 0], logits).tolist(), [[1, -2, 1]]);
    const [bias] = lm.makeLogitsProcessors({ logitBias: { 2: 10 } });
    assertClose(await bias([], logits).tolist(), [[2, -2, 11]]);
    assertThrows(() => lm.makeSampler({ temperature: -1 }), /temperature/);
  }, CPU_ONLY);

  test('caches: rotating window, trim, prompt cache files', async (ctx) => {
    const step = (i: number) => mx.full([1, 1, 1, 2], i);
    const rot = new lm.RotatingKVCache(4, 1);
    for (let i = 0; i < 6; i++) rot.updateAndFetch(step(i), step(i));
    assertEqual(((await rot.keys!.tolist()) as number[][][][])[0][0].map((r) => r[0]), [0, 3, 4, 5]);
    assertEqual([rot.offset, rot.isTrimmable(), rot.trim(1)], [6, false, 0]);
    const [k] = rot.updateAndFetch(mx.concatenate([step(6), step(7)], 2), mx.concatenate([step(6), step(7)], 2));
    assertEqual(k.shape[2], 6); // the chunk attends over the window plus itself
    assertThrows(() => new lm.RotatingKVCache(4, 4), /keep/);
    const kv = new lm.KVCache(4);
    kv.updateAndFetch(mx.concatenate([step(0), step(1), step(2)], 2), mx.concatenate([step(0), step(1), step(2)], 2));
    assertEqual(kv.trim(2), 2);
    const [k2] = kv.updateAndFetch(mx.concatenate([step(7), step(8), step(9), step(10)], 2), mx.concatenate([step(7), step(8), step(9), step(10)], 2));
    assertEqual(((await k2.tolist()) as number[][][][])[0][0].map((r) => r[0]), [0, 7, 8, 9, 10]);

    const { model } = await lm.loadModel(await source(ctx, 'qwen3'));
    const ids = (await ref(ctx, 'qwen3')).input_ids.slice(0, 12);
    const full = (await logitsOf(model, ids))[0];
    // prefill, trim the last 3 tokens, feed them again: same logits as one pass
    const cache = lm.makePromptCache(model);
    model.forward(mx.array([ids], mx.int32), cache);
    await lm.evalCache(cache);
    assertEqual(lm.trimPromptCache(cache, 3), 3);
    const again = (await model.forward(mx.array([ids.slice(9)], mx.int32), cache).tolist()) as number[][][];
    assertClose(again[0][2], full[11], { atol: 1e-4 });
    // save, load, continue one token
    const bytes = await lm.savePromptCache(null, cache, { model: 'qwen3' });
    const loaded = await lm.loadPromptCache(bytes);
    assertEqual(loaded.metadata, { model: 'qwen3' });
    assertEqual(loaded.cache.map((c) => c.offset), cache.map(() => 12));
    const next = (await model.forward(mx.array([[5]], mx.int32), loaded.cache).tolist()) as number[][][];
    const ref13 = (await logitsOf(model, [...ids, 5]))[0][12];
    assertClose(next[0][0], ref13, { atol: 1e-4 });
    const plain = await mx.saveSafetensors({ a: mx.ones([1]) });
    await assertRejects(() => lm.loadPromptCache(plain), /Not a prompt cache/);
    // a rotating cache larger than the sequence changes nothing
    const rc = lm.makePromptCache(model, { maxKvSize: 64 });
    model.forward(mx.array([ids.slice(0, 11)], mx.int32), rc);
    const last = (await model.forward(mx.array([ids.slice(11)], mx.int32), rc).tolist()) as number[][][];
    assertClose(last[0][0], full[11], { atol: 1e-4 });
  });

  test('architectures without checkpoints: cached decoding matches a full pass', async () => {
    const cases: [string, Record<string, unknown>][] = [
      ['mistral', { sliding_window: 4 }],
      ['gemma2', { query_pre_attn_scalar: 16, attn_logit_softcapping: 50, final_logit_softcapping: 30, sliding_window: 3 }],
      ['gemma3_text', { query_pre_attn_scalar: 8, sliding_window: 3, sliding_window_pattern: 2, rope_local_base_freq: 10000, rope_theta: 1e6,
        rope_scaling: { rope_type: 'linear', factor: 8 } }],
      ['olmo2', { rope_theta: 500000 }],
      ['smollm3', { no_rope_layer_interval: 2 }],
      ['starcoder2', { norm_epsilon: 1e-5, use_bias: true, sliding_window: 5 }],
      ['llama', { rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 } }],
      ['phi3', { partial_rotary_factor: 0.5, rope_scaling: { type: 'longrope', short_factor: [1, 1], long_factor: [2, 3], original_max_position_embeddings: 16 } }],
    ];
    const ids = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    for (const [type, extra] of cases) {
      const model = tiny(type, extra);
      const full = (await logitsOf(model, ids))[0];
      for (const row of full) for (const v of row) assert(Number.isFinite(v), `${type}: non-finite logit`);
      const cache = lm.makePromptCache(model);
      model.forward(mx.array([ids.slice(0, 7)], mx.int32), cache);
      let last: number[] = [];
      for (const id of ids.slice(7)) last = ((await model.forward(mx.array([[id]], mx.int32), cache).tolist()) as number[][][])[0][0];
      assertClose(last, full[9], { atol: 1e-4, rtol: 1e-4, msg: type });
      if (type === 'gemma2') for (const v of full[0]) assert(Math.abs(v) <= 30, 'final soft-capping bounds logits');
    }
    assertThrows(() => tiny('gpt-j'), /Unsupported model_type "gpt-j"; supported: llama, mistral, .*starcoder2/);
    assertThrows(() => tiny('llama', { hidden_act: 'relu6' }), /hidden_act/);
  }, CPU_ONLY);

  test('rope frequencies: config styles and scaling types', () => {
    const base = Array.from(lm.ropeFrequencies(lm.ropeSpec({ rope_theta: 10000 }, 8)).invFreq);
    assertClose(base, [1, 0.1, 0.01, 0.001], { rtol: 1e-6 });
    const old = lm.ropeSpec({ rope_theta: 500000, rope_scaling: { type: 'linear', factor: 4 } }, 8);
    const neu = lm.ropeSpec({ rope_parameters: { rope_theta: 500000, rope_type: 'linear', factor: 4 } }, 8);
    assertEqual([old.type, old.theta, neu.type, neu.theta], ['linear', 500000, 'linear', 500000]);
    const lin = lm.ropeFrequencies(lm.ropeSpec({ rope_scaling: { rope_type: 'linear', factor: 4 } }, 8)).invFreq;
    assertClose(Array.from(lin), base.map((x) => x / 4), { rtol: 1e-6 });
    // llama3 with integer-valued fields: high frequencies kept, low ones divided by the factor
    const l3 = lm.ropeFrequencies(lm.ropeSpec({ rope_theta: 10000, rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 } }, 8)).invFreq;
    assertClose([l3[0], l3[3]], [1, 0.001 / 8], { rtol: 1e-6 });
    assert(l3[1] < 0.1 && l3[1] > 0.1 / 8, 'the middle band is interpolated');
    const y = lm.ropeFrequencies(lm.ropeSpec({ max_position_embeddings: 4096, rope_scaling: { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024 } }, 8));
    assertClose(y.scale, 0.1 * Math.log(4) + 1, { rtol: 1e-9 });
    assertClose(y.invFreq[0], 1, { rtol: 1e-6 });
    assertClose(y.invFreq[3], 0.001 / 4, { rtol: 1e-6 });
    const dyn = lm.ropeSpec({ max_position_embeddings: 16, rope_scaling: { type: 'dynamic', factor: 2 } }, 8);
    assertClose(Array.from(lm.ropeFrequencies(dyn, 10).invFreq), base, { rtol: 1e-6 });
    const grown = 10000 * (2 * 32 / 16 - 1) ** (8 / 6);
    assertClose(lm.ropeFrequencies(dyn, 32).invFreq[1], 1 / grown ** 0.25, { rtol: 1e-5 });
    const lr = lm.ropeSpec({ max_position_embeddings: 64, original_max_position_embeddings: 16, rope_scaling: { type: 'su', short_factor: [1, 1, 1, 1], long_factor: [1, 2, 4, 8] } }, 8);
    assertClose(Array.from(lm.ropeFrequencies(lr, 8).invFreq), base, { rtol: 1e-6 });
    const long = lm.ropeFrequencies(lr, 32);
    assertClose(Array.from(long.invFreq), [1, 0.05, 0.0025, 0.000125], { rtol: 1e-6 });
    assertClose(long.scale, Math.sqrt(1 + Math.log(4) / Math.log(16)), { rtol: 1e-9 });
    assertThrows(() => lm.ropeSpec({ rope_scaling: { type: 'ntk-by-parts' } }, 8), /Unsupported rope type 'ntk-by-parts'/);
    assertThrows(() => lm.ropeFrequencies(lm.ropeSpec({ rope_scaling: { type: 'linear' } }, 8)), /Missing 'factor'/);
  }, CPU_ONLY);

  test('quantized checkpoints load through nn.quantize', async (ctx) => {
    const src = await fileMap(ctx, 'qwen3');
    const { model: ref0 } = await lm.loadModel(src);
    nn.quantize(ref0, { groupSize: 32, bits: 8 });
    const weights = ref0.saveWeights();
    const config = JSON.parse(new TextDecoder().decode(src['config.json'] as Uint8Array));
    config.quantization = { group_size: 32, bits: 8 };
    const q = { ...src, 'config.json': new TextEncoder().encode(JSON.stringify(config)), 'model.safetensors': await mx.saveSafetensors(weights) };
    const { model } = await lm.loadModel(q);
    assert(model.model.layers[0].self_attn.q_proj instanceof nn.QuantizedLinear, 'q_proj is quantized');
    const ids = [5, 6, 7, 8];
    assertClose((await logitsOf(model, ids))[0][3], (await logitsOf(ref0, ids))[0][3], { atol: 1e-4 });
  }, CPU_ONLY);

  test('malformed config, weights and tokenizer give clear errors', async (ctx) => {
    const src = await fileMap(ctx, 'qwen3') as Record<string, Uint8Array>;
    const cfg = JSON.parse(new TextDecoder().decode(src['config.json']));
    const enc = (o: unknown) => new TextEncoder().encode(typeof o === 'string' ? o : JSON.stringify(o));
    const { 'config.json': _c, ...noConfig } = src;
    await assertRejects(() => lm.loadModel(noConfig), /No config.json in the FileMap/);
    await assertRejects(() => lm.loadModel({ ...src, 'config.json': enc('{"model_type": ') }), /config.json is not valid JSON/);
    await assertRejects(() => lm.loadModel({ ...src, 'config.json': enc({ ...cfg, hidden_size: undefined }) }), /'hidden_size' must be a number/);
    await assertRejects(() => lm.loadModel({ ...src, 'config.json': enc({ ...cfg, model_type: 'bert' }) }), /Unsupported model_type "bert"/);
    await assertRejects(() => lm.loadModel({ ...src, 'config.json': enc({ ...cfg, hidden_size: 32 }) }), /do not match a qwen3 model.*shape/s);
    await assertRejects(() => lm.loadModel({ ...src, 'model.safetensors': enc('garbage!!') }), /Cannot read model.safetensors: .*safetensors/);
    const { 'model.safetensors': _w, ...noWeights } = src;
    await assertRejects(() => lm.loadModel(noWeights), /No weights in the FileMap/);
    await assertRejects(() => lm.loadModel({ ...src, 'tokenizer.json': enc('{"version": "1.0"}') }), /tokenizer.json is not a Hugging Face tokenizer/);
    await assertRejects(() => lm.loadModel({ ...src, 'tokenizer.json': enc('{') }), /tokenizer.json is not valid JSON/);
    const { 'tokenizer.json': _t, ...noTok } = src;
    await assertRejects(() => lm.loadModel(noTok), /No tokenizer.json/);
    if (ctx.runtime !== 'chromium') await assertRejects(() => lm.loadModel('test/fixtures/hf/missing'), /No config.json in 'test\/fixtures\/hf\/missing'/);
    const tok = lm.Tokenizer.fromJSON(new TextDecoder().decode(src['tokenizer.json']), {});
    assertThrows(() => tok.applyChatTemplate([{ role: 'user', content: 'x' }]), /no chat template/);
  }, CPU_ONLY);

  test('perplexity', async (ctx) => {
    const { model, tokenizer } = await lm.loadModel(await source(ctx, 'gemma'));
    const r = await ref(ctx, 'gemma');
    const ppl = await lm.perplexity(model, tokenizer, r.prompt);
    // from the reference: the first position's log-softmax at the second token
    const lf = r.logits_first, m = Math.max(...lf), lse = m + Math.log(lf.reduce((a, x) => a + Math.exp(x - m), 0));
    const ppl2 = await lm.perplexity(model, null, r.input_ids.slice(0, 2));
    assertClose(ppl2, Math.exp(lse - lf[r.input_ids[1]]), { rtol: 1e-4 });
    assert(Number.isFinite(ppl) && ppl > 1, `perplexity ${ppl}`);
    await assertRejects(() => lm.perplexity(model, tokenizer, ''), /at least two tokens/);
  });

  test('QuantizedKVCache: 8-bit cached decoding follows the full pass; prompt-cache round trip', async () => {
    const model = tiny('llama', { head_dim: 32, hidden_size: 64 });
    const ids = [3, 1, 4, 1, 5, 9, 2, 6];
    const full = (await mx.astype(model.forward(mx.array([ids], mx.int32)), mx.float32).tolist()) as number[][][];
    const cache = lm.makePromptCache(model, { kvBits: 8, kvGroupSize: 32 });
    assert(cache[0] instanceof lm.QuantizedKVCache, 'kvBits makes quantized caches');
    model.forward(mx.array([ids.slice(0, 5)], mx.int32), cache);
    const rows: number[][] = [];
    for (const id of ids.slice(5)) rows.push(((await mx.astype(model.forward(mx.array([[id]], mx.int32), cache), mx.float32).tolist()) as number[][][])[0][0]);
    rows.forEach((row, i) => assertClose(row, full[0][5 + i], { atol: 0.05, rtol: 0 }));
    const bytes = await lm.savePromptCache(null, cache);
    const { cache: back } = await lm.loadPromptCache(bytes);
    assert(back[0] instanceof lm.QuantizedKVCache && back[0].offset === ids.length, 'kind and offset survive');
    assertThrows(() => new lm.QuantizedKVCache(48, 8), /kvGroupSize must be 32, 64 or 128/);
    assertThrows(() => lm.makePromptCache(model, { kvBits: 4, maxKvSize: 16 }), /cannot be combined/);
  }, CPU_ONLY);

  test('convert writes an MLX-format checkpoint (8-bit) that loads back close to the float model', async (ctx) => {
    if (ctx.runtime === 'chromium') return; // writes files: Node and Deno
    const dst = `dist/test-convert-${ctx.runtime}`;
    const out = await lm.convert(`${HF}/llama`, dst, { quantize: true, qBits: 8, qGroupSize: 32 });
    assertEqual(out.quantization, { group_size: 32, bits: 8 });
    const r = await ref(ctx, 'llama');
    const { model, tokenizer } = await lm.loadModel(dst);
    assert(model.model.layers[0].self_attn.q_proj instanceof nn.QuantizedLinear, 'quantized layers come back quantized');
    assertEqual(tokenizer.encode(r.prompt), r.input_ids);
    const l = (await logitsOf(model, r.input_ids))[0];
    assertClose(l[l.length - 1], r.logits_last, { atol: 0.1, rtol: 0 });
    const agree = l.map(rowArgmax).filter((a, i) => a === r.argmax_all[i]).length;
    assert(agree >= 0.9 * r.argmax_all.length, `argmax agreement ${agree}/${r.argmax_all.length}`);
  }, CPU_ONLY);
});
