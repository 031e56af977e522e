// Gemma: (1 + w) RMSNorm, GeGLU (tanh GELU), embeddings scaled by sqrt(hidden), tied head.
import { baseArgs, CausalLM, type Config } from './blocks.ts';

/**
 * Gemma (1) causal LM.
 * @example
 * const model = new GemmaModel(config);
 */
export class GemmaModel extends CausalLM {
  constructor(config: Config) {
    super(baseArgs({ tie_word_embeddings: true, ...config, hidden_act: 'gelu_pytorch_tanh', hidden_activation: undefined },
      { norm: 'rms1p', embedScale: true }));
  }
}
