// webmlx/lm loading GGUF files: tiny Hugging Face checkpoints converted as llama.cpp does
// (test/fixtures/lmgguf_gen.py) against transformers' logits, the tokenizer rebuilt from the
// metadata, Q8_0 kept quantized or dequantized, the name map, and malformed files.
import * as mx from '../../src/index.ts';
import * as nn from '../../src/nn/index.ts';
import * as lm from '../../src/lm/index.ts';
import * as io from '../../src/io/index.ts';
import { ggufConfig, ggufTensorName } from '../../src/lm/gguf.ts';
import { suite } from '../harness/suite.ts';
import { assert, assertClose, assertEqual, assertRejects, assertThrows } from '../harness/assert.ts';
import { CPU_ONLY, onDevice } from './common.ts';

type Fx = typeof import('../fixtures/lmgguf.gen.ts');
let fixtures: Promise<Fx> | null = null;
const fx = () => (fixtures ??= import('../fixtures/lmgguf.gen.ts'));
const fromB64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const file = async (name: string) => fromB64((await fx()).gguf[name]);

const rowArgmax = (r: number[]) => r.indexOf(Math.max(...r));
const logitsOf = async (model: lm.CausalLM, ids: number[]) =>
  ((await mx.astype(model.forward(mx.array([ids], mx.int32)), mx.float32).tolist()) as number[][][])[0];
const maxAbs = (a: number[], b: number[]) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

/** A tiny llama GGUF written with mx.saveGguf (no tokenizer), minus the tensors in `drop`. */
async function tinyLlama(meta: Record<string, io.GgufMetadataInput>, drop: string[] = [], extra?: Record<string, mx.MxArray>): Promise<Uint8Array> {
  const shapes: Record<string, number[]> = {
    'token_embd.weight': [10, 8], 'output_norm.weight': [8], 'blk.0.attn_norm.weight': [8], 'blk.0.ffn_norm.weight': [8],
    'blk.0.attn_q.weight': [8, 8], 'blk.0.attn_k.weight': [4, 8], 'blk.0.attn_v.weight': [4, 8], 'blk.0.attn_output.weight': [8, 8],
    'blk.0.ffn_gate.weight': [12, 8], 'blk.0.ffn_up.weight': [12, 8], 'blk.0.ffn_down.weight': [8, 12],
  };
  mx.random.seed(3);
  const arrays = Object.fromEntries(Object.entries(shapes).filter(([k]) => !drop.includes(k)).map(([k, s]) => [k, mx.random.normal(s)]));
  if (extra) Object.assign(arrays, extra);
  return mx.saveGguf(arrays, meta);
}
const TINY_META: Record<string, io.GgufMetadataInput> = {
  'general.architecture': 'llama', 'llama.embedding_length': 8, 'llama.block_count': 1, 'llama.feed_forward_length': 12,
  'llama.attention.head_count': 2, 'llama.attention.head_count_kv': 1, 'llama.context_length': 32,
  'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.tokens': 'abcdefghij'.split(''), 'tokenizer.ggml.merges': ['a b'],
};

// Hugging Face names → llama.cpp's, as convert_hf_to_gguf.py maps them (no q/k permutation:
// gemma and phi3 use half-rotation rope in ggml too).
const TO_GGUF: Record<string, string> = {
  'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v', 'self_attn.o_proj': 'attn_output',
  'self_attn.qkv_proj': 'attn_qkv', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up', 'mlp.gate_up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down', input_layernorm: 'attn_norm', post_attention_layernorm: 'ffn_norm',
};
const TOP_GGUF: Record<string, string> = { 'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight' };

