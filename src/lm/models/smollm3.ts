// SmolLM3: Llama's blocks where some layers skip rope (no_rope_layers / no_rope_layer_interval).
import { baseArgs, CausalLM, type Config } from './blocks.ts';

/**
 * SmolLM3 causal LM.
 * @example
 * const model = new SmolLM3Model(config);
 */
export class SmolLM3Model extends CausalLM {
  constructor(config: Config) {
    const args = baseArgs(config);
    const n = args.numLayers, every = config.no_rope_layer_interval ?? 4;
    const use: number[] = Array.isArray(config.no_rope_layers) ? config.no_rope_layers
      : Array.from({ length: n }, (_, i) => ((i + 1) % every !== 0 ? 1 : 0));
    super({ ...args, ropes: args.ropes.map((r, i) => (use[i] ? r : null)) });
  }
}
