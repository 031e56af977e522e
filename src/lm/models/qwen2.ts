// Qwen2 / Qwen2.5: Llama's blocks with biases on the q/k/v projections.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Qwen2 causal LM (q/k/v bias, usually tied embeddings for small sizes).
 * @example
 * const model = new Qwen2Model(config);
 */
export class Qwen2Model extends CausalLM {
  constructor(config: Config) {
    const n = config.num_hidden_layers;
    const sliding = config.use_sliding_window ? layerWindows(config, n, (i) => i >= (config.max_window_layers ?? n)) : Array(n).fill(0);
    super(baseArgs(config, { qkvBias: true, oBias: false, windows: sliding }));
  }
}