/** Converts a test/fixtures/hf checkpoint to GGUF in memory (gemma: norms stored as 1 + w). */
async function convertHf(fam: 'gemma' | 'phi3'): Promise<Uint8Array> {
  const dir = `test/fixtures/hf/${fam}`;
  const cfg = JSON.parse(new TextDecoder().decode(await io.readFile(`${dir}/config.json`)));
  const tj = JSON.parse(new TextDecoder().decode(await io.readFile(`${dir}/tokenizer.json`)));
  const { arrays } = await io.loadSafetensors(`${dir}/model.safetensors`);
  const out: Record<string, mx.MxArray> = {};
  for (const [k, v] of Object.entries(arrays)) {
    const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(k);
    const name = TOP_GGUF[k] ?? (m ? `blk.${m[1]}.${TO_GGUF[m[2]]}.${m[3]}` : k);
    out[name] = fam === 'gemma' && k.endsWith('norm.weight') ? mx.add(v, 1) : v;
  }
  const tokens: string[] = [];
  for (const [tok, id] of Object.entries(tj.model.vocab as Record<string, number>)) tokens[id] = tok;
  for (const a of tj.added_tokens as { id: number; content: string }[]) tokens[a.id] = a.content;
  const u32 = (value: number) => ({ type: 'uint32' as const, value });
  return mx.saveGguf(out, {
    'general.architecture': fam, [`${fam}.embedding_length`]: u32(cfg.hidden_size), [`${fam}.block_count`]: u32(cfg.num_hidden_layers),
    [`${fam}.feed_forward_length`]: u32(cfg.intermediate_size), [`${fam}.attention.head_count`]: u32(cfg.num_attention_heads),
    [`${fam}.attention.head_count_kv`]: u32(cfg.num_key_value_heads), [`${fam}.attention.key_length`]: u32(cfg.head_dim),
    [`${fam}.attention.layer_norm_rms_epsilon`]: cfg.rms_norm_eps, [`${fam}.rope.freq_base`]: { type: 'float32', value: 10000 },
    [`${fam}.context_length`]: u32(cfg.max_position_embeddings), [`${fam}.rope.dimension_count`]: u32(cfg.head_dim),
    'tokenizer.ggml.model': 'gpt2', 'tokenizer.ggml.pre': 'gpt-2', 'tokenizer.ggml.tokens': tokens,
    'tokenizer.ggml.merges': (tj.model.merges as string[][]).map((p) => p.join(' ')), 'tokenizer.ggml.eos_token_id': u32(0),
    'tokenizer.ggml.add_bos_token': false,
  });
}

