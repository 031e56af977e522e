// Phi-3: fused qkv and gate_up projections; longrope ("su") scaling for long contexts.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * Phi-3 causal LM.
 * @example
 * const model = new Phi3Model(config);
 */
export class Phi3Model extends CausalLM {
  constructor(config: Config) {
    super(baseArgs(config, { qkv: 'fused', mlp: 'fused_gated', windows: layerWindows(config, config.num_hidden_layers, () => false) }));
  }
}
