// StarCoder2: LayerNorm with bias, a plain GELU MLP (c_fc, c_proj), biases everywhere.
import { baseArgs, CausalLM, layerWindows, type Config } from './blocks.ts';

/**
 * StarCoder2 causal LM.
 * @example
 * const model = new Starcoder2Model(config);
 */
export class Starcoder2Model extends CausalLM {
  constructor(config: Config) {
    const c: Config = { tie_word_embeddings: true, hidden_act: 'gelu_pytorch_tanh', ...config };
    const bias = c.use_bias ?? true;
    super(baseArgs(c, {
      norm: 'layer', normEps: c.norm_epsilon ?? 1e-5, mlp: 'plain', qkvBias: bias, oBias: bias, mlpBias: bias,
      windows: layerWindows(c, c.num_hidden_layers, () => true),
    }));
  }
}
