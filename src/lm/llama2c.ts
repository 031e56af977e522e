// llama2.c's legacy .bin checkpoints (header of 7 int32, then float32 tensors) loaded
// into the Llama model with adjacent-pair ("traditional") rope.
import * as mx from '../index.ts';
import { toBytes, type BytesLike } from '../io/bytes.ts';
import { readFile } from '../io/fs.ts';
import { LlamaModel } from './models/llama.ts';
import type { Config } from './models/blocks.ts';

/**
 * Loads a llama2.c checkpoint (a path/URL or its bytes) as a LlamaModel; returns it with
 * an equivalent Hugging Face style config.
 * @example
 * const { model } = await loadLlama2c('stories260K.bin');
 * const ids = await generateTokens(model, [1], { maxTokens: 10 });
 */
export async function loadLlama2c(src: string | BytesLike): Promise<{ model: LlamaModel; config: Config }> {
  const b = typeof src === 'string' ? await readFile(src) : await toBytes(src);
  if (b.length < 28) throw new Error(`[loadLlama2c] File is too short (${b.length} bytes) for the 28-byte header.`);
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const [dim, hidden, layers, heads, kvHeads, vocabSigned, seqLen] = Array.from({ length: 7 }, (_, i) => dv.getInt32(i * 4, true));
  const vocab = Math.abs(vocabSigned), shared = vocabSigned > 0;
  const bad = [dim, hidden, layers, heads, kvHeads, vocab, seqLen].some((v) => !(v > 0)) || dim % heads !== 0 || heads % kvHeads !== 0;
  if (bad) throw new Error(`[loadLlama2c] Invalid header (dim=${dim}, hidden_dim=${hidden}, n_layers=${layers}, n_heads=${heads}, n_kv_heads=${kvHeads}, vocab_size=${vocabSigned}, seq_len=${seqLen}).`);
  const hd = dim / heads, kvDim = kvHeads * hd;
  let off = 28;
  const take = (shape: number[]): mx.MxArray => {
    const n = shape.reduce((a, c) => a * c, 1);
    if (off + n * 4 > b.length) throw new Error(`[loadLlama2c] File is truncated: needs ${off + n * 4} bytes, has ${b.length}.`);
    const f = new Float32Array(b.slice(off, off + n * 4).buffer);
    off += n * 4;
    return mx.reshape(mx.array(f, mx.float32), shape);
  };
  const emb = take([vocab, dim]);
  const attnNorm = take([layers, dim]), wq = take([layers, dim, dim]), wk = take([layers, kvDim, dim]), wv = take([layers, kvDim, dim]);
  const wo = take([layers, dim, dim]), ffnNorm = take([layers, dim]);
  const w1 = take([layers, hidden, dim]), w2 = take([layers, dim, hidden]), w3 = take([layers, hidden, dim]);
  const finalNorm = take([dim]);
  off += seqLen * (hd / 2) * 4 * 2; // precomputed rope tables
  const head = shared ? null : take([vocab, dim]);
  const config: Config = {
    model_type: 'llama', hidden_size: dim, intermediate_size: hidden, num_hidden_layers: layers, num_attention_heads: heads,
    num_key_value_heads: kvHeads, vocab_size: vocab, max_position_embeddings: seqLen, rms_norm_eps: 1e-5, rope_theta: 10000,
    rope_traditional: true, tie_word_embeddings: shared, head_dim: hd,
  };
  const model = new LlamaModel(config);
  const w: Record<string, mx.MxArray> = { 'model.embed_tokens.weight': emb, 'model.norm.weight': finalNorm };
  const at = (a: mx.MxArray, i: number) => mx.take(a, i, 0);
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    w[p + 'input_layernorm.weight'] = at(attnNorm, i);
    w[p + 'self_attn.q_proj.weight'] = at(wq, i);
    w[p + 'self_attn.k_proj.weight'] = at(wk, i);
    w[p + 'self_attn.v_proj.weight'] = at(wv, i);
    w[p + 'self_attn.o_proj.weight'] = at(wo, i);
    w[p + 'post_attention_layernorm.weight'] = at(ffnNorm, i);
    w[p + 'mlp.gate_proj.weight'] = at(w1, i);
    w[p + 'mlp.down_proj.weight'] = at(w2, i);
    w[p + 'mlp.up_proj.weight'] = at(w3, i);
  }
  if (head) w['lm_head.weight'] = head;
  model.loadWeights(w);
  model.eval();
  await mx.eval(model.parameters());
  return { model, config };
}
