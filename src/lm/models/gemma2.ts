// Gemma 2: Gemma's blocks with sandwich norms, logit soft-capping and alternating
// sliding-window layers (even layers slide).
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Gemma 2 causal LM.
 * @example
 * const model = new Gemma2Model(config);
 */
export class Gemma2Model extends CausalLM {
  constructor(config: Config) {
    const c: Config = { tie_word_embeddings: true, ...config };
    super(baseArgs(c, {
      norm: 'rms1p', embedScale: true, layout: 'sandwich', act: 'gelu_tanh',
      attnSoftcap: c.attn_logit_softcapping ?? undefined, finalSoftcap: c.final_logit_softcapping ?? undefined,
      queryScale: c.query_pre_attn_scalar ?? c.head_dim ?? c.hidden_size / c.num_attention_heads,
      windows: layerWindows(c, c.num_hidden_layers, (i) => i % 2 === 0),
    }));
  }
}
