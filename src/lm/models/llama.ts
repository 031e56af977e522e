// Llama (1, 2, 3.x): pre-norm RMSNorm, SwiGLU, GQA, optional biases and rope scaling.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Llama-family causal LM from a Hugging Face config.json.
 * @example
 * const model = new LlamaModel(config);
 */
export class LlamaModel extends CausalLM {
  constructor(config: Config) {
    super(baseArgs(config, { windows: layerWindows(config, config.num_hidden_layers, () => false) }));
  }
}
