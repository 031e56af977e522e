// Gemma 3 (text): sandwich norms, q/k norms, a local rope base on sliding layers and a
// global one (with scaling) on full-attention layers; multimodal checkpoints load their
// language model only.
import type * as mx from '../../index.ts';
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';
import { ropeSpec } from '../rope.ts';

/**
 * Gemma 3 causal LM (`gemma3_text`, or the text part of `gemma3`).
 * @example
 * const model = new Gemma3Model(config);
 */
export class Gemma3Model extends CausalLM {
  constructor(config: Config) {
    const c: Config = { tie_word_embeddings: true, ...(config.text_config ?? {}), ...config, ...(config.text_config ?? {}) };
    const n = c.num_hidden_layers, hd = c.head_dim ?? c.hidden_size / c.num_attention_heads;
    const pattern = c.sliding_window_pattern ?? 6;
    const windows = layerWindows(c, n, (i) => (i + 1) % pattern !== 0);
    const perType = c.rope_parameters && typeof c.rope_parameters === 'object' && 'full_attention' in c.rope_parameters;
    const full = ropeSpec(c, hd, 'full_attention');
    const local = perType ? ropeSpec(c, hd, 'sliding_attention')
      : ropeSpec({ ...c, rope_scaling: null, rope_parameters: null, rope_theta: c.rope_local_base_freq ?? 10000 }, hd);
    super(baseArgs(c, {
      norm: 'rms1p', embedScale: true, layout: 'sandwich', act: 'gelu_tanh', qkNorm: 'head',
      queryScale: c.query_pre_attn_scalar ?? hd, finalSoftcap: c.final_logit_softcapping ?? undefined,
      attnSoftcap: c.attn_logit_softcapping ?? undefined,
      windows, ropes: windows.map((w) => (w ? local : full)),
    }));
  }
  override sanitize(weights: Record<string, mx.MxArray>): Record<string, mx.MxArray> {
    const out: Record<string, mx.MxArray> = {};
    for (const [k, v] of Object.entries(weights)) {
      if (k.startsWith('vision_tower') || k.startsWith('multi_modal_projector')) continue;
      out[k.replace(/^(model\.)?language_model\.(model\.)?/, 'model.').replace(/^model\.lm_head/, 'lm_head')] = v;
    }
    return super.sanitize(out);
  }
}
