// Qwen3: Llama's blocks with per-head RMSNorm on queries and keys.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Qwen3 causal LM (q/k norms per head).
 * @example
 * const model = new Qwen3Model(config);
 */
export class Qwen3Model extends CausalLM {
  constructor(config: Config) {
    const n = config.num_hidden_layers;
    const sliding = config.use_sliding_window ? layerWindows(config, n, (i) => i >= (config.max_window_layers ?? n)) : Array(n).fill(0);
    super(baseArgs(config, { qkNorm: 'head', windows: sliding }));
  }
}
