// Mistral: Llama's blocks with an optional sliding window on every layer.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Mistral causal LM (sliding-window attention when `sliding_window` is set).
 * @example
 * const model = new MistralModel(config);
 */
export class MistralModel extends CausalLM {
  constructor(config: Config) {
    super(baseArgs(config, { windows: layerWindows(config, config.num_hidden_layers, () => true) }));
  }
}