export const lmggufSuite = suite('lmgguf', (t) => {
  const test = onDevice(t);

  test('llama F32: logits, argmax and tokenizer match transformers', async () => {
    const r = (await fx()).refs.llama;
    const { model, tokenizer, config } = await lm.loadModel(await file('llama_f32'));
    assertEqual([config.model_type, config.hidden_size, config.num_hidden_layers, config.num_key_value_heads, config.head_dim, config.vocab_size, config.tie_word_embeddings],
      ['llama', 64, 4, 2, 16, 512, false]);
    assertEqual(tokenizer.encode(r.prompt), r.input_ids);
    const l = await logitsOf(model, r.input_ids);
    assertClose(l[0], r.logits_first, { atol: 1e-3, rtol: 0 });
    assertClose(l[l.length - 1], r.logits_last, { atol: 1e-3, rtol: 0 });
    assertEqual(l.map(rowArgmax), r.argmax_all);
  });

  test('qwen2 BF16: tied embeddings, q/k/v biases, logits within bfloat16 tolerance', async () => {
    const r = (await fx()).refs.qwen2;
    const { model, tokenizer, config } = await lm.loadModel(await file('qwen2_bf16'), { dtype: 'float32' });
    assertEqual([config.model_type, config.tie_word_embeddings, config.head_dim], ['qwen2', true, 16]);
    assertEqual(model.lm_head, undefined);
    assertEqual(model.layers[0].self_attn.q_proj!.bias!.dtype, mx.float32);
    assertEqual(tokenizer.encode(r.prompt), r.input_ids);
    const l = await logitsOf(model, r.input_ids);
    // as the lm suite: transformers rotated with bfloat16-rounded rope frequencies
    assertClose(l[0], r.logits_first, { atol: 5e-3, rtol: 0 });
    assertClose(l[l.length - 1], r.logits_last, { atol: 5e-3, rtol: 0 });
    assertEqual(l.map(rowArgmax), r.argmax_all);
  });

  test('llama Q8_0: dequantized and kept quantized agree with the float32 reference', async () => {
    const r = (await fx()).refs.llama;
    const bytes = await file('llama_q8_0');
    const deq = await lm.loadModel(bytes);
    assert(deq.model.layers[0].self_attn.q_proj instanceof nn.Linear, 'dequantized by default');
    const q = await lm.loadModel(bytes, { quantized: true });
    const qp = q.model.layers[0].self_attn.q_proj as unknown as nn.QuantizedLinear;
    assert(qp instanceof nn.QuantizedLinear && qp.bits === 8 && qp.groupSize === 32, 'q_proj is an 8-bit QuantizedLinear of group 32');
    assert(q.model.model.embed_tokens instanceof nn.QuantizedEmbedding, 'token_embd came quantized');
    assert(q.model.lm_head instanceof nn.QuantizedLinear, 'output came quantized');
    assert(!(q.model.model.norm instanceof nn.QuantizedLinear) && q.model.model.norm.weight.dtype === mx.float32, 'norms stay float32');
    const ld = await logitsOf(deq.model, r.input_ids), lq = await logitsOf(q.model, r.input_ids);
    // Q8_0 rounds each weight by up to amax/254 of its block of 32 (measured: logits move by
    // up to 0.09 of a 6.3 range): check logits within 0.15 and that at least 90% of the
    // greedy tokens agree with transformers' float32 argmax (measured 30 of 32)
    for (const l of [ld, lq]) {
      assertClose(l[0], r.logits_first, { atol: 0.15, rtol: 0 });
      assertClose(l[l.length - 1], r.logits_last, { atol: 0.15, rtol: 0 });
      const agree = l.map(rowArgmax).filter((a, i) => a === r.argmax_all[i]).length;
      assert(agree >= 0.9 * r.argmax_all.length, `argmax agreement ${agree}/${r.argmax_all.length}`);
    }
    // MLX's repacking is exact up to the float16 bias -128 * d: both paths agree closely
    assert(maxAbs(ld[ld.length - 1], lq[lq.length - 1]) < 2e-3, 'quantized and dequantized logits agree');
  }, CPU_ONLY);

  test('sources: a .gguf path, a FileMap entry, a Blob; onProgress', async (ctx) => {
    const r = (await fx()).refs.llama;
    const bytes = await file('qwen2_bf16');
    const events: lm.LoadProgress[] = [];
    const viaMap = await lm.loadModel({ 'tiny.gguf': bytes }, { onProgress: (p) => events.push(p) });
    assertEqual(events, [{ file: "'tiny.gguf'", loaded: 1, total: 1 }]);
    const viaBlob = await lm.loadModel(new Blob([bytes as Uint8Array<ArrayBuffer>]));
    const a = await logitsOf(viaMap.model, r.input_ids.slice(0, 5)), b = await logitsOf(viaBlob.model, r.input_ids.slice(0, 5));
    assertEqual(a, b);
    if (io.fsKind() === 'none' || ctx.runtime === 'chromium') return;
    const path = `/tmp/webmlx-lmgguf-${Math.random().toString(36).slice(2)}.gguf`;
    await io.writeFile(path, bytes);
    try {
      const viaPath = await lm.loadModel(path);
      assertEqual(await logitsOf(viaPath.model, r.input_ids.slice(0, 5)), a);
    } finally {
      const fs = (await import(/* @vite-ignore */ ['node', 'fs/promises'].join(':'))) as { rm(p: string): Promise<void> };
      await fs.rm(path).catch(() => {});
    }
    await assertRejects(() => lm.loadModel('/tmp/webmlx-lmgguf-missing.gguf'), /Cannot read the GGUF file '\/tmp\/webmlx-lmgguf-missing\.gguf'/);
  }, CPU_ONLY);

  for (const fam of ['gemma', 'phi3'] as const) {
    test(`${fam} converted to GGUF matches transformers (${fam === 'gemma' ? '1 + w norms' : 'fused qkv and gate_up'})`, async (ctx) => {
      if (ctx.runtime === 'chromium') return; // reads test/fixtures/hf; the lm suite covers these files in pages
      const r = JSON.parse(new TextDecoder().decode(await io.readFile(`test/fixtures/hf/${fam}.ref.json`)));
      const { model, tokenizer, config } = await lm.loadModel(await convertHf(fam));
      assertEqual(config.model_type, fam);
      assertEqual(tokenizer.encode(r.prompt), r.input_ids);
      const l = await logitsOf(model, r.input_ids);
      assertClose(l[0], r.logits_first, { atol: 1e-3, rtol: 0 });
      assertClose(l[l.length - 1], r.logits_last, { atol: 1e-3, rtol: 0 });
      assertEqual(l.map(rowArgmax), r.argmax_all);
    }, CPU_ONLY);
  }

  test('name map and config from metadata', () => {
    assertEqual(ggufTensorName('token_embd.weight', 'llama'), 'model.embed_tokens.weight');
    assertEqual(ggufTensorName('output.scales', 'llama'), 'lm_head.scales');
    assertEqual(ggufTensorName('output_norm.weight', 'qwen3'), 'model.norm.weight');
    assertEqual(ggufTensorName('blk.3.attn_output.weight', 'llama'), 'model.layers.3.self_attn.o_proj.weight');
    assertEqual(ggufTensorName('blk.0.attn_q.bias', 'qwen2'), 'model.layers.0.self_attn.q_proj.bias');
    assertEqual(ggufTensorName('blk.1.attn_k_norm.weight', 'qwen3'), 'model.layers.1.self_attn.k_norm.weight');
    assertEqual(ggufTensorName('blk.2.ffn_norm.weight', 'llama'), 'model.layers.2.post_attention_layernorm.weight');
    assertEqual(ggufTensorName('blk.2.ffn_norm.weight', 'gemma2'), 'model.layers.2.pre_feedforward_layernorm.weight');
    assertEqual(ggufTensorName('blk.2.post_attention_norm.weight', 'gemma2'), 'model.layers.2.post_attention_layernorm.weight');
    assertEqual(ggufTensorName('blk.0.ffn_up.weight', 'phi3'), 'model.layers.0.mlp.gate_up_proj.weight');
    assertEqual(ggufTensorName('blk.0.attn_qkv.weight', 'phi3'), 'model.layers.0.self_attn.qkv_proj.weight');
    assertEqual(ggufTensorName('blk.0.ssm_a', 'llama'), null);
    const md = {
      'general.architecture': 'qwen3', 'qwen3.embedding_length': 32, 'qwen3.block_count': 2, 'qwen3.feed_forward_length': 48,
      'qwen3.attention.head_count': 4, 'qwen3.attention.head_count_kv': 2, 'qwen3.attention.key_length': 16, 'qwen3.rope.freq_base': 1e6,
      'qwen3.attention.layer_norm_rms_epsilon': 1e-5, 'qwen3.context_length': 4096, 'qwen3.rope.scaling.type': 'yarn',
      'qwen3.rope.scaling.factor': 4, 'qwen3.rope.scaling.original_context_length': 1024, 'qwen3.rope.dimension_count': 8,
      'tokenizer.ggml.eos_token_id': 3,
    };
    const c = ggufConfig(md, { 'token_embd.weight': [100, 32], 'output.weight': [100, 32] });
    assertEqual([c.model_type, c.head_dim, c.rope_theta, c.vocab_size, c.tie_word_embeddings, c.partial_rotary_factor, c.eos_token_id, c.max_position_embeddings],
      ['qwen3', 16, 1e6, 100, false, 0.5, 3, 4096]);
    assertEqual(c.rope_scaling, { rope_type: 'yarn', factor: 4, original_max_position_embeddings: 1024 });
    const shapes = { 'token_embd.weight': [100, 32] };
    assertEqual(ggufConfig({ ...md, 'qwen3.rope.scaling.type': 'linear' }, shapes).rope_scaling, { rope_type: 'linear', factor: 4 });
    assertEqual(ggufConfig({ ...md, 'tokenizer.ggml.tokens': ['a', 'b'] }, {}).vocab_size, 2);
    assertThrows(() => ggufConfig(md, {}), /no 'token_embd\.weight' tensor and no token list/);
    assertThrows(() => ggufConfig({ ...md, 'qwen3.rope.scaling.type': 'longrope2' }, shapes), /Unsupported GGUF rope scaling type "longrope2"/);
  }, CPU_ONLY);

  test("Llama 3's rope_freqs divisors rotate as the same linear scaling", async () => {
    const ids = [1, 5, 2, 9, 3, 3, 7];
    const linear = await lm.loadModel(await tinyLlama({ ...TINY_META, 'llama.rope.scaling.type': 'linear', 'llama.rope.scaling.factor': 2.5 }));
    assertEqual(linear.config.rope_scaling, { rope_type: 'linear', factor: 2.5 });
    const divisors = await lm.loadModel(await tinyLlama(TINY_META, [], { 'rope_freqs.weight': mx.full([2], 2.5) }));
    const plain = await lm.loadModel(await tinyLlama(TINY_META));
    const a = await logitsOf(linear.model, ids), b = await logitsOf(divisors.model, ids), c = await logitsOf(plain.model, ids);
    assertClose(b.flat(), a.flat(), { atol: 1e-5, rtol: 1e-5 });
    assert(maxAbs(c.flat(), a.flat()) > 1e-3, 'the scaling changes the logits');
  }, CPU_ONLY);

  test('bad GGUF files give errors naming what is missing', async () => {
    const { 'general.architecture': _, ...noArch } = TINY_META;
    await assertRejects(async () => lm.loadModel(await tinyLlama(noArch)), /GGUF metadata has no 'general\.architecture'/);
    await assertRejects(async () => lm.loadModel(await tinyLlama({ ...TINY_META, 'general.architecture': 'mamba' })), /Unsupported GGUF architecture "mamba"; supported: llama, mistral, qwen2/);
    const { 'llama.block_count': __, ...noLayers } = TINY_META;
    await assertRejects(async () => lm.loadModel(await tinyLlama(noLayers)), /GGUF metadata has no 'llama\.block_count'/);
    await assertRejects(async () => lm.loadModel(await tinyLlama(TINY_META, ['blk.0.attn_k.weight'])),
      /lacks 1 tensor\(s\) a llama model needs: 'blk\.0\.attn_k\.weight' \(model\.layers\.0\.self_attn\.k_proj\.weight\)/);
    const extra = await mx.saveGguf({ ...Object.fromEntries(Object.entries((await io.loadGguf(await tinyLlama(TINY_META))).arrays)), 'blk.0.ssm_a': mx.zeros([2]) }, TINY_META);
    await assertRejects(() => lm.loadModel(extra), /GGUF tensor 'blk\.0\.ssm_a' has no counterpart in a llama model/);
    await assertRejects(() => lm.loadModel(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])), /\[gguf\] Bad magic/);
    await assertRejects(() => lm.loadModel({ 'a.gguf': new Uint8Array(8), 'b.gguf': new Uint8Array(8) }), /FileMap holds 2 GGUF files \(a\.gguf, b\.gguf\)/);
  }, CPU_ONLY);
});
